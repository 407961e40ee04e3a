-- The node dashboard's history: the host's load once a minute per node (NodeSample).

-- CreateTable
CREATE TABLE "NodeSample" (
    "id" INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
    "nodeId" TEXT NOT NULL,
    "at" DATETIME NOT NULL,
    "cpuPct" REAL,
    "cpuBusy" BIGINT NOT NULL,
    "cpuTotal" BIGINT NOT NULL,
    "load1" REAL NOT NULL,
    "memTotalBytes" BIGINT NOT NULL,
    "memUsedBytes" BIGINT NOT NULL,
    "poolTotalBytes" BIGINT NOT NULL,
    "poolUsedBytes" BIGINT NOT NULL,
    "containers" INTEGER NOT NULL,
    "running" INTEGER NOT NULL,
    CONSTRAINT "NodeSample_nodeId_fkey" FOREIGN KEY ("nodeId") REFERENCES "Node" ("id") ON DELETE CASCADE ON UPDATE CASCADE
);

-- CreateIndex
CREATE INDEX "NodeSample_at_idx" ON "NodeSample"("at");

-- CreateIndex
CREATE UNIQUE INDEX "NodeSample_nodeId_at_key" ON "NodeSample"("nodeId", "at");
