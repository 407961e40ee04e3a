-- "Log in as" (server/services/impersonation.ts): a session opened by an administrator or reseller as one of its
-- customers' users points at the session it was opened from; ending that one ends this one too.

-- AlterTable (ADD COLUMN with a NULL default: no row is copied or dropped)
ALTER TABLE "Session" ADD COLUMN "parentId" TEXT REFERENCES "Session" ("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateIndex
CREATE INDEX "Session_parentId_idx" ON "Session"("parentId");

-- CreateIndex (a user's page lists what they did)
CREATE INDEX "AuditLog_userId_idx" ON "AuditLog"("userId");
