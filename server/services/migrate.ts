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
import { isEngineError, PanelError } from "../errors.js";
import { migrate } from "../../native/src/protocol/migrate-run.js";
import { audit, type AuditCtx } from "./audit.js";
import type { FullContainer } from "./container-state.js";
import { startOperation } from "./operations.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

export interface MigrateInput {
  targetNodeId: string;
  /** live: copy while running, freeze + dump, restore on the target (CRIU); else stop, copy, start */
  live: boolean;
}

/** Checks that need no engine: a different, known node; no CTID or address clash there. */
export async function checkMigration(db: Db, c: FullContainer, input: MigrateInput): Promise<Node> {
  if (c.state === "creating")
    throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  const target = await db.node.findUnique({ where: { id: input.targetNodeId } });
  if (!target) throw new PanelError("NOT_FOUND", "No such node.", { targetNodeId: "choose a registered node" });
  if (target.id === c.nodeId)
    throw new PanelError("BAD_REQUEST", `Container ${c.ctid} already runs on ${target.name}; choose another node.`, {
      targetNodeId: "choose another node",
    });
  const clash = await db.container.findFirst({
    where: { nodeId: target.id, ctid: c.ctid },
    select: { hostname: true },
  });
  if (clash)
    throw new PanelError(
      "CONFLICT",
      `Node ${target.name} already has a container ${c.ctid} (${clash.hostname}); container ids stay the same when they move.`,
      { targetNodeId: "CTID in use there" },
    );
  const mine = await db.ipAddress.findMany({ where: { containerId: c.id }, select: { address: true } });
  if (mine.length) {
    const taken = await db.ipAddress.findMany({
      where: { nodeId: target.id, address: { in: mine.map((a) => a.address) } },
      select: { address: true },
    });
    if (taken.length) {
      throw new PanelError(
        "CONFLICT",
        `Address ${taken.map((t) => t.address).join(", ")} is already in use on ${target.name}; free it there first.`,
        { targetNodeId: "address in use there" },
      );
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
    {
      type: "migrate",
      tenantId: c.tenantId,
      containerId: c.id,
      message: `${kind} migration of container ${c.ctid} to ${target.name}`,
      targetNodeId: target.id,
    },
    async (op) => {
      const r = await migrate({
        ctid: c.ctid,
        live: input.live,
        source: { name: source.name, endpoint: source.endpoint, engine: engineFor(source.endpoint) },
        target: { name: target.name, endpoint: target.endpoint, engine: engineFor(target.endpoint) },
        dial: dialerFor(),
        log: op.log,
        progress: op.progress,
        after: (step) => {
          // crash tests: the process driving the move dies here (recoverMigrations repairs it)
          if (process.env.OVZ_PANEL_CRASH_AT === `migrate:${step}`) process.kill(process.pid, "SIGKILL");
        },
      });
      await moveRows(ctx.db, c.id, target.id, r.info.state);
      const frozen = r.frozenMs === null ? "" : `, ${input.live ? "frozen" : "down"} ${r.frozenMs} ms`;
      op.log(`container ${c.ctid} now runs on ${target.name} (${r.totalMs} ms in all${frozen})`);
      await audit(ctx, {
        action: "container.migrated",
        target: `container ${c.ctid} (${c.hostname})`,
        tenantId: c.tenantId,
        details: {
          from: source.name,
          to: target.name,
          live: input.live,
          totalMs: r.totalMs,
          frozenMs: r.frozenMs,
          bytes: r.bytes,
          warning: r.warning,
        },
      });
    },
  );
  await audit(ctx, {
    action: "container.migrate",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { from: source.name, to: target.name, live: input.live },
  });
  return started;
}

/** The container's row and its addresses (an address goes with its container; its pool stays where it was defined). */
async function moveRows(db: Db, containerId: string, nodeId: string, state: string): Promise<void> {
  await db.$transaction([
    db.container.update({ where: { id: containerId }, data: { nodeId, state } }),
    db.ipAddress.updateMany({ where: { containerId }, data: { nodeId } }),
  ]);
}

/**
 * After a crash of the process that drove a migration (panel or vzmigrate): a move whose container
 * runs on the destination is completed (the source copy removed, the rows moved); any other is undone
 * (the destination drops what it received, the source runs the container again). A node that cannot be
 * reached leaves the operation to the generic stale-operation handling.
 */
export async function recoverMigrations(
  db: Db,
  isStale: (op: { id: string; owner: string | null }) => boolean,
): Promise<number> {
  const open = await db.operation.findMany({
    where: {
      type: "migrate",
      status: { in: ["queued", "running"] },
      targetNodeId: { not: null },
      containerId: { not: null },
    },
  });
  let n = 0;
  for (const op of open.filter(isStale)) {
    const c = await db.container.findUnique({ where: { id: op.containerId! }, include: { node: true } });
    const target = await db.node.findUnique({ where: { id: op.targetNodeId! } });
    if (!c || !target || c.nodeId === target.id) continue;
    const line = (l: string) => db.operationLine.create({ data: { operationId: op.id, line: l } });
    const src = engineFor(c.node.endpoint);
    const dst = engineFor(target.endpoint);
    const there = await dst.call("container.status", { ctid: c.ctid }).then(
      (i) => i,
      (e: unknown) => (isEngineError(e, "NOT_FOUND") ? null : undefined),
    );
    if (there === undefined) continue; // destination unreachable: state unknown
    if (there) {
      await src.call("migrate.commit", { ctid: c.ctid }).catch((e: unknown) => {
        if (!isEngineError(e, "NOT_FOUND")) throw e;
      });
      await dst.call("migrate.cleanup", { ctid: c.ctid }).catch(() => {}); // its engine's restart does it otherwise
      await moveRows(db, c.id, target.id, there.state);
      await line(
        `recovery: the process driving this move stopped after container ${c.ctid} was running on ${target.name}; the move was completed`,
      );
      await db.operation.update({
        where: { id: op.id },
        data: { status: "succeeded", progress: 100, finishedAt: new Date() },
      });
      await audit(
        { db, actor: null, ip: null, userAgent: null },
        {
          action: "container.migrated",
          target: `container ${c.ctid} (${c.hostname})`,
          tenantId: c.tenantId,
          actorLabel: "panel (recovery)",
          details: { from: c.node.name, to: target.name, recovered: true },
        },
      );
    } else {
      await dst.call("migrate.cancel", { ctid: c.ctid }).catch(() => {});
      const info = await src.call("migrate.abort", { ctid: c.ctid }).catch((e: Error) => e);
      const where =
        info instanceof Error
          ? `could not restore it on ${c.node.name} (${info.message}); resume or start it there`
          : `container ${c.ctid} is ${info.state} on ${c.node.name}`;
      await line(`recovery: the process driving this move stopped before it finished; undone — ${where}`);
      await db.operation.update({
        where: { id: op.id },
        data: { status: "failed", error: `The move was interrupted and undone; ${where}.`, finishedAt: new Date() },
      });
      if (!(info instanceof Error)) await db.container.update({ where: { id: c.id }, data: { state: info.state } });
    }
    n++;
  }
  return n;
}
