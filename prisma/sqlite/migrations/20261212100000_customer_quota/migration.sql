-- Customer self-service within quota: besides the count of containers (customerMaxContainers), totals of vCPUs,
-- RAM, disk and IP addresses over all of a customer's containers; 0 = no total.

-- AlterTable
ALTER TABLE "Plan" ADD COLUMN "customerMaxCpus" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Plan" ADD COLUMN "customerMaxRamMb" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Plan" ADD COLUMN "customerMaxDiskMb" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "Plan" ADD COLUMN "customerMaxIps" INTEGER NOT NULL DEFAULT 0;
