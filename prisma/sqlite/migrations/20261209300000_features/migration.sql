-- Container features (native/src/features.ts: nesting, tun, fuse, keyctl): what a plan allows, what a reseller's
-- plans may allow, what a container has turned on. JSON arrays of feature names; none by default.

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Plan" ADD COLUMN "allowedFeatures" TEXT NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "Allocation" ADD COLUMN "features" TEXT NOT NULL DEFAULT '[]';

-- AlterTable
ALTER TABLE "Container" ADD COLUMN "features" TEXT NOT NULL DEFAULT '[]';
