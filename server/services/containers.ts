/**
 * Container actions: each checks plans and allocations, records an audit entry, and either calls the
 * node's engine directly (quick: limits, password, usage) or starts an operation (slow: create, start,
 * stop, restart, reinstall, destroy). Nothing half-made is left behind: a failed create removes its row
 * (the engine already rolled back its host changes).
 */
import type { Actor } from "../auth/roles.js";
import type { Container, Db, Node, Plan, Tenant } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { isEngineError, PanelError } from "../errors.js";
import type { OpEvent } from "../../native/src/protocol/schema.js";
import { audit, type AuditCtx } from "./audit.js";
import { pickAddress, pickAddresses, releaseAll, withIpLock, type NetMode } from "./ipam.js";
import { CONTAINER_NAME_RE } from "./settings.js";
import { loadNetConfig } from "./network.js";
import { assertWithinAllocation, costOf, effectiveLimits, limitsPatchSchema, parseJson, planLimits, planTemplates, sellingReseller, type LimitsPatch } from "./limits.js";
import { withLock } from "./locks.js";
import { recoverAfterRestart } from "./recovery.js";
import { startOperation, type OpHandle, type OpType } from "./operations.js";

export type FullContainer = Container & { plan: Plan; node: Node; tenant: Tenant };
type Ctx = AuditCtx & { db: Db; actor: Actor };

export const FIRST_CTID = 101;

function engineOf(c: { node: Node }) {
  return engineFor(c.node.endpoint);
}

function relay(op: OpHandle, base: number, span: number) {
  return (e: OpEvent) => {
    if (e.kind === "log") op.log(e.line);
    else op.progress(base + (span * e.percent) / 100, e.message);
  };
}

export async function defaultNode(db: Db): Promise<Node> {
  const n = await db.node.findFirst({ orderBy: { createdAt: "asc" } });
  if (!n) throw new PanelError("CONFLICT", "No node is registered; an administrator must add one (Nodes page) first.");
  return n;
}

async function nextCtid(db: Db, nodeId: string): Promise<number> {
  const top = await db.container.findFirst({ where: { nodeId }, orderBy: { ctid: "desc" }, select: { ctid: true } });
  return Math.max(FIRST_CTID, (top?.ctid ?? 0) + 1);
}

export interface CreateInput {
  tenantId: string;
  planId: string;
  hostname: string;
  template: string;
  ctid?: number;
  nodeId?: string;
  /** venet (default): routed addresses; veth: a NIC on an engine network; none: no network */
  netMode?: NetMode;
  /** admins: exactly these addresses (each from a pool of the mode) instead of the plan's count of free ones */
  addresses?: string[];
  /** a name that works wherever the ctid does (unique on the node) */
  name?: string;
  description?: string;
  onboot?: boolean;
}

