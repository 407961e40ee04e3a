-- "Log in as" (server/services/impersonation.ts): a session opened by an administrator or reseller as one of its
-- customers' users points at the session it was opened from; ending that one ends this one too.

-- AlterTable
ALTER TABLE "Session" ADD COLUMN "parentId" TEXT;

-- CreateIndex
CREATE INDEX "Session_parentId_idx" ON "Session"("parentId");

-- AddForeignKey
ALTER TABLE "Session" ADD CONSTRAINT "Session_parentId_fkey" FOREIGN KEY ("parentId") REFERENCES "Session"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateIndex (a user's page lists what they did)
CREATE INDEX "AuditLog_userId_idx" ON "AuditLog"("userId");
