/**
 * The node dashboard (Nodes page): each node's load — CPU, load average, memory, pool, containers — now and over
 * time. The usage sampler's run also samples every node's host.stats, at most once a minute per node (one engine
 * call and one row per node; nothing per container), and prunes rows older than 30 days in the same pass.
 * CPU % is made from the cumulative counters of two samples in a row, so the engine keeps no state.
 */
import type { Result } from "../../native/src/protocol/schema.js";
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { isUnreachable, nodeAnswered, nodeUnreachable } from "./notify/node-watch.js";

export const NODE_SAMPLE_EVERY_MS = 60_000;
export const NODE_SAMPLE_KEEP_DAYS = 30;
const DAY_MS = 86_400_000;

type HostStats = Result<"host.stats">;

/** CPU busy between two cumulative readings, in % of all CPUs; null when the counters went back (a reboot). */
export function cpuPercent(prev: { busy: number; total: number } | null, cur: { busy: number; total: number }) {
  if (!prev) return null;
  const dt = cur.total - prev.total;
  const db = cur.busy - prev.busy;
  if (dt <= 0 || db < 0) return null;
  return Math.min(100, Math.round((db / dt) * 1000) / 10);
}

/** One node's sample, unless its last one is younger than a minute; returns what was stored, or null. */
export async function sampleNode(
  db: Db,
  node: { id: string; endpoint: string },
  now: Date = new Date(),
  ask: (endpoint: string) => Promise<HostStats> = (ep) => engineFor(ep).call("host.stats", {}),
) {
  const last = await db.nodeSample.findFirst({ where: { nodeId: node.id }, orderBy: { at: "desc" } });
  if (last && now.getTime() - last.at.getTime() < NODE_SAMPLE_EVERY_MS) return null;
  const s = await ask(node.endpoint);
  const prev = last ? { busy: Number(last.cpuBusy), total: Number(last.cpuTotal) } : null;
  return db.nodeSample.create({
    data: {
      nodeId: node.id,
      at: now,
      cpuPct: cpuPercent(prev, s.cpu),
      cpuBusy: BigInt(Math.round(s.cpu.busy)),
      cpuTotal: BigInt(Math.round(s.cpu.total)),
      load1: s.load[0],
      memTotalBytes: BigInt(s.memory.totalBytes),
      memUsedBytes: BigInt(Math.max(0, s.memory.totalBytes - s.memory.availableBytes)),
      poolTotalBytes: BigInt(s.pool.totalBytes),
      poolUsedBytes: BigInt(Math.max(0, s.pool.totalBytes - s.pool.freeBytes)),
      containers: s.containers.total,
      running: s.containers.running,
    },
  });
}

/**
 * Every node's sample (a node that does not answer is logged and skipped; node-watch.ts tells the
 * administrators when it stays away), then the old rows' pruning.
 */
export async function sampleNodes(db: Db, now: Date = new Date()): Promise<void> {
  for (const n of await db.node.findMany({ select: { id: true, name: true, endpoint: true } })) {
    try {
      // a stored sample means the engine answered; null: not due yet (not asked)
      if (await sampleNode(db, n, now)) await nodeAnswered(db, n, now);
    } catch (e) {
      console.error(`[panel] load sample of node ${n.name} failed; the next one retries:`, (e as Error).message);
      if (isUnreachable(e)) await nodeUnreachable(db, n, (e as Error).message, now);
    }
  }
  await db.nodeSample.deleteMany({ where: { at: { lt: new Date(now.getTime() - NODE_SAMPLE_KEEP_DAYS * DAY_MS) } } });
}

const num = (b: bigint) => Number(b);

/** The node's load now (asked of its engine) and its history since `hours` ago, oldest first. */
export async function nodeStats(
  db: Db,
  node: { id: string; endpoint: string },
  hours: number,
  now: Date = new Date(),
  ask: (endpoint: string) => Promise<HostStats> = (ep) => engineFor(ep).call("host.stats", {}),
) {
  const [current, rows] = await Promise.all([
    ask(node.endpoint),
    db.nodeSample.findMany({
      where: { nodeId: node.id, at: { gte: new Date(now.getTime() - hours * 3_600_000) } },
      orderBy: { at: "asc" },
      take: Math.ceil((hours * 3_600_000) / NODE_SAMPLE_EVERY_MS) + 10,
    }),
  ]);
  const last = rows.at(-1);
  return {
    current: {
      ...current,
      /** since the last stored sample (null without one) */
      cpuPct: last ? cpuPercent({ busy: num(last.cpuBusy), total: num(last.cpuTotal) }, current.cpu) : null,
    },
    history: rows.map((r) => ({
      at: r.at.getTime(),
      cpuPct: r.cpuPct,
      load1: r.load1,
      memUsedBytes: num(r.memUsedBytes),
      memTotalBytes: num(r.memTotalBytes),
      poolUsedBytes: num(r.poolUsedBytes),
      poolTotalBytes: num(r.poolTotalBytes),
      containers: r.containers,
      running: r.running,
    })),
  };
}
