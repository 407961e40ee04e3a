/**
 * Start or stop several containers at once (the containers table's "Start selected" / "Stop selected"): one
 * normal operation per container, each checked as a single start or stop is; what is refused is reported per
 * container in a sentence, the rest starts.
 */
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import type { AuditCtx } from "./audit.js";
import { containerAction } from "./container-lifecycle.js";
import { ownedBy } from "./scope.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

/** At most one table page at a time. */
export const BULK_MAX = 100;

export interface BulkResult {
  containerId: string;
  /** "ctid (hostname)", or the id when the container is not visible */
  label: string;
  operationId: string | null;
  /** why it was refused, a sentence; null when its operation started */
  error: string | null;
}

export async function bulkAction(ctx: Ctx, containerIds: string[], action: "start" | "stop") {
  const ids = [...new Set(containerIds)].slice(0, BULK_MAX);
  const found = await ctx.db.container.findMany({
    where: { AND: [{ id: { in: ids } }, ownedBy(ctx.actor)] },
    include: { plan: true, node: true, tenant: true },
  });
  const byId = new Map(found.map((c) => [c.id, c]));
  const results: BulkResult[] = [];
  for (const id of ids) {
    const c = byId.get(id);
    if (!c) {
      results.push({ containerId: id, label: id, operationId: null, error: "No such container (or it is not yours)." });
      continue;
    }
    const label = `${c.ctid} (${c.hostname})`;
    const already = action === "start" ? c.state === "running" : c.state === "stopped";
    if (already) {
      const error = `Container ${label} is already ${action === "start" ? "running" : "stopped"}.`;
      results.push({ containerId: id, label, operationId: null, error });
      continue;
    }
    try {
      const op = await containerAction(ctx, c, action);
      results.push({ containerId: id, label, operationId: op.id, error: null });
    } catch (e) {
      const error = e instanceof Error ? e.message : String(e);
      results.push({ containerId: id, label, operationId: null, error: `Container ${label}: ${error}` });
    }
  }
  const started = results.filter((r) => r.error === null).length;
  return { action, started, refused: results.length - started, results };
}
