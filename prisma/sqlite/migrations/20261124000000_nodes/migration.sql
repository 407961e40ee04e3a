-- Nodes on other hosts join with a one-time token (ovz-node join): only its sha256 is stored; it works
-- once, within an hour. The join creates the Node (endpoint tls://listen).

-- CreateTable
CREATE TABLE "NodeJoinToken" (
    "id" TEXT NOT NULL PRIMARY KEY,
    "nodeName" TEXT NOT NULL,
    "listen" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL,
    "usedAt" DATETIME,
    "revokedAt" DATETIME,
    "createdBy" TEXT NOT NULL,
    "createdAt" DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP
);

-- CreateIndex
CREATE UNIQUE INDEX "NodeJoinToken_tokenHash_key" ON "NodeJoinToken"("tokenHash");

-- CreateIndex
CREATE INDEX "NodeJoinToken_nodeName_idx" ON "NodeJoinToken"("nodeName");

