/**
 * The panel's live event bus: what changed, as ids and kinds only (the browser then asks tRPC for the data,
 * so authorization of data stays there). operations.ts publishes every operation's created, progress, log and
 * finished, and a container event when an operation on a container starts and ends (every state change of a
 * container is an operation: start, stop, suspend, destroy, create, …). GET /api/events (server/http/events.ts)
 * streams to each browser tab the events of the tenants its user may see.
 *
 * Per process: the bus lives in this process's memory (on globalThis: Next bundles the route handlers and the
 * instrumentation hook with their own copies of this module). Operations run by another process (a vzctl run,
 * a second panel process) are not seen here; the panel's slow polling (30 s) is the safety net for those.
 */
import { canSeeTenant } from "../scope.js";

export const OPERATION_PHASES = ["created", "progress", "log", "finished"] as const;
export type OperationPhase = (typeof OPERATION_PHASES)[number];

export type PanelEvent =
  | {
      kind: "operation";
      phase: OperationPhase;
      operationId: string;
      /** the operation's type (start, backup, …) */
      type: string;
      tenantId: string;
      containerId: string | null;
      /** with "finished": succeeded or failed */
      status?: string;
    }
  | { kind: "container"; containerId: string; tenantId: string };

export type Listener = (e: PanelEvent) => void;

const g = globalThis as unknown as { __ovzEventListeners?: Set<Listener> };
const listeners = (g.__ovzEventListeners ??= new Set());

/** Hands `e` to every subscriber now; a subscriber that throws is logged and does not stop the others. */
export function publish(e: PanelEvent): void {
  for (const l of [...listeners]) {
    try {
      l(e);
    } catch (err) {
      console.error("[panel] an event listener failed", err);
    }
  }
}

/** Subscribes `l`; returns the function that unsubscribes it. */
export function subscribe(l: Listener): () => void {
  listeners.add(l);
  return () => void listeners.delete(l);
}

/** How many subscribers there are (tests check that a closed stream leaves none behind). */
export function listenerCount(): number {
  return listeners.size;
}

/** Whether an actor seeing the tenants `scope` (visibleTenantIds: null = all) may receive `e`. */
export function eventVisible(scope: string[] | null, e: PanelEvent): boolean {
  return canSeeTenant(scope, e.tenantId);
}
