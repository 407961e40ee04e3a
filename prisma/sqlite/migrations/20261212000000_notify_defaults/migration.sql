-- Notification defaults that admins and resellers set for their customers (docs/notifications.md): a JSON map per
-- channel, event -> on/off, on the tenant whose users below it they reach; "{}" = none (the event table's defaults).

-- AlterTable
ALTER TABLE "Tenant" ADD COLUMN "notifyDefaults" TEXT NOT NULL DEFAULT '{}';
