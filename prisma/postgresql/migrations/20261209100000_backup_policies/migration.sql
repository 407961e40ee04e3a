-- Backup policies (docs/backup-policies.md): scheduled backups or snapshots with retention, attached to plans
-- (their containers' default) and containers; the scheduler's state per container; a backup's policy.

-- CreateTable
CREATE TABLE "BackupPolicy" (
    "id" TEXT NOT NULL,
    "tenantId" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "schedule" TEXT NOT NULL,
    "keepDaily" INTEGER NOT NULL DEFAULT 0,
    "keepWeekly" INTEGER NOT NULL DEFAULT 0,
    "keepMonthly" INTEGER NOT NULL DEFAULT 0,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "BackupPolicy_pkey" PRIMARY KEY ("id")
);

-- AlterTable
ALTER TABLE "Backup" ADD COLUMN "policyId" TEXT;
ALTER TABLE "Plan" ADD COLUMN "backupPolicyId" TEXT;
ALTER TABLE "Container" ADD COLUMN "backupPolicyId" TEXT;
ALTER TABLE "Container" ADD COLUMN "policyNextAt" TIMESTAMP(3);
ALTER TABLE "Container" ADD COLUMN "policyLastAt" TIMESTAMP(3);
ALTER TABLE "Container" ADD COLUMN "policyLastOpId" TEXT;
ALTER TABLE "Container" ADD COLUMN "policyLastStatus" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "BackupPolicy_tenantId_name_key" ON "BackupPolicy"("tenantId", "name");

-- CreateIndex
CREATE INDEX "Container_policyNextAt_idx" ON "Container"("policyNextAt");

-- AddForeignKey
ALTER TABLE "BackupPolicy" ADD CONSTRAINT "BackupPolicy_tenantId_fkey" FOREIGN KEY ("tenantId") REFERENCES "Tenant"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Plan" ADD CONSTRAINT "Plan_backupPolicyId_fkey" FOREIGN KEY ("backupPolicyId") REFERENCES "BackupPolicy"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Container" ADD CONSTRAINT "Container_backupPolicyId_fkey" FOREIGN KEY ("backupPolicyId") REFERENCES "BackupPolicy"("id") ON DELETE SET NULL ON UPDATE CASCADE;
