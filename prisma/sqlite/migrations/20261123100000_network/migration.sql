-- AlterTable (ADD COLUMN, not Prisma's table rebuild: no row is copied or dropped)
ALTER TABLE "Plan" ADD COLUMN "trafficQuotaGb" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Plan" ADD COLUMN "throttleKbit" INTEGER NOT NULL DEFAULT 1024;

-- AlterTable
ALTER TABLE "Container" ADD COLUMN "netMode" TEXT NOT NULL DEFAULT 'venet';
ALTER TABLE "Container" ADD COLUMN "firewall" TEXT NOT NULL DEFAULT '{}';
ALTER TABLE "Container" ADD COLUMN "throttled" BOOLEAN NOT NULL DEFAULT false;

-- CreateTable
CREATE TABLE "IpPool" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "nodeId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "network" TEXT,
    "family" INTEGER NOT NULL,
    "cidr" TEXT NOT NULL,
    "gateway" TEXT,
    "rangeStart" TEXT NOT NULL,
    "rangeEnd" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "IpPool_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "IpAddress" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "poolId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "address" TEXT NOT NULL,
    "containerId" TEXT,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "IpAddress_poolId_fkey" FOREIGN KEY ("poolId") REFERENCES "IpPool" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "IpAddress_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TrafficDaily" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "nodeId" TEXT NOT NULL,
    "ctId" INTEGER NOT NULL,
    "containerId" TEXT,
    "tenantId" TEXT NOT NULL,
    "day" TEXT NOT NULL,
    "rxBytes" BIGINT NOT NULL DEFAULT 0,
    "txBytes" BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT "TrafficDaily_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "TrafficDaily_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container" ("id") ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT "TrafficDaily_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateTable
CREATE TABLE "TrafficCounter" (
    "nodeId" TEXT NOT NULL,
    "ctId" INTEGER NOT NULL,
    "rxBytes" BIGINT NOT NULL DEFAULT 0,
    "txBytes" BIGINT NOT NULL DEFAULT 0,
    "boot" TEXT,
    "updatedAt" DATETIME NOT NULL,

    PRIMARY KEY ("nodeId", "ctId"),
    CONSTRAINT "TrafficCounter_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
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

