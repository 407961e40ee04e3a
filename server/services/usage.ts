/**
 * Usage history: CPU, RAM, swap, disk space, block I/O and network of every running container, sampled
 * at a fixed interval and kept at three resolutions (UsageSample.tier).
 *
 * sampleUsage() makes one container.usage and one container.net.stats call per node for the node's containers the
 * panel knows (cgroup counters of the running ones; interface counters), plus container.limits for disk space at
 * most every DISK_EVERY_MS per container (a quota read is not free; the value is cached in memory, a few per sample).
 * Rates come from the difference to the last counters (UsageCounter, so they survive panel restarts); a
 * new run of the container (another boot id "<initpid>-<starttime>", or a counter below the last one)
 * gives no rate for that sample: only its counters are stored (so do counters older than MAX_GAP_MS:
 * the panel was down; that time is not attributed). Each sampled container gets a tier-10 row (the fine
 * tier; one row per sample). The coarse tiers are time integrals, added to at every sample: the 5-minute
 * (300) and hourly (3600) row of the bucket being filled gets value × dt / bucket length (dt = the time
 * the sample's rates cover), so a row is the average over its whole bucket, a stopped container counting
 * as zero. That makes the tenants' totals exact (core-hours = Σ cpu × bucket length) where plain averages
 * of the samples would bill a container that ran 15 s of an hour for the whole hour. Exceptions: disk
 * space is the last value read (it exists while the container is stopped too), nproc the highest count, the
 * RAM limit (the kernel's, as the engine reports it) the highest in force during the bucket.
 * Retention: tier 10 for 24 h, tier 300 for 31 days, tier 3600 for 366 days.
 *
 * Cost: a fixed number of queries per sample whatever the number of containers (batch deletes/inserts in
 * one transaction per step, groupBy for the roll-ups), no query per container; id lists go in parts of at most
 * 500 (db/chunks.ts), so no query's parameters grow with the node.
 *
 * The panel samples every OVZ_USAGE_INTERVAL_SEC seconds (instrumentation.ts, default 10; 0 = off).
 * Reading the history (a range's points, tenants' totals) is usage-read.ts.
 */
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { chunks, inChunks } from "../db/chunks.js";
import { withLock } from "./locks.js";
import { sampleNodes } from "./node-stats.js";
import { countersOf, startSampler, type SamplerClock } from "./sampler.js";
import { emitLimitEvents, type LimitSample } from "./notify/limit-events.js";

export const TIERS = [10, 300, 3600] as const;
export type Tier = (typeof TIERS)[number];
/** How long each tier is kept. */
export const RETENTION_MS: Record<Tier, number> = { 10: 24 * 3600_000, 300: 31 * 86_400_000, 3600: 366 * 86_400_000 };
/** Disk space (a quota read) is refreshed this often per container … */
export const DISK_EVERY_MS = 5 * 60_000;
/** … and for at most this many containers per sample (spreads the reads of a big node). */
export const DISK_READS_PER_SAMPLE = 20;
/** Counters older than this give no rate (the panel or the sampler was down). */
export const MAX_GAP_MS = 10 * 60_000;

/** Start of the bucket of `tier` seconds that holds `t`. */
export function bucketOf(t: Date, tier: Tier): Date {
  const ms = tier * 1000;
  return new Date(Math.floor(t.getTime() / ms) * ms);
}

type DiskCache = Map<string, { bytes: bigint | null; at: number }>;
const g = globalThis as unknown as { __ovzUsageDisk?: DiskCache };
const diskCache: DiskCache = (g.__ovzUsageDisk ??= new Map());

/** Forget cached disk values (tests). */
export function resetUsageCaches(): void {
  diskCache.clear();
}

export interface UsageSampleResult {
  /** running containers of the panel the engine reported */
  sampled: number;
  /** tier-10 rows written (containers with a rate) */
  rows: number;
  /** containers whose counters restarted (new run) or were seen for the first time: no row this time */
  fresh: number;
  /** container.limits reads for disk space in this sample */
  diskReads: number;
}

interface SampleRow {
  containerId: string;
  tenantId: string;
  tier: Tier;
  at: Date;
  cpuPct: number;
  memBytes: bigint;
  swapBytes: bigint;
  ramLimitBytes: bigint | null;
  diskBytes: bigint | null;
  ioReadBps: number;
  ioWriteBps: number;
  netRxBps: number;
  netTxBps: number;
  nproc: number;
}

