/**
 * The scheduler's settings, from the environment of the panel process (docs/backup-policies.md):
 * OVZ_BACKUP_JITTER_SEC (default 1800: each container's runs start within 30 minutes after the slot),
 * OVZ_BACKUP_CONCURRENCY (default 2 runs at once per node), OVZ_BACKUP_SCHEDULER_SEC (default 60: how often
 * it looks for due runs; 0 = off).
 */
function intEnv(name: string, dflt: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return dflt;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new Error(`${name} must be a whole number from ${min} to ${max} (it is "${raw}"); fix it and restart.`);
  return n;
}

export const jitterWindowSec = () => intEnv("OVZ_BACKUP_JITTER_SEC", 1800, 0, 86_400);
export const perNodeConcurrency = () => intEnv("OVZ_BACKUP_CONCURRENCY", 2, 1, 64);
export const schedulerIntervalSec = () => intEnv("OVZ_BACKUP_SCHEDULER_SEC", 60, 0, 3600);
