/**
 * Traffic accounting and the monthly traffic quota.
 *
 * sampleTraffic() reads the interface counters of a node's running containers the panel knows (container.net.stats),
 * turns them into deltas against the last seen values (TrafficCounter) and adds them to the container's
 * row of the UTC day (TrafficDaily). The engine's counters restart from zero when a container restarts
 * (its devices are recreated): a new boot id in the stats (or, as a fallback, a counter below the last
 * seen value) means exactly that, and the delta is the new value; a stopped container's last seen values
 * are reset to zero for the same reason. Rows belong to the container (not its ctid), so a ctid reused by
 * a new container starts its own history.
 *
 * Then the quota: a container whose rx + tx of the current UTC month exceeds its plan's trafficQuotaGb
 * (10^9 bytes) is throttled to the plan's throttleKbit (container.net.set rate, live); in a new month, or
 * when the quota was raised, it gets its plan's normal rate back. Each change is audited, and a throttle is told
 * to the container's tenant and sellers (container.throttled). A plan whose trafficOverage is "suspend" suspends
 * the container instead (traffic-overage.ts) and unsuspends it in the same cases.
 *
 * The panel samples every OVZ_TRAFFIC_INTERVAL_SEC seconds (instrumentation.ts, default 60; 0 = off).
 */
import { isEngineError } from "../errors.js";
import type { Db, Prisma } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { audit } from "./audit.js";
import { withLock } from "./locks.js";
import { lastDays, monthDays, utcDay, utcMonth } from "./months.js";
import { pushNet, rateOf } from "./network.js";
import type { FullContainer } from "./container-state.js";
import { quotaThrottled } from "./notify/hooks.js";
import { countersOf, startSampler, type SamplerClock } from "./sampler.js";
import {
  applyOverageSuspension,
  suspendsOnOverage,
  TRAFFIC_ACTOR_LABEL,
  trafficSuspendReason,
} from "./traffic-overage.js";

export const GB = 1_000_000_000n;

export { lastDays, monthDays, utcDay, utcMonth };

const SYSTEM = { actor: null, ip: null, userAgent: null } as const;

export interface SampleResult {
  /** containers whose counters were read */
  sampled: number;
  /** bytes added to the day's rows (rx + tx) */
  addedBytes: bigint;
  throttled: number[];
  unthrottled: number[];
  suspended: number[];
  unsuspended: number[];
}

/** One sample of a node: deltas into TrafficDaily of `now`'s UTC day, then the quota. */
export async function sampleTraffic(db: Db, nodeId: string, now: Date = new Date()): Promise<SampleResult> {
  return withLock(db, `traffic:${nodeId}`, async () => {
    const node = await db.node.findUniqueOrThrow({ where: { id: nodeId } });
    const rows = await db.container.findMany({
      where: { nodeId, state: { not: "creating" } },
      select: { id: true, ctid: true, tenantId: true },
    });
    // the node's containers the panel knows: the engine is asked about those only
    const stats = await countersOf(
      engineFor(node.endpoint),
      "container.net.stats",
      rows.map((r) => r.ctid),
    );
    const byCtid = new Map(rows.map((r) => [r.ctid, r]));
    const last = new Map((await db.trafficCounter.findMany({ where: { nodeId } })).map((c) => [c.ctid, c]));
    const day = utcDay(now);
    let sampled = 0;
    let addedBytes = 0n;
    for (const s of stats) {
      const c = byCtid.get(s.ctid);
      if (!c) continue; // not a container of the panel (yet, or any more)
      const prev = last.get(s.ctid);
      if (!s.running) {
        // its devices are gone: the next start counts from zero
        if (prev && (prev.rxBytes !== 0n || prev.txBytes !== 0n)) {
          await db.trafficCounter.update({
            where: { nodeId_ctid: { nodeId, ctid: s.ctid } },
            data: { rxBytes: 0n, txBytes: 0n },
          });
        }
        continue;
      }
      sampled++;
      const rx = BigInt(Math.trunc(s.ifaces.reduce((a, i) => a + i.rxBytes, 0)));
      const tx = BigInt(Math.trunc(s.ifaces.reduce((a, i) => a + i.txBytes, 0)));
      const restarted = prev !== undefined && prev.boot !== null && s.boot !== null && prev.boot !== s.boot;
      const delta = (cur: bigint, was: bigint | undefined) =>
        was === undefined || restarted ? cur : cur >= was ? cur - was : cur;
      const drx = delta(rx, prev?.rxBytes);
      const dtx = delta(tx, prev?.txBytes);
      await db.trafficCounter.upsert({
        where: { nodeId_ctid: { nodeId, ctid: s.ctid } },
        create: { nodeId, ctid: s.ctid, rxBytes: rx, txBytes: tx, boot: s.boot },
        update: { rxBytes: rx, txBytes: tx, boot: s.boot },
      });
      if (drx === 0n && dtx === 0n) continue;
      await db.trafficDaily.upsert({
        where: { containerId_day: { containerId: c.id, day } },
        create: { nodeId, ctid: s.ctid, day, containerId: c.id, tenantId: c.tenantId, rxBytes: drx, txBytes: dtx },
        update: { rxBytes: { increment: drx }, txBytes: { increment: dtx }, tenantId: c.tenantId },
      });
      addedBytes += drx + dtx;
    }
    const { throttled, unthrottled, suspended, unsuspended } = await applyTrafficQuota(db, { nodeId }, now);
    return { sampled, addedBytes, throttled, unthrottled, suspended, unsuspended };
  });
}

