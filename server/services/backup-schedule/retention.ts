/**
 * Retention of a policy's backups (or snapshots), with Proxmox VE's prune-backups semantics for keep-daily,
 * keep-weekly and keep-monthly, in UTC:
 * - the items are taken newest first; the rules run in the order daily, weekly, monthly;
 * - a rule with count N walks the items not yet marked and keeps the newest item of each period (UTC day,
 *   ISO week, calendar month) until it has kept N periods; the other items of a period it kept are marked
 *   "remove" (so a later rule cannot keep them); a period that already holds an item kept by an earlier
 *   rule is skipped and does not use up the count;
 * - whatever no rule kept is removed.
 * A policy must keep something (the panel refuses all three at 0), so "keep all" (Proxmox's default) never
 * applies. Browser-safe (no imports).
 */

export interface Retention {
  keepDaily: number;
  keepWeekly: number;
  keepMonthly: number;
}

export interface Dated {
  id: string;
  at: Date;
}

const pad = (n: number) => String(n).padStart(2, "0");

export const dayKey = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
export const monthKey = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}`;

/** ISO 8601 week of a UTC date ("2026-W01"): weeks start on Monday; week 1 holds the year's first Thursday. */
export function isoWeekKey(d: Date): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()));
  const dow = t.getUTCDay() || 7; // Monday 1 … Sunday 7
  t.setUTCDate(t.getUTCDate() + 4 - dow); // the Thursday of this week decides its year
  const year = t.getUTCFullYear();
  const week = Math.ceil(((t.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${pad(week)}`;
}

/** Splits items into those to keep and those to remove (each list newest first). */
export function selectRetained<T extends Dated>(items: readonly T[], r: Retention): { keep: T[]; remove: T[] } {
  const sorted = [...items].sort((a, b) => b.at.getTime() - a.at.getTime() || (a.id < b.id ? 1 : -1));
  const mark = new Map<string, "keep" | "remove">();
  const rules: [number, (d: Date) => string][] = [
    [r.keepDaily, dayKey],
    [r.keepWeekly, isoWeekKey],
    [r.keepMonthly, monthKey],
  ];
  for (const [count, key] of rules) {
    if (count <= 0) continue;
    const already = new Set(sorted.filter((x) => mark.get(x.id) === "keep").map((x) => key(x.at)));
    const newly = new Set<string>();
    for (const x of sorted) {
      const k = key(x.at);
      if (mark.has(x.id) || already.has(k)) continue;
      if (!newly.has(k)) {
        if (newly.size >= count) break;
        newly.add(k);
        mark.set(x.id, "keep");
      } else mark.set(x.id, "remove");
    }
  }
  return {
    keep: sorted.filter((x) => mark.get(x.id) === "keep"),
    remove: sorted.filter((x) => mark.get(x.id) !== "keep"),
  };
}

/** The most items a retention can keep (each rule keeps at most its count): checked against the plan's cap. */
export const maxKept = (r: Retention) => r.keepDaily + r.keepWeekly + r.keepMonthly;
