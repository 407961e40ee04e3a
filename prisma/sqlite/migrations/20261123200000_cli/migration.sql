-- The CLI (vzctl/prlctl/vzlist) shares this database with the panel: container names, descriptions and
-- onboot; the process that runs an operation; locks that hold across processes.

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Container" ADD COLUMN "name" TEXT;
ALTER TABLE "Container" ADD COLUMN "description" TEXT;
ALTER TABLE "Container" ADD COLUMN "onboot" BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE "Container" ADD COLUMN "nameservers" TEXT NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "Operation" ADD COLUMN "owner" TEXT;

-- CreateTable
CREATE TABLE "Lock" (
    "key" TEXT NOT NULL PRIMARY KEY,
    "owner" TEXT NOT NULL,
    "expiresAt" DATETIME NOT NULL
);

-- CreateIndex
CREATE UNIQUE INDEX "Container_nodeId_name_key" ON "Container"("nodeId", "name");