/** One sample of a node at `now`: rates into tier-10 rows, the roll-ups of the buckets being filled, retention. */
export async function sampleUsage(db: Db, nodeId: string, now: Date = new Date()): Promise<UsageSampleResult> {
  return withLock(db, `usage:${nodeId}`, async () => {
    const node = await db.node.findUniqueOrThrow({ where: { id: nodeId } });
    const engine = engineFor(node.endpoint);
    // the node's containers the panel knows: the engine is asked about those only
    const known = await db.container.findMany({
      where: { nodeId, state: { not: "creating" } },
      select: { id: true, ctid: true, tenantId: true, hostname: true },
    });
    const ctidsKnown = known.map((r) => r.ctid);
    const [usage, net] = await Promise.all([
      countersOf(engine, "container.usage", ctidsKnown),
      countersOf(engine, "container.net.stats", ctidsKnown),
    ]);
    const reported = new Set(usage.map((u) => u.ctid));
    const rows = known.filter((r) => reported.has(r.ctid));
    const byCtid = new Map(rows.map((r) => [r.ctid, r]));
    const ids = rows.map((r) => r.id);
    const last = new Map(
      (await inChunks(ids, (part) => db.usageCounter.findMany({ where: { containerId: { in: part } } }))).map((c) => [
        c.containerId,
        c,
      ]),
    );
    const netOf = new Map(net.filter((s) => s.running).map((s) => [s.ctid, s]));

    // disk space: the stalest few, at most every DISK_EVERY_MS each
    const stale = rows
      .filter((r) => now.getTime() - (diskCache.get(r.id)?.at ?? 0) >= DISK_EVERY_MS)
      .sort((a, b) => (diskCache.get(a.id)?.at ?? 0) - (diskCache.get(b.id)?.at ?? 0))
      .slice(0, DISK_READS_PER_SAMPLE);
    await Promise.all(
      stale.map(async (r) => {
        let bytes: bigint | null = null;
        try {
          bytes = BigInt(Math.trunc((await engine.call("container.limits", { ctid: r.ctid })).disk.bytes));
        } catch {
          // stopped or gone since: no value this time, retried after DISK_EVERY_MS
        }
        diskCache.set(r.id, { bytes, at: now.getTime() });
      }),
    );

    const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
    const samples: SampleRow[] = [];
    const counters: {
      containerId: string;
      boot: string;
      at: Date;
      cpuNs: bigint;
      ioRead: bigint;
      ioWrite: bigint;
      netRx: bigint;
      netTx: bigint;
      oomKills: number | null;
      forkFails: number | null;
    }[] = [];
    const limits: LimitSample[] = [];
    const dts = new Map<string, number>();
    let fresh = 0;
    for (const u of usage) {
      const c = byCtid.get(u.ctid);
      if (!c) continue; // not a container of the panel (yet, or any more)
      const n = netOf.get(u.ctid);
      const boot = n?.boot ?? `pid-${u.initPid}`;
      const k = {
        cpuNs: BigInt(Math.trunc(u.cpuNs)),
        ioRead: BigInt(Math.trunc(u.ioReadBytes)),
        ioWrite: BigInt(Math.trunc(u.ioWriteBytes)),
        netRx: BigInt(Math.trunc(n ? n.ifaces.reduce((a, i) => a + i.rxBytes, 0) : 0)),
        netTx: BigInt(Math.trunc(n ? n.ifaces.reduce((a, i) => a + i.txBytes, 0) : 0)),
      };
      const prev = last.get(c.id);
      const lim = { oomKills: u.oomKills ?? null, forkFails: u.forkFails ?? null };
      counters.push({ containerId: c.id, boot, at: new Date(u.sampledAt), ...k, ...lim });
      if (lim.oomKills !== null && lim.forkFails !== null) {
        const cur = { oomKills: lim.oomKills, forkFails: lim.forkFails };
        limits.push({ container: c, boot, cur, prev: prev ?? null });
      }
      const dtMs = prev ? u.sampledAt - prev.at.getTime() : 0;
      if (
        !prev ||
        prev.boot !== boot ||
        k.cpuNs < prev.cpuNs ||
        k.ioRead < prev.ioRead ||
        k.ioWrite < prev.ioWrite ||
        dtMs <= 0 ||
        dtMs > MAX_GAP_MS
      ) {
        fresh++;
        continue;
      }
      // net devices may be recreated
      const perSec = (cur: bigint, was: bigint) => (cur >= was ? Number(cur - was) / (dtMs / 1000) : 0);
      dts.set(c.id, dtMs / 1000);
      samples.push({
        containerId: c.id,
        tenantId: c.tenantId,
        tier: 10,
        at,
        cpuPct: (Number(k.cpuNs - prev.cpuNs) / (dtMs * 1e6)) * 100,
        memBytes: BigInt(Math.trunc(u.memBytes)),
        swapBytes: BigInt(Math.trunc(u.swapBytes ?? 0)),
        ramLimitBytes: u.memLimitBytes == null ? null : BigInt(Math.trunc(u.memLimitBytes)),
        diskBytes: diskCache.get(c.id)?.bytes ?? null,
        ioReadBps: perSec(k.ioRead, prev.ioRead),
        ioWriteBps: perSec(k.ioWrite, prev.ioWrite),
        netRxBps: perSec(k.netRx, prev.netRx),
        netTxBps: perSec(k.netTx, prev.netTx),
        nproc: u.nproc,
      });
    }

    const sampledIds = samples.map((s) => s.containerId);
    await db.$transaction([
      ...chunks(counters.map((c) => c.containerId)).map((part) =>
        db.usageCounter.deleteMany({ where: { containerId: { in: part } } }),
      ),
      db.usageCounter.createMany({ data: counters }),
      // a second sample in the same second (a very short interval) replaces the first
      ...chunks(sampledIds).map((part) =>
        db.usageSample.deleteMany({ where: { tier: 10, at, containerId: { in: part } } }),
      ),
      db.usageSample.createMany({ data: samples }),
    ]);
    if (samples.length) {
      await accumulate(db, samples, dts, 300, bucketOf(at, 300));
      await accumulate(db, samples, dts, 3600, bucketOf(at, 3600));
    }
    await pruneUsage(db, now);
    await emitLimitEvents(db, limits, now);
    return { sampled: rows.length, rows: samples.length, fresh, diskReads: stale.length };
  });
}

