-- Backup policies (docs/backup-policies.md): scheduled backups or snapshots with retention, attached to plans
-- (their containers' default) and containers; the scheduler's state per container; a backup's policy.

-- CreateTable
CREATE TABLE "BackupPolicy" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "tenantId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "schedule" TEXT NOT NULL,
    "keepDaily" INTEGER NOT NULL DEFAULT 0,
    "keepWeekly" INTEGER NOT NULL DEFAULT 0,
    "keepMonthly" INTEGER NOT NULL DEFAULT 0,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" DATETIME NOT NULL,
    CONSTRAINT "BackupPolicy_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE UNIQUE INDEX "BackupPolicy_tenantId_name_key" ON "BackupPolicy"("tenantId", "name");

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Backup" ADD COLUMN "policyId" TEXT;
ALTER TABLE "Plan" ADD COLUMN "backupPolicyId" TEXT REFERENCES "BackupPolicy" ("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Container" ADD COLUMN "backupPolicyId" TEXT REFERENCES "BackupPolicy" ("id") ON DELETE SET NULL ON UPDATE CASCADE;
ALTER TABLE "Container" ADD COLUMN "policyNextAt" DATETIME;
ALTER TABLE "Container" ADD COLUMN "policyLastAt" DATETIME;
ALTER TABLE "Container" ADD COLUMN "policyLastOpId" TEXT;
ALTER TABLE "Container" ADD COLUMN "policyLastStatus" TEXT;

-- CreateIndex
CREATE INDEX "Container_policyNextAt_idx" ON "Container"("policyNextAt");
