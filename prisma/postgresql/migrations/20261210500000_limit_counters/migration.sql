-- The kernel's OOM kills and refused forks per container run, for the container.oom and container.limit_hit
-- notifications (server/services/notify/limit-events.ts).

-- AlterTable
ALTER TABLE "UsageCounter" ADD COLUMN "oomKills" INTEGER;
ALTER TABLE "UsageCounter" ADD COLUMN "forkFails" INTEGER;