export async function createContainer(ctx: Ctx, scope: string[] | null, input: CreateInput) {
  const { db, actor } = ctx;
  const tenant = await db.tenant.findUnique({ where: { id: input.tenantId } });
  if (!tenant || (scope !== null && !scope.includes(tenant.id))) throw new PanelError("NOT_FOUND", "No such customer (or not one of yours).", { tenantId: "choose one of your customers" });
  if (tenant.disabled) throw new PanelError("CONFLICT", `Customer "${tenant.name}" is disabled; enable it first.`);
  const plan = await db.plan.findUnique({ where: { id: input.planId } });
  // Resellers sell their own plans or the platform's; admins any plan.
  const planOk = plan && (actor.role === "admin" || plan.tenantId === actor.tenantId || (await db.tenant.findUnique({ where: { id: plan.tenantId } }))?.kind === "platform");
  if (!planOk) throw new PanelError("NOT_FOUND", "No such plan (or not one of yours).", { planId: "choose one of your plans" });
  if (!planTemplates(plan).includes(input.template)) {
    throw new PanelError("BAD_REQUEST", `Plan "${plan.name}" does not allow template "${input.template}"; allowed: ${planTemplates(plan).join(", ")}.`, { template: "not allowed by the plan" });
  }
  const node = input.nodeId ? await db.node.findUnique({ where: { id: input.nodeId } }) : await defaultNode(db);
  if (!node) throw new PanelError("NOT_FOUND", "No such node.", { nodeId: "choose a registered node" });
  if (input.ctid !== undefined && actor.role !== "admin") throw new PanelError("FORBIDDEN", "Only administrators choose container ids.", { ctid: "leave empty" });
  if (input.addresses !== undefined && actor.role !== "admin") throw new PanelError("FORBIDDEN", "Only administrators choose addresses.", { addresses: "leave empty" });
  if (input.addresses && new Set(input.addresses).size !== input.addresses.length) throw new PanelError("BAD_REQUEST", "An address is given twice.", { addresses: "duplicate" });
  if (input.name !== undefined) {
    if (!CONTAINER_NAME_RE.test(input.name)) throw new PanelError("BAD_REQUEST", `Invalid name "${input.name}": 1–64 letters, digits, . _ - (not only digits: those are container ids).`, { name: "invalid" });
    const other = await db.container.findFirst({ where: { nodeId: node.id, name: input.name }, select: { ctid: true } });
    if (other) throw new PanelError("CONFLICT", `The name "${input.name}" is already used by container ${other.ctid}; choose another.`, { name: "taken" });
  }

  await recoverAfterRestart(db); // before this process inserts its own "creating" row
  const netMode = input.netMode ?? "venet";
  // Allocation check and row insert under one lock per reseller: concurrent creates cannot both fit.
  // The plan's addresses are picked and inserted with the row (one statement) under the node's
  // address lock: no pool or no room fails here, before anything reaches the node.
  const reseller = await sellingReseller(db, tenant.id);
  const taken = (ctid: number) => new PanelError("CONFLICT", `Container id ${ctid} is taken on node ${node.name}; choose another.`, { ctid: "taken" });
  const row = await withLock(db, `alloc:${reseller ?? "platform"}`, async () => {
    if (reseller) await assertWithinAllocation(db, reseller, costOf(planLimits(plan), plan.ipCount));
    return withIpLock(db, node.id, async () => {
      for (let attempt = 0; attempt < 3; attempt++) {
        const ctid = input.ctid ?? (await nextCtid(db, node.id));
        if (input.ctid !== undefined && (await db.container.findUnique({ where: { nodeId_ctid: { nodeId: node.id, ctid } }, select: { id: true } }))) throw taken(ctid);
        const picks =
          netMode === "none" ? []
          : input.addresses ? await pickChosen(db, node, netMode, input.addresses)
          : await pickAddresses(db, node, netMode, plan.ipCount);
        try {
          return await db.container.create({
            data: {
              ctid, nodeId: node.id, tenantId: tenant.id, planId: plan.id, hostname: input.hostname, template: input.template, state: "creating", netMode,
              name: input.name ?? null, description: input.description ?? null, onboot: input.onboot ?? false,
              addresses: { create: picks.map((p) => ({ poolId: p.poolId, nodeId: p.nodeId, address: p.address })) },
            },
          });
        } catch (e) {
          // the ctid or an address was taken meanwhile (another process): pick both again
          if ((e as { code?: string }).code !== "P2002") throw e;
        }
      }
      return null;
    });
  });
  if (!row) throw new PanelError("CONFLICT", "Could not reserve a container id (concurrent creates); try again.");
  const created = row;
  const net = await loadNetConfig(db, { ...created, plan });
  const ips = [...(net.venet ?? []), ...(net.nics ?? []).flatMap((n) => (n.type === "veth" ? (n.ips ?? []) : []))];
  await audit(ctx, { action: "container.create", target: `container ${created.ctid} (${created.hostname})`, tenantId: tenant.id, details: { plan: plan.name, template: input.template, node: node.name, netMode, ips } });
  return startOperation(db, actor, { type: "create", tenantId: tenant.id, containerId: created.id, message: `create container ${created.ctid}` }, async (op) => {
    try {
      const info = await engineFor(node.endpoint).call(
        "container.create",
        { ctid: created.ctid, template: input.template, hostname: input.hostname, name: created.name, onboot: created.onboot, limits: planLimits(plan), net },
        { onEvent: relay(op, 0, 100) },
      );
      await db.container.update({ where: { id: created.id }, data: { state: info.state } });
      op.log(`container ${created.ctid} created from ${input.template}`);
    } catch (e) {
      // the row's addresses go with it (IpAddress rows are deleted with their container)
      await db.container.delete({ where: { id: created.id } }).catch(() => {});
      throw e;
    }
  });
}

