/**
 * Reading usage history (written by usage.ts): a container's points of a range (the tier that range
 * reads, averaged down to MAX_POINTS), and per-tenant totals of a day or month with their scopes.
 */
import type { Db } from "../db/client.js";
import type { Tier } from "./usage.js";
import { sampledFor, type Who } from "./scope.js";

export const RANGES = {
  "1h": { ms: 3600_000, tier: 10 },
  "24h": { ms: 86_400_000, tier: 10 },
  "7d": { ms: 7 * 86_400_000, tier: 300 },
  "30d": { ms: 30 * 86_400_000, tier: 300 },
  "1y": { ms: 366 * 86_400_000, tier: 3600 },
} as const;
export type Range = keyof typeof RANGES;
/** A graph never gets more points than this: finer rows are averaged in consecutive groups. */
export const MAX_POINTS = 1500;

export interface UsagePoint {
  /** ms since the epoch */
  t: number;
  cpuPct: number;
  memBytes: number;
  swapBytes: number;
  /** the RAM limit in force then (null: unlimited, or not known: sampled before the engine reported it) */
  ramLimitBytes: number | null;
  diskBytes: number | null;
  ioReadBps: number;
  ioWriteBps: number;
  netRxBps: number;
  netTxBps: number;
  nproc: number;
}

/** A container's points of a range, oldest first (averaged down to MAX_POINTS). */
export async function containerPoints(
  db: Db,
  containerId: string,
  range: Range,
  now: Date = new Date(),
): Promise<{ tier: Tier; points: UsagePoint[] }> {
  const { ms, tier } = RANGES[range];
  const rows = await db.usageSample.findMany({
    where: { containerId, tier, at: { gte: new Date(now.getTime() - ms) } },
    orderBy: { at: "asc" },
  });
  const pts: UsagePoint[] = rows.map((r) => ({
    t: r.at.getTime(),
    cpuPct: r.cpuPct,
    memBytes: Number(r.memBytes),
    swapBytes: Number(r.swapBytes),
    ramLimitBytes: r.ramLimitBytes === null ? null : Number(r.ramLimitBytes),
    diskBytes: r.diskBytes === null ? null : Number(r.diskBytes),
    ioReadBps: r.ioReadBps,
    ioWriteBps: r.ioWriteBps,
    netRxBps: r.netRxBps,
    netTxBps: r.netTxBps,
    nproc: r.nproc,
  }));
  // the bucket being filled holds only its elapsed part so far: show it as the average of that part
  const lastPt = pts.at(-1);
  const elapsed = lastPt && tier !== 10 ? now.getTime() - lastPt.t : 0;
  if (lastPt && elapsed > 0 && elapsed < tier * 1000) {
    const k = (tier * 1000) / Math.max(elapsed, 10_000);
    for (const f of ["cpuPct", "memBytes", "swapBytes", "ioReadBps", "ioWriteBps", "netRxBps", "netTxBps"] as const)
      lastPt[f] *= k;
  }
  if (pts.length <= MAX_POINTS) return { tier, points: pts };
  const size = Math.ceil(pts.length / MAX_POINTS);
  const out: UsagePoint[] = [];
  for (let i = 0; i < pts.length; i += size) {
    const grp = pts.slice(i, i + size);
    const avg = (f: (p: UsagePoint) => number) => grp.reduce((a, p) => a + f(p), 0) / grp.length;
    const disks = grp.filter((p) => p.diskBytes !== null);
    out.push({
      t: grp[0]!.t,
      cpuPct: avg((p) => p.cpuPct),
      memBytes: avg((p) => p.memBytes),
      swapBytes: avg((p) => p.swapBytes),
      // the highest limit of the group: an average that crossed a lower limit was under a raised one
      ramLimitBytes: grp.some((p) => p.ramLimitBytes !== null)
        ? Math.max(...grp.map((p) => p.ramLimitBytes ?? 0))
        : null,
      diskBytes: disks.length ? disks.reduce((a, p) => a + p.diskBytes!, 0) / disks.length : null,
      ioReadBps: avg((p) => p.ioReadBps),
      ioWriteBps: avg((p) => p.ioWriteBps),
      netRxBps: avg((p) => p.netRxBps),
      netTxBps: avg((p) => p.netTxBps),
      nproc: avg((p) => p.nproc),
    });
  }
  return { tier, points: out };
}

