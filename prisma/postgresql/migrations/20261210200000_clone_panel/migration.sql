-- Customers cloning their own containers in the panel: how many containers a customer of the plan may hold
-- that way (0: customers do not clone, their provider makes their containers).

-- AlterTable (ADD COLUMN: no row is copied or dropped)
ALTER TABLE "Plan" ADD COLUMN "customerMaxContainers" INTEGER NOT NULL DEFAULT 0;
