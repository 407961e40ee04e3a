/**
 * The browser's side of the live event stream (GET /api/events, server/http/events.ts), without React: what
 * an event message is, and which queries it makes stale. Events carry ids and kinds only; the data comes
 * again through tRPC, where its authorization is.
 */
import type { PanelEvent } from "../../server/services/events/bus.js";

export type { PanelEvent };

/** What a query cache must refetch after an event (LiveUpdates maps these to query filters). */
export type Stale =
  | { what: "operation"; operationId: string } // one live operation (useOperation)
  | { what: "operations" } // the operation lists and tables
  | { what: "containers" } // every container query (the page, the tables, the lists)
  | { what: "backups" };

const OP_PHASES = new Set(["created", "progress", "log", "finished"]);

/** The event in a message's data; null for anything else (never throws on a bad message). */
export function parseEvent(data: string): PanelEvent | null {
  let v: unknown;
  try {
    v = JSON.parse(data);
  } catch {
    return null;
  }
  if (!v || typeof v !== "object") return null;
  const e = v as Record<string, unknown>;
  const str = (k: string) => typeof e[k] === "string";
  if (e.kind === "container" && str("containerId") && str("tenantId")) return v as PanelEvent;
  if (e.kind === "operation" && OP_PHASES.has(e.phase as string) && str("operationId") && str("tenantId"))
    return v as PanelEvent;
  return null;
}

/** The queries an event makes stale. A log line or a progress step refetches the one live operation only. */
export function staleBy(e: PanelEvent): Stale[] {
  if (e.kind === "container") return [{ what: "containers" }];
  const out: Stale[] = [{ what: "operation", operationId: e.operationId }];
  if (e.phase === "progress" || e.phase === "created" || e.phase === "finished") out.push({ what: "operations" });
  if (e.phase === "finished" && ["backup", "restore", "snapshot", "clone", "migrate"].includes(e.type))
    out.push({ what: "backups" });
  return out;
}

/** The wait before reconnect attempt `n` (0, 1, …): 1 s doubling to 60 s, with up to 20 % jitter. */
export function backoffMs(n: number, random: () => number = Math.random): number {
  const base = Math.min(60_000, 1000 * 2 ** Math.min(n, 10));
  return Math.round(base * (1 + 0.2 * random()));
}

/** Polling while the stream is connected: a slow safety net (events of other processes, a lost event). */
export const SAFETY_NET_MS = 30_000;

/** `ms` when the stream is down; the safety net while it is up (never faster than `ms`). */
export function pollEvery(live: boolean, ms: number): number {
  return live ? Math.max(ms, SAFETY_NET_MS) : ms;
}
