-- The RAM limit in force at each usage sample (read from the kernel by the engine), so that the usage graphs draw
-- the limit line as it was at each point, not today's value over the whole history.

-- AlterTable
ALTER TABLE "UsageSample" ADD COLUMN "ramLimitBytes" BIGINT;
