-- Nodes on other hosts join with a one-time token (ovz-node join): only its sha256 is stored; it works
-- once, within an hour. The join creates the Node (endpoint tls://listen).

-- CreateTable
CREATE TABLE "NodeJoinToken" (
    "id" TEXT NOT NULL,
    "nodeName" TEXT NOT NULL,
    "listen" TEXT NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),
    "revokedAt" TIMESTAMP(3),
    "createdBy" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "NodeJoinToken_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "NodeJoinToken_tokenHash_key" ON "NodeJoinToken"("tokenHash");

-- CreateIndex
CREATE INDEX "NodeJoinToken_nodeName_idx" ON "NodeJoinToken"("nodeName");

