-- A plan chooses what happens to a container over its monthly traffic quota: throttle (as before) or suspend until
-- the next month. A seller who lifts such a suspension by hand waives it for that month (the container is throttled).

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN "trafficOverage" TEXT NOT NULL DEFAULT 'throttle';

-- AlterTable
ALTER TABLE "Container" ADD COLUMN "trafficWaived" TEXT;
