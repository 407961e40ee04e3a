-- Migration between nodes: an operation remembers its destination node, so the recovery after a crash of
-- the process running it can finish the move (the container runs there) or undo it.

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Operation" ADD COLUMN "targetNodeId" TEXT;