/**
 * rx and tx in a month (UTC) of the containers `containers` picks (a relation filter, not a list of ids: a node
 * or a plan may have more containers than a query may take parameters), by container id.
 */
export async function monthTotals(
  db: Db,
  containers: Prisma.ContainerWhereInput,
  month: string,
): Promise<Map<string, { rxBytes: bigint; txBytes: bigint }>> {
  const g = await db.trafficDaily.groupBy({
    by: ["containerId"],
    where: { container: containers, day: monthDays(month) },
    _sum: { rxBytes: true, txBytes: true },
  });
  return new Map(
    g
      .filter((r) => r.containerId)
      .map((r) => [r.containerId!, { rxBytes: BigInt(r._sum.rxBytes ?? 0n), txBytes: BigInt(r._sum.txBytes ?? 0n) }]),
  );
}

/**
 * Throttles containers over their plan's monthly quota and unthrottles those back under it (new month,
 * raised quota); on a plan whose overage is "suspend", suspends them instead and unsuspends them when they are
 * back under it (traffic-overage.ts). `where` picks the containers (a node's, or a plan's after an edit).
 */
export async function applyTrafficQuota(
  db: Db,
  where: { nodeId?: string; planId?: string },
  now: Date = new Date(),
): Promise<QuotaResult> {
  const month = utcMonth(now);
  const containers = await db.container.findMany({
    where: { ...where, state: { not: "creating" } },
    include: { plan: true, node: true, tenant: true },
  });
  const totals = await monthTotals(db, { ...where, state: { not: "creating" } }, month);
  const out: QuotaResult = { throttled: [], unthrottled: [], suspended: [], unsuspended: [], changedIds: [] };
  for (const c of containers) {
    const t = totals.get(c.id);
    const used = t ? t.rxBytes + t.txBytes : 0n;
    const over = c.plan.trafficQuotaGb > 0 && used > BigInt(c.plan.trafficQuotaGb) * GB;
    const suspends = suspendsOnOverage(c, month);
    const change = await applyOverageSuspension(db, c, over && suspends, () =>
      trafficSuspendReason(used, c.plan.trafficQuotaGb, month),
    );
    if (change) out[change].push(c.ctid);
    const throttle = over && !suspends;
    if (throttle !== c.throttled && (await setThrottled(db, c, throttle, { month, used }))) {
      (throttle ? out.throttled : out.unthrottled).push(c.ctid);
      out.changedIds.push(c.id);
    }
  }
  return out;
}