export interface UsageTotals {
  /** CPU time in core-hours (1 = one core busy for an hour) */
  cpuCoreHours: number;
  /** the tenant's containers' RAM together, averaged over the period's elapsed time */
  ramAvgBytes: number;
  /** the highest hourly average of the tenant's containers' RAM together */
  ramPeakBytes: number;
  /** disk space together, averaged like RAM */
  diskAvgBytes: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

/** Totals of a period with no usage. */
export const zeroTotals = (): UsageTotals => ({
  cpuCoreHours: 0,
  ramAvgBytes: 0,
  ramPeakBytes: 0,
  diskAvgBytes: 0,
  ioReadBytes: 0,
  ioWriteBytes: 0,
  netRxBytes: 0,
  netTxBytes: 0,
});

/**
 * Bounds of a "YYYY-MM" month in UTC, [start, end). setUTCFullYear, not Date.UTC: Date.UTC reads the
 * years 0–99 as 1900–1999.
 */
export function monthBounds(month: string): { start: Date; end: Date } {
  const [y, m] = month.split("-").map(Number) as [number, number];
  const first = (year: number, monthIndex: number) => {
    const d = new Date(0);
    d.setUTCFullYear(year, monthIndex, 1);
    return d;
  };
  return { start: first(y, m - 1), end: first(y, m) };
}

/**
 * Daily and monthly totals per tenant from the hourly rows (tier 3600: averages over the whole hour, so
 * each counts for 3600 s); RAM and disk averages are over the elapsed time of the day / month, the RAM
 * peak is the highest hourly average of the tenant's containers together. `scope` null = every tenant.
 */
export async function tenantTotals(
  db: Db,
  who: Who,
  month: string,
  now: Date = new Date(),
): Promise<Map<string, { month: UsageTotals; days: ({ day: string } & UsageTotals)[] }>> {
  const { start, end } = monthBounds(month);
  // The query asks only for times the databases can carry: the end of 9999-12 is in the year 10000,
  // which Prisma cannot send (so: up to the month's last millisecond), and no sample predates 1970.
  const from = start.getTime() < 0 ? new Date(0) : start;
  const last = new Date(end.getTime() - 1);
  if (last < from) return new Map();
  const groups = await db.usageSample.groupBy({
    by: ["tenantId", "at"],
    where: { AND: [{ tier: 3600, at: { gte: from, lte: last } }, sampledFor(who)] },
    _sum: {
      cpuPct: true,
      memBytes: true,
      diskBytes: true,
      ioReadBps: true,
      ioWriteBps: true,
      netRxBps: true,
      netTxBps: true,
    },
  });
  const elapsed = (from: number, to: number) => Math.max(0, Math.min(to, now.getTime()) - from) / 1000;
  type Acc = { t: UsageTotals; ramSec: number; diskSec: number };
  const out = new Map<string, { month: Acc; days: Map<string, Acc> }>();
  const add = (a: Acc, s: (typeof groups)[number]["_sum"], w: number) => {
    const mem = Number(s.memBytes ?? 0n);
    a.t.cpuCoreHours += ((s.cpuPct ?? 0) / 100) * (w / 3600);
    a.ramSec += mem * w;
    a.diskSec += Number(s.diskBytes ?? 0n) * w;
    a.t.ramPeakBytes = Math.max(a.t.ramPeakBytes, mem);
    a.t.ioReadBytes += (s.ioReadBps ?? 0) * w;
    a.t.ioWriteBytes += (s.ioWriteBps ?? 0) * w;
    a.t.netRxBytes += (s.netRxBps ?? 0) * w;
    a.t.netTxBytes += (s.netTxBps ?? 0) * w;
  };
  for (const grp of groups) {
    const w = 3600;
    let e = out.get(grp.tenantId);
    if (!e) out.set(grp.tenantId, (e = { month: { t: zeroTotals(), ramSec: 0, diskSec: 0 }, days: new Map() }));
    const day = grp.at.toISOString().slice(0, 10);
    let d = e.days.get(day);
    if (!d) e.days.set(day, (d = { t: zeroTotals(), ramSec: 0, diskSec: 0 }));
    add(e.month, grp._sum, w);
    add(d, grp._sum, w);
  }
  const finish = (a: Acc, from: number, to: number): UsageTotals => {
    const span = elapsed(from, to) || 1;
    return {
      ...a.t,
      ramAvgBytes: Math.round(a.ramSec / span),
      diskAvgBytes: Math.round(a.diskSec / span),
      ioReadBytes: Math.round(a.t.ioReadBytes),
      ioWriteBytes: Math.round(a.t.ioWriteBytes),
      netRxBytes: Math.round(a.t.netRxBytes),
      netTxBytes: Math.round(a.t.netTxBytes),
    };
  };
  const res = new Map<string, { month: UsageTotals; days: ({ day: string } & UsageTotals)[] }>();
  for (const [tenantId, e] of out) {
    const days = [...e.days.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([day, a]) => {
        const from = Date.parse(`${day}T00:00:00Z`);
        return { day, ...finish(a, from, from + 86_400_000) };
      });
    res.set(tenantId, { month: finish(e.month, start.getTime(), end.getTime()), days });
  }
  return res;
}