/** Chosen addresses: each from a pool of the mode; veth ones on one network (the first's). */
async function pickChosen(db: Db, node: Node, mode: "venet" | "veth", addresses: string[]) {
  const out = [];
  let network: string | null | undefined;
  for (const a of addresses) {
    const p = await pickAddress(db, node, mode, a, { network });
    if (mode === "veth" && network === undefined) network = (await db.ipPool.findUniqueOrThrow({ where: { id: p.poolId } })).network;
    out.push(p);
  }
  return out;
}

const PAST: Record<"start" | "stop" | "restart", string> = { start: "started", stop: "stopped", restart: "restarted" };

export async function containerAction(ctx: Ctx, c: FullContainer, action: "start" | "stop" | "restart") {
  if (c.state === "creating") throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  const started = await startOperation(ctx.db, ctx.actor, { type: action, tenantId: c.tenantId, containerId: c.id, message: `${action} container ${c.ctid}` }, async (op) => {
    const eng = engineOf(c);
    const onEvent = relay(op, 0, 100);
    try {
      const info =
        action === "start" ? await eng.call("container.start", { ctid: c.ctid }, { onEvent })
        : action === "stop" ? await eng.call("container.stop", { ctid: c.ctid }, { onEvent })
        : await eng.call("container.restart", { ctid: c.ctid }, { onEvent });
      await ctx.db.container.update({ where: { id: c.id }, data: { state: info.state } });
      op.log(`container ${c.ctid} ${PAST[action]}`);
    } catch (e) {
      await syncState(ctx.db, c);
      throw e;
    }
  });
  // Audited once accepted: a refused call (another operation running) leaves no entry.
  await audit(ctx, { action: `container.${action}`, target: `container ${c.ctid} (${c.hostname})`, tenantId: c.tenantId });
  return started;
}

export async function destroyContainer(ctx: Ctx, c: FullContainer) {
  const started = await startOperation(ctx.db, ctx.actor, { type: "destroy", tenantId: c.tenantId, containerId: c.id, message: `destroy container ${c.ctid}` }, async (op) => {
    try {
      await engineOf(c).call("container.destroy", { ctid: c.ctid, force: true }, { onEvent: relay(op, 0, 100) });
    } catch (e) {
      if (!isEngineError(e, "NOT_FOUND")) throw e;
      op.log(`container ${c.ctid} was already gone from the node`);
    }
    const released = await releaseAll(ctx.db, c.id);
    await ctx.db.trafficCounter.deleteMany({ where: { nodeId: c.nodeId, ctid: c.ctid } });
    await ctx.db.container.delete({ where: { id: c.id } });
    if (released) op.log(`${released} IP address(es) released`);
    op.log(`container ${c.ctid} destroyed`);
  });
  await audit(ctx, { action: "container.destroy", target: `container ${c.ctid} (${c.hostname})`, tenantId: c.tenantId });
  return started;
}

