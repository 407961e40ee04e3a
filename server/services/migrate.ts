/**
 * Migration of a container to another node (vzmigrate; admins only): an operation that drives both nodes'
 * engines through native/src/protocol/migrate-run.ts, relaying the bytes through this process (nodes trust
 * only the control plane). The log shows each phase, the bytes moved and the measured frozen time. On
 * success the container's row, and its addresses, move to the target node; on failure nothing moves
 * (the engines undo their side: the container keeps running on the source).
 */
import type { Actor } from "../auth/roles.js";
import type { Db, Node } from "../db/client.js";
import { dialerFor, engineFor } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { migrate } from "../../native/src/protocol/migrate-run.js";
import { audit, type AuditCtx } from "./audit.js";
import type { FullContainer } from "./containers.js";
import { startOperation } from "./operations.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

export interface MigrateInput {
  targetNodeId: string;
  /** live: copy while running, freeze + dump, restore on the target (CRIU); else stop, copy, start */
  live: boolean;
}

/** Checks that need no engine: a different, known node; no CTID or address clash there. */
export async function checkMigration(db: Db, c: FullContainer, input: MigrateInput): Promise<Node> {
  if (c.state === "creating") throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  const target = await db.node.findUnique({ where: { id: input.targetNodeId } });
  if (!target) throw new PanelError("NOT_FOUND", "No such node.", { targetNodeId: "choose a registered node" });
  if (target.id === c.nodeId) throw new PanelError("BAD_REQUEST", `Container ${c.ctid} already runs on ${target.name}; choose another node.`, { targetNodeId: "choose another node" });
  const clash = await db.container.findFirst({ where: { nodeId: target.id, ctid: c.ctid }, select: { hostname: true } });
  if (clash) throw new PanelError("CONFLICT", `Node ${target.name} already has a container ${c.ctid} (${clash.hostname}); container ids stay the same when they move.`, { targetNodeId: "CTID in use there" });
  const mine = await db.ipAddress.findMany({ where: { containerId: c.id }, select: { address: true } });
  if (mine.length) {
    const taken = await db.ipAddress.findMany({ where: { nodeId: target.id, address: { in: mine.map((a) => a.address) } }, select: { address: true } });
    if (taken.length) {
      throw new PanelError("CONFLICT", `Address ${taken.map((t) => t.address).join(", ")} is already in use on ${target.name}; free it there first.`, { targetNodeId: "address in use there" });
    }
  }
  return target;
}

export async function migrateContainer(ctx: Ctx, c: FullContainer, input: MigrateInput) {
  const target = await checkMigration(ctx.db, c, input);
  const source = c.node;
  const kind = input.live ? "live" : "offline";
  const started = await startOperation(
    ctx.db,
    ctx.actor,
    { type: "migrate", tenantId: c.tenantId, containerId: c.id, message: `${kind} migration of container ${c.ctid} to ${target.name}` },
    async (op) => {
      const r = await migrate({
        ctid: c.ctid,
        live: input.live,
        source: { name: source.name, endpoint: source.endpoint, engine: engineFor(source.endpoint) },
        target: { name: target.name, endpoint: target.endpoint, engine: engineFor(target.endpoint) },
        dial: dialerFor(source.endpoint, target.endpoint),
        log: op.log,
        progress: op.progress,
      });
      await ctx.db.$transaction([
        ctx.db.container.update({ where: { id: c.id }, data: { nodeId: target.id, state: r.info.state } }),
        // an address goes with its container (its pool stays where it was defined)
        ctx.db.ipAddress.updateMany({ where: { containerId: c.id }, data: { nodeId: target.id } }),
      ]);
      const frozen = r.frozenMs === null ? "" : `, ${input.live ? "frozen" : "down"} ${r.frozenMs} ms`;
      op.log(`container ${c.ctid} now runs on ${target.name} (${r.totalMs} ms in all${frozen})`);
      await audit(ctx, {
        action: "container.migrated",
        target: `container ${c.ctid} (${c.hostname})`,
        tenantId: c.tenantId,
        details: { from: source.name, to: target.name, live: input.live, totalMs: r.totalMs, frozenMs: r.frozenMs, bytes: r.bytes, warning: r.warning },
      });
    },
  );
  await audit(ctx, { action: "container.migrate", target: `container ${c.ctid} (${c.hostname})`, tenantId: c.tenantId, details: { from: source.name, to: target.name, live: input.live } });
  return started;
}
