-- Panel part 2: usage history (three resolutions) and its last counters; plan limits on snapshots and
-- backups; root's SSH keys per container.

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Plan" ADD COLUMN "maxSnapshots" INTEGER NOT NULL DEFAULT 5;
ALTER TABLE "Plan" ADD COLUMN "maxBackups" INTEGER NOT NULL DEFAULT 3;

-- AlterTable
ALTER TABLE "Container" ADD COLUMN "sshKeys" TEXT NOT NULL DEFAULT '';

-- CreateTable
CREATE TABLE "UsageSample" (
    "id" SERIAL NOT NULL,
    "containerId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "tier" INTEGER NOT NULL,
    "at" TIMESTAMP(3) NOT NULL,
    "cpuPct" DOUBLE PRECISION NOT NULL,
    "memBytes" BIGINT NOT NULL,
    "swapBytes" BIGINT NOT NULL,
    "diskBytes" BIGINT,
    "ioReadBps" DOUBLE PRECISION NOT NULL,
    "ioWriteBps" DOUBLE PRECISION NOT NULL,
    "netRxBps" DOUBLE PRECISION NOT NULL,
    "netTxBps" DOUBLE PRECISION NOT NULL,
    "nproc" INTEGER NOT NULL,

    CONSTRAINT "UsageSample_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "UsageCounter" (
    "containerId" TEXT NOT NULL,
    "boot" TEXT,
    "at" TIMESTAMP(3) NOT NULL,
    "cpuNs" BIGINT NOT NULL,
    "ioRead" BIGINT NOT NULL,
    "ioWrite" BIGINT NOT NULL,
    "netRx" BIGINT NOT NULL,
    "netTx" BIGINT NOT NULL,

    CONSTRAINT "UsageCounter_pkey" PRIMARY KEY ("containerId")
);

-- CreateIndex
CREATE INDEX "UsageSample_tier_at_idx" ON "UsageSample"("tier", "at");

-- CreateIndex
CREATE INDEX "UsageSample_tenantId_tier_at_idx" ON "UsageSample"("tenantId", "tier", "at");

-- CreateIndex
CREATE UNIQUE INDEX "UsageSample_containerId_tier_at_key" ON "UsageSample"("containerId", "tier", "at");

-- AddForeignKey
ALTER TABLE "UsageSample" ADD CONSTRAINT "UsageSample_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container"("id") ON DELETE CASCADE ON UPDATE CASCADE;
