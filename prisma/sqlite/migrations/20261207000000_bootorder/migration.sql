-- Boot order (vzctl --bootorder): containers with a higher number start earlier when the node boots.

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Container" ADD COLUMN "bootorder" INTEGER;
