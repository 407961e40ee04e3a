-- AlterTable
ALTER TABLE "Plan" ADD COLUMN     "throttleKbit" INTEGER NOT NULL DEFAULT 1024,
ADD COLUMN     "trafficQuotaGb" INTEGER NOT NULL DEFAULT 0;

-- AlterTable
ALTER TABLE "Container" ADD COLUMN     "firewall" TEXT NOT NULL DEFAULT '{}',
ADD COLUMN     "netMode" TEXT NOT NULL DEFAULT 'venet',
ADD COLUMN     "throttled" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "IpPool" (
    "id" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "network" TEXT,
    "family" INTEGER NOT NULL,
    "cidr" TEXT NOT NULL,
    "gateway" TEXT,
    "rangeStart" TEXT NOT NULL,
    "rangeEnd" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IpPool_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "IpAddress" (
    "id" TEXT NOT NULL,
    "poolId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "containerId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IpAddress_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrafficDaily" (
    "id" SERIAL NOT NULL,
    "nodeId" TEXT NOT NULL,
    "ctId" INTEGER NOT NULL,
    "containerId" TEXT,
    "tenantId" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "rxBytes" BIGINT NOT NULL DEFAULT 0,
    "txBytes" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "TrafficDaily_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "TrafficCounter" (
    "nodeId" TEXT NOT NULL,
    "ctId" INTEGER NOT NULL,
    "rxBytes" BIGINT NOT NULL DEFAULT 0,
    "txBytes" BIGINT NOT NULL DEFAULT 0,
    "boot" TEXT,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "TrafficCounter_pkey" PRIMARY KEY ("nodeId","ctId")
);

-- CreateIndex
CREATE UNIQUE INDEX "IpPool_nodeId_name_key" ON "IpPool"("nodeId", "name");

-- CreateIndex
CREATE INDEX "IpAddress_containerId_idx" ON "IpAddress"("containerId");

-- CreateIndex
CREATE UNIQUE INDEX "IpAddress_poolId_address_key" ON "IpAddress"("poolId", "address");

-- CreateIndex
CREATE UNIQUE INDEX "IpAddress_nodeId_address_key" ON "IpAddress"("nodeId", "address");

-- CreateIndex
CREATE UNIQUE INDEX "TrafficDaily_containerId_day_key" ON "TrafficDaily"("containerId", "day");

-- CreateIndex
CREATE INDEX "TrafficDaily_tenantId_day_idx" ON "TrafficDaily"("tenantId", "day");

-- CreateIndex
CREATE INDEX "TrafficDaily_nodeId_ctId_day_idx" ON "TrafficDaily"("nodeId", "ctId", "day");

-- AddForeignKey
ALTER TABLE "IpPool" ADD CONSTRAINT "IpPool_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IpAddress" ADD CONSTRAINT "IpAddress_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "IpPool"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "IpAddress" ADD CONSTRAINT "IpAddress_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrafficDaily" ADD CONSTRAINT "TrafficDaily_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrafficDaily" ADD CONSTRAINT "TrafficDaily_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrafficDaily" ADD CONSTRAINT "TrafficDaily_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "TrafficCounter" ADD CONSTRAINT "TrafficCounter_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE CASCADE ON UPDATE CASCADE;