export async function reinstallContainer(ctx: Ctx, c: FullContainer, template: string) {
  if (!planTemplates(c.plan).includes(template)) {
    throw new PanelError("BAD_REQUEST", `Your plan does not allow template "${template}"; allowed: ${planTemplates(c.plan).join(", ")}.`, { template: "not allowed by the plan" });
  }
  const started = await startOperation(ctx.db, ctx.actor, { type: "reinstall", tenantId: c.tenantId, containerId: c.id, message: `reinstall container ${c.ctid} from ${template}` }, async (op) => {
    const eng = engineOf(c);
    // After a failed reinstall the node has no system left: reinstalling again must still work.
    const before = await eng.call("container.status", { ctid: c.ctid }).catch((e) => {
      if (isEngineError(e, "NOT_FOUND")) return null;
      throw e;
    });
    const wasRunning = before !== null && before.state !== "stopped";
    if (before) {
      op.progress(5, "removing the old root filesystem");
      await eng.call("container.destroy", { ctid: c.ctid, force: true }, { onEvent: relay(op, 5, 30) });
    }
    await ctx.db.container.update({ where: { id: c.id }, data: { state: "creating", template } });
    try {
      op.progress(40, `creating from ${template}`);
      // the same addresses, firewall and rate as before: they are the panel's, not the system's
      const fresh = await ctx.db.container.findUniqueOrThrow({ where: { id: c.id }, include: { plan: true } });
      await eng.call(
        "container.create",
        { ctid: c.ctid, template, hostname: c.hostname, name: c.name, onboot: c.onboot, limits: effectiveLimits(c.plan, c.overrides), net: await loadNetConfig(ctx.db, fresh) },
        { onEvent: relay(op, 40, 40) },
      );
      if (wasRunning) {
        op.progress(85, "starting");
        await eng.call("container.start", { ctid: c.ctid });
      }
    } catch (e) {
      await ctx.db.container.update({ where: { id: c.id }, data: { state: "error" } });
      throw new PanelError("CONFLICT", `Reinstall failed after the old system was removed: ${(e as Error).message}. Run reinstall again; the container has no system until it succeeds.`);
    }
    await syncState(ctx.db, c);
    op.progress(100, `reinstalled from ${template}`);
    op.log(`container ${c.ctid} reinstalled from ${template}`);
  });
  await audit(ctx, { action: "container.reinstall", target: `container ${c.ctid} (${c.hostname})`, tenantId: c.tenantId, details: { template } });
  return started;
}

export async function syncState(db: Db, c: FullContainer): Promise<string> {
  try {
    const info = await engineOf(c).call("container.status", { ctid: c.ctid });
    await db.container.update({ where: { id: c.id }, data: { state: info.state } });
    return info.state;
  } catch (e) {
    if (isEngineError(e, "NOT_FOUND")) {
      await db.container.update({ where: { id: c.id }, data: { state: "error" } });
      return "error";
    }
    return c.state;
  }
}

export async function setLimits(ctx: Ctx, c: FullContainer, patchIn: unknown) {
  const parsed = limitsPatchSchema.safeParse(patchIn);
  if (!parsed.success) {
    const fields = Object.fromEntries(parsed.error.issues.map((i) => [String(i.path[0] ?? "_"), i.message]));
    throw new PanelError("BAD_REQUEST", `Invalid limits: ${parsed.error.issues.map((i) => i.message).join("; ")}`, fields);
  }
  const patch: LimitsPatch = parsed.data;
  if (Object.keys(patch).length === 0) throw new PanelError("BAD_REQUEST", "No limit given; change at least one value.");
  const overrides = { ...parseJson<LimitsPatch>(c.overrides, {}), ...patch };
  const info = await engineOf(c).call("container.set", { ctid: c.ctid, limits: patch });
  await ctx.db.container.update({ where: { id: c.id }, data: { overrides: JSON.stringify(overrides), state: info.state } });
  await audit(ctx, { action: "container.setLimits", target: `container ${c.ctid} (${c.hostname})`, tenantId: c.tenantId, details: { ...patch, live: info.state === "running" } });
  return { limits: info.limits, appliedLive: info.state === "running" };
}

export async function resetRootPassword(ctx: Ctx, c: FullContainer, password: string) {
  await engineOf(c).call("container.passwd", { ctid: c.ctid, user: "root", password });
  await audit(ctx, { action: "container.resetPassword", target: `container ${c.ctid} (${c.hostname})`, tenantId: c.tenantId, details: { user: "root" } });
  return { ok: true as const };
}

export async function usage(c: FullContainer) {
  const eng = engineOf(c);
  try {
    const [status, limits, counters] = await Promise.all([
      eng.call("container.status", { ctid: c.ctid }),
      eng.call("container.limits", { ctid: c.ctid }),
      eng.call("container.beancounters", { ctid: c.ctid }),
    ]);
    return { available: true as const, state: status.state, initPid: status.initPid, configured: limits.configured, disk: limits.disk, beancounters: counters };
  } catch (e) {
    return { available: false as const, reason: e instanceof Error ? e.message : "engine unavailable" };
  }
}

export type { OpType };
