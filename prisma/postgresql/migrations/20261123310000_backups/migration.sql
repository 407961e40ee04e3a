-- Backups that outlive their container: owner (tenant), node, engine id; containerId is set to null
-- when the container is destroyed.

-- CreateTable
CREATE TABLE "Backup" (
    "id" TEXT NOT NULL,
    "engineId" TEXT NOT NULL,
    "nodeId" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "ctId" INTEGER NOT NULL,
    "containerId" TEXT,
    "planId" TEXT,
    "hostname" TEXT NOT NULL,
    "template" TEXT NOT NULL,
    "sshKeys" TEXT NOT NULL DEFAULT '',
    "sizeBytes" BIGINT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Backup_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Backup_tenantId_idx" ON "Backup"("tenantId");

-- CreateIndex
CREATE INDEX "Backup_containerId_idx" ON "Backup"("containerId");

-- CreateIndex
CREATE UNIQUE INDEX "Backup_nodeId_engineId_key" ON "Backup"("nodeId", "engineId");

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Backup" ADD CONSTRAINT "Backup_containerId_fkey" FOREIGN KEY ("containerId") REFERENCES "Container"("id") ON DELETE SET NULL ON UPDATE CASCADE;