/**
 * Adds this sample's share to the `tier` rows of the bucket starting at `bucket`: each value × dt / the
 * bucket's length (rates and gauges alike), disk = the latest known, nproc and the RAM limit = the highest.
 * One read, one delete and one insert for all containers.
 */
async function accumulate(
  db: Db,
  samples: SampleRow[],
  dts: Map<string, number>,
  tier: 300 | 3600,
  bucket: Date,
): Promise<void> {
  const ids = samples.map((s) => s.containerId);
  const have = new Map(
    (
      await inChunks(ids, (part) => db.usageSample.findMany({ where: { tier, at: bucket, containerId: { in: part } } }))
    ).map((r) => [r.containerId, r]),
  );
  const rows: SampleRow[] = samples.map((s) => {
    const f = Math.min(dts.get(s.containerId)!, tier) / tier;
    const o = have.get(s.containerId);
    const big = (was: bigint | undefined, v: bigint) => (was ?? 0n) + BigInt(Math.round(Number(v) * f));
    return {
      containerId: s.containerId,
      tenantId: s.tenantId,
      tier,
      at: bucket,
      cpuPct: (o?.cpuPct ?? 0) + s.cpuPct * f,
      memBytes: big(o?.memBytes, s.memBytes),
      swapBytes: big(o?.swapBytes, s.swapBytes),
      // the highest limit in force during the bucket (null once unlimited): the average RAM stays under it
      ramLimitBytes:
        s.ramLimitBytes === null
          ? null
          : o?.ramLimitBytes != null && o.ramLimitBytes > s.ramLimitBytes
            ? o.ramLimitBytes
            : s.ramLimitBytes,
      diskBytes: s.diskBytes ?? o?.diskBytes ?? null,
      ioReadBps: (o?.ioReadBps ?? 0) + s.ioReadBps * f,
      ioWriteBps: (o?.ioWriteBps ?? 0) + s.ioWriteBps * f,
      netRxBps: (o?.netRxBps ?? 0) + s.netRxBps * f,
      netTxBps: (o?.netTxBps ?? 0) + s.netTxBps * f,
      nproc: Math.max(o?.nproc ?? 0, s.nproc),
    };
  });
  await db.$transaction([
    ...chunks(ids).map((part) => db.usageSample.deleteMany({ where: { tier, at: bucket, containerId: { in: part } } })),
    db.usageSample.createMany({ data: rows }),
  ]);
}

/** Deletes rows older than their tier's retention. */
export async function pruneUsage(db: Db, now: Date = new Date()): Promise<number> {
  const r = await db.$transaction(
    TIERS.map((tier) =>
      db.usageSample.deleteMany({ where: { tier, at: { lt: new Date(now.getTime() - RETENTION_MS[tier]) } } }),
    ),
  );
  return r.reduce((a, x) => a + x.count, 0);
}

// ---- the sampler ---------------------------------------------------------------------------------

/** One sample of every node; a node that fails is logged and skipped. */
export async function sampleUsageAllNodes(db: Db, now: Date = new Date()): Promise<void> {
  // the node dashboard's load sample rides on the same run (at most once a minute per node: node-stats.ts)
  await sampleNodes(db, now);
  for (const n of await db.node.findMany({ select: { id: true, name: true } })) {
    try {
      await sampleUsage(db, n.id, now);
    } catch (e) {
      console.error(
        `[panel] usage sample of node ${n.name} failed; the next one retries`,
        e instanceof Error ? e.message : e,
      );
    }
  }
}

/** Interval in seconds from OVZ_USAGE_INTERVAL_SEC (default 10; 0 = no sampling). */
export function usageInterval(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OVZ_USAGE_INTERVAL_SEC?.trim();
  if (raw === undefined || raw === "") return 10;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`[panel] OVZ_USAGE_INTERVAL_SEC="${raw}" is not a number of seconds; using 10`);
    return 10;
  }
  return n;
}

/**
 * Starts the sampler: one run at a time, backing off when a run takes longer than the interval (sampler.ts).
 * Returns a stop function, or null when off.
 */
export function startUsageSampler(
  db: () => Db,
  seconds: number = usageInterval(),
  clock?: SamplerClock,
): (() => void) | null {
  if (seconds <= 0) return null;
  const s = startSampler({
    name: "usage sampler",
    intervalMs: seconds * 1000,
    run: () => sampleUsageAllNodes(db()),
    clock,
  });
  return () => s.stop();
}
