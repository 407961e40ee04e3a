/**
 * A container's lifecycle actions, each an operation: start, stop, restart, destroy, reinstall. Each is
 * audited once accepted (a refused call, another operation running, leaves no entry).
 */
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { retryOnConflict } from "../db/retry.js";
import { isEngineError, PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { releaseAll } from "./ipam.js";
import { planTemplates } from "./limits.js";
import { assertNotSuspended, engineOf, syncState, type FullContainer } from "./container-state.js";
import { relay, startOperation } from "./operations.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

const PAST: Record<"start" | "stop" | "restart", string> = { start: "started", stop: "stopped", restart: "restarted" };

export async function containerAction(ctx: Ctx, c: FullContainer, action: "start" | "stop" | "restart") {
  if (c.state === "creating")
    throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  if (action !== "stop") assertNotSuspended(c, ctx.actor.role);
  const started = await startOperation(
    ctx.db,
    ctx.actor,
    { type: action, tenantId: c.tenantId, containerId: c.id, message: `${action} container ${c.ctid}` },
    async (op) => {
      const eng = engineOf(c);
      const onEvent = relay(op, 0, 100);
      try {
        const info =
          action === "start"
            ? await eng.call("container.start", { ctid: c.ctid }, { onEvent })
            : action === "stop"
              ? await eng.call("container.stop", { ctid: c.ctid }, { onEvent })
              : await eng.call("container.restart", { ctid: c.ctid }, { onEvent });
        await ctx.db.container.update({ where: { id: c.id }, data: { state: info.state } });
        op.log(`container ${c.ctid} ${PAST[action]}`);
      } catch (e) {
        await syncState(ctx.db, c);
        throw e;
      }
    },
  );
  // Audited once accepted: a refused call (another operation running) leaves no entry.
  await audit(ctx, {
    action: `container.${action}`,
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
  });
  return started;
}

export async function destroyContainer(ctx: Ctx, c: FullContainer) {
  const started = await startOperation(
    ctx.db,
    ctx.actor,
    { type: "destroy", tenantId: c.tenantId, containerId: c.id, message: `destroy container ${c.ctid}` },
    async (op) => {
      try {
        await engineOf(c).call("container.destroy", { ctid: c.ctid, force: true }, { onEvent: relay(op, 0, 100) });
      } catch (e) {
        if (!isEngineError(e, "NOT_FOUND")) throw e;
        op.log(`container ${c.ctid} was already gone from the node`);
      }
      // the samplers may be writing rows of this container meanwhile: a lost lock race is tried again
      const released = await retryOnConflict(async () => {
        const n = await releaseAll(ctx.db, c.id);
        await ctx.db.trafficCounter.deleteMany({ where: { nodeId: c.nodeId, ctid: c.ctid } });
        await ctx.db.container.deleteMany({ where: { id: c.id } });
        return n;
      });
      if (released) op.log(`${released} IP address(es) released`);
      op.log(`container ${c.ctid} destroyed`);
    },
  );
  await audit(ctx, {
    action: "container.destroy",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
  });
  return started;
}

/**
 * Reinstall from a template: keepData=false wipes the old system, true keeps its files under /old in the
 * new one. The engine swaps the root filesystem in one journaled step (the old one comes back if it
 * fails), so the container is never left without a system; it is stopped around it, root's SSH keys are
 * written again after.
 */
export async function reinstallContainer(ctx: Ctx, c: FullContainer, template: string, keepData = false) {
  if (!planTemplates(c.plan).includes(template)) {
    throw new PanelError(
      "BAD_REQUEST",
      `Your plan does not allow template "${template}"; allowed: ${planTemplates(c.plan).join(", ")}.`,
      { template: "not allowed by the plan" },
    );
  }
  if (c.state === "creating")
    throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  const started = await startOperation(
    ctx.db,
    ctx.actor,
    {
      type: "reinstall",
      tenantId: c.tenantId,
      containerId: c.id,
      message: `reinstall container ${c.ctid} from ${template} (${keepData ? "keep data in /old" : "wipe"})`,
    },
    async (op) => {
      const eng = engineOf(c);
      const before = await eng.call("container.status", { ctid: c.ctid });
      const wasRunning = before.state !== "stopped";
      if (wasRunning) {
        op.progress(5, "stopping");
        await eng.call("container.stop", { ctid: c.ctid }, { onEvent: relay(op, 5, 10) });
      }
      try {
        await eng.call("container.reinstall", { ctid: c.ctid, template, keepData }, { onEvent: relay(op, 15, 70) });
        await ctx.db.container.update({ where: { id: c.id }, data: { template } });
        const fresh = await ctx.db.container.findUniqueOrThrow({ where: { id: c.id }, select: { sshKeys: true } });
        if (fresh.sshKeys) await eng.call("container.sshkeys.set", { ctid: c.ctid, keys: fresh.sshKeys });
      } finally {
        if (wasRunning) {
          op.progress(90, "starting");
          await eng
            .call("container.start", { ctid: c.ctid })
            .catch((e) => op.log(`start failed: ${(e as Error).message}`));
        }
        await syncState(ctx.db, c);
      }
      op.progress(100, `reinstalled from ${template}`);
      op.log(
        `container ${c.ctid} reinstalled from ${template}; ${keepData ? "old files kept under /old" : "old files wiped"}`,
      );
    },
  );
  await audit(ctx, {
    action: "container.reinstall",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { template, keepData },
  });
  return started;
}
