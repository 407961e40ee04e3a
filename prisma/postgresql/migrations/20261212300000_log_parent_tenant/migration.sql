-- Operations and audit entries carry their tenant's parent (its reseller, or the platform), so a reseller's view of
-- them is "its own or its customers'" without a list of every customer's id (which SQLite refuses past 999).

-- AlterTable
ALTER TABLE "Operation" ADD COLUMN "parentTenantId" TEXT;

-- AlterTable
ALTER TABLE "AuditLog" ADD COLUMN "parentTenantId" TEXT;

-- Existing rows: their tenant's parent now (a tenant's parent never changes)
UPDATE "Operation" SET "parentTenantId" = (SELECT "parentId" FROM "Tenant" WHERE "Tenant"."id" = "Operation"."tenantId");
UPDATE "AuditLog" SET "parentTenantId" = (SELECT "parentId" FROM "Tenant" WHERE "Tenant"."id" = "AuditLog"."tenantId");

-- CreateIndex
CREATE INDEX "Operation_parentTenantId_createdAt_idx" ON "Operation"("parentTenantId", "createdAt");

-- CreateIndex
CREATE INDEX "AuditLog_parentTenantId_at_idx" ON "AuditLog"("parentTenantId", "at");
