/**
 * Runs once when the panel server starts (Next.js instrumentation hook): repair what a previous panel
 * process left unfinished (server/services/recovery.ts), then start the traffic sampler
 * (server/services/traffic.ts; every OVZ_TRAFFIC_INTERVAL_SEC seconds, default 60, 0 = off) and the usage
 * sampler (server/services/usage.ts; every OVZ_USAGE_INTERVAL_SEC seconds, default 10, 0 = off), and the
 * backup scheduler (server/services/backup-schedule/; every OVZ_BACKUP_SCHEDULER_SEC seconds, default 60), the
 * notification delivery worker (server/services/notify/worker.ts; every OVZ_NOTIFY_INTERVAL_SEC seconds, default 5,
 * and soon after a new notification; 0 = off).
 */
export async function register(): Promise<void> {
  if (process.env.NEXT_RUNTIME !== "nodejs") return;
  const { db } = await import("./server/db/client.js");
  const { recoverAfterRestart } = await import("./server/services/recovery.js");
  try {
    const r = await recoverAfterRestart(db());
    if (r.operations || r.removed || r.synced)
      console.log(
        `[panel] recovery: ${r.operations} interrupted operation(s) marked failed, ${r.removed} unfinished container(s) removed, ${r.synced} synced`,
      );
  } catch (e) {
    console.error(
      "[panel] recovery after restart failed; the panel runs on, stale operations stay until the next start",
      e,
    );
  }
  try {
    const { startTrafficSampler, trafficInterval } = await import("./server/services/traffic.js");
    const seconds = trafficInterval();
    if (startTrafficSampler(db, seconds)) console.log(`[panel] traffic sampler: every ${seconds} s`);
    else console.log("[panel] traffic sampler: off (OVZ_TRAFFIC_INTERVAL_SEC=0)");
  } catch (e) {
    console.error("[panel] the traffic sampler could not start; traffic is not counted until the next start", e);
  }
  try {
    const { startUsageSampler, usageInterval } = await import("./server/services/usage.js");
    const seconds = usageInterval();
    if (startUsageSampler(db, seconds)) console.log(`[panel] usage sampler: every ${seconds} s`);
    else console.log("[panel] usage sampler: off (OVZ_USAGE_INTERVAL_SEC=0)");
  } catch (e) {
    console.error("[panel] the usage sampler could not start; usage history is not recorded until the next start", e);
  }
  try {
    const { schedulerIntervalSec } = await import("./server/services/backup-schedule/config.js");
    const { createBackupScheduler } = await import("./server/services/backup-schedule/scheduler.js");
    const seconds = schedulerIntervalSec();
    if (seconds > 0) {
      createBackupScheduler({ db: db() }).start(seconds * 1000);
      console.log(`[panel] backup scheduler: every ${seconds} s`);
    } else console.log("[panel] backup scheduler: off (OVZ_BACKUP_SCHEDULER_SEC=0)");
  } catch (e) {
    console.error("[panel] the backup scheduler could not start; scheduled backups wait for the next start", e);
  }
  try {
    const { DeliveryWorker } = await import("./server/services/notify/worker.js");
    const raw = process.env.OVZ_NOTIFY_INTERVAL_SEC;
    const seconds = raw === undefined || raw === "" ? 5 : Number(raw);
    if (Number.isFinite(seconds) && seconds > 0) {
      new DeliveryWorker(db()).start(seconds * 1000);
      console.log(`[panel] notification delivery: every ${seconds} s`);
    } else console.log("[panel] notification delivery: off (OVZ_NOTIFY_INTERVAL_SEC=0)");
  } catch (e) {
    console.error("[panel] the notification worker could not start; notifications wait for the next start", e);
  }
}