export interface QuotaResult {
  throttled: number[];
  unthrottled: number[];
  suspended: number[];
  unsuspended: number[];
  /** containers whose rate changed */
  changedIds: string[];
}

/** Sets a container's rate to its plan's throttled or normal one, audited; false when the node did not take it. */
async function setThrottled(
  db: Db,
  c: FullContainer,
  throttle: boolean,
  at: { month: string; used: bigint },
): Promise<boolean> {
  const rate = rateOf(c.plan, throttle);
  try {
    await pushNet(c, { rate });
  } catch (e) {
    // the node lost it (or is unreachable): the next sample tries again
    if (!isEngineError(e, "NOT_FOUND"))
      console.error(`[panel] traffic quota: cannot change the rate of container ${c.ctid}`, e);
    return false;
  }
  await db.container.update({ where: { id: c.id }, data: { throttled: throttle } });
  await audit(
    { db, ...SYSTEM },
    {
      action: throttle ? "container.throttle" : "container.unthrottle",
      target: `container ${c.ctid} (${c.hostname})`,
      tenantId: c.tenantId,
      actorLabel: TRAFFIC_ACTOR_LABEL,
      details: {
        month: at.month,
        usedBytes: at.used.toString(),
        quotaGb: c.plan.trafficQuotaGb,
        rateKbit: rate.inKbit,
      },
    },
  );
  if (throttle) await quotaThrottled(db, c, at.used, rate.inKbit);
  return true;
}

/**
 * After a plan's bandwidth, throttle rate or quota changed: the quota is re-checked (a raised quota
 * unthrottles at once) and every other container of the plan gets its rate (best effort: a node that
 * cannot be reached gets it at the container's next start or rate change).
 */
export async function applyPlanNetwork(db: Db, planId: string, now: Date = new Date()): Promise<void> {
  const changed = await applyTrafficQuota(db, { planId }, now);
  const done = new Set(changed.changedIds);
  const containers = await db.container.findMany({
    where: { planId, state: { not: "creating" } },
    include: { plan: true, node: true },
  });
  for (const c of containers) {
    if (done.has(c.id)) continue;
    try {
      await pushNet(c, { rate: rateOf(c.plan, c.throttled) });
    } catch (e) {
      if (!isEngineError(e, "NOT_FOUND"))
        console.error(
          `[panel] plan change: cannot set the rate of container ${c.ctid}`,
          e instanceof Error ? e.message : e,
        );
    }
  }
}

/** One sample of every node; a node that fails is logged and skipped. */
export async function sampleAllNodes(db: Db, now: Date = new Date()): Promise<void> {
  for (const n of await db.node.findMany({ select: { id: true, name: true } })) {
    try {
      await sampleTraffic(db, n.id, now);
    } catch (e) {
      console.error(
        `[panel] traffic sample of node ${n.name} failed; the next one retries`,
        e instanceof Error ? e.message : e,
      );
    }
  }
}

/** Interval in seconds from OVZ_TRAFFIC_INTERVAL_SEC (default 60; 0 = no sampling). */
export function trafficInterval(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.OVZ_TRAFFIC_INTERVAL_SEC?.trim();
  if (raw === undefined || raw === "") return 60;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) {
    console.error(`[panel] OVZ_TRAFFIC_INTERVAL_SEC="${raw}" is not a number of seconds; using 60`);
    return 60;
  }
  return n;
}

/**
 * Starts the sampler: one run at a time, backing off when a run takes longer than the interval (sampler.ts).
 * Returns a stop function, or null when the interval is 0.
 */
export function startTrafficSampler(
  db: () => Db,
  seconds: number = trafficInterval(),
  clock?: SamplerClock,
): (() => void) | null {
  if (seconds <= 0) return null;
  const s = startSampler({
    name: "traffic sampler",
    intervalMs: seconds * 1000,
    run: () => sampleAllNodes(db()),
    clock,
  });
  return () => s.stop();
}
