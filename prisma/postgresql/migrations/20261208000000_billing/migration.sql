-- The billing API (v1): an external (billing system) id on tenants and containers, suspension by the seller
-- (reason, what it was before, how), idempotent creates, one-time single sign-on links, panel-wide settings.

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Tenant" ADD COLUMN "externalId" TEXT;
ALTER TABLE "Tenant" ADD COLUMN "suspendedAt" TIMESTAMP(3);
ALTER TABLE "Tenant" ADD COLUMN "suspendReason" TEXT;

-- AlterTable
ALTER TABLE "Container" ADD COLUMN "externalId" TEXT;
ALTER TABLE "Container" ADD COLUMN "suspendedAt" TIMESTAMP(3);
ALTER TABLE "Container" ADD COLUMN "suspendReason" TEXT;
ALTER TABLE "Container" ADD COLUMN "suspendedBy" TEXT;
ALTER TABLE "Container" ADD COLUMN "suspendedFrom" TEXT;
ALTER TABLE "Container" ADD COLUMN "suspendMode" TEXT;

-- CreateTable
CREATE TABLE "IdempotencyKey" (
    "id" TEXT NOT NULL,
    "owner" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "route" TEXT NOT NULL,
    "bodyHash" TEXT NOT NULL,
    "status" INTEGER NOT NULL DEFAULT 0,
    "response" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "IdempotencyKey_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "SsoToken" (
    "id" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "userId" TEXT NOT NULL,
    "redirect" TEXT NOT NULL DEFAULT '/containers',
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SsoToken_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "PanelSetting" (
    "key" TEXT NOT NULL,
    "value" TEXT NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "PanelSetting_pkey" PRIMARY KEY ("key")
);

-- CreateIndex
CREATE INDEX "Tenant_externalId_idx" ON "Tenant"("externalId");

-- CreateIndex
CREATE INDEX "Container_externalId_idx" ON "Container"("externalId");

-- CreateIndex
CREATE INDEX "IdempotencyKey_createdAt_idx" ON "IdempotencyKey"("createdAt");

-- CreateIndex
CREATE UNIQUE INDEX "IdempotencyKey_owner_key_key" ON "IdempotencyKey"("owner", "key");

-- CreateIndex
CREATE UNIQUE INDEX "SsoToken_tokenHash_key" ON "SsoToken"("tokenHash");

-- CreateIndex
CREATE INDEX "SsoToken_userId_idx" ON "SsoToken"("userId");

-- AddForeignKey
ALTER TABLE "SsoToken" ADD CONSTRAINT "SsoToken_userId_fkey" FOREIGN KEY ("userId") REFERENCES "User"("id") ON DELETE CASCADE ON UPDATE CASCADE;
