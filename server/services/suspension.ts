/**
 * Suspension by the seller (billing API v1: an overdue invoice, abuse). A suspended container is stopped, or
 * frozen when the administrator chose "freeze" (setting suspendMode); nothing is deleted. Its owner cannot
 * start it (assertNotSuspended in container-state.ts) and sees the reason on the container page and after
 * login. Unsuspend restores what it was: running again if it was running. A suspended tenant's containers
 * all suspend (suspendedBy "tenant"); the tenant's unsuspend lifts those, not the ones suspended on their own.
 * The row is marked first, so a start that comes while the stop runs is already refused; the stop (or thaw
 * and start) is an operation of type stop (start) on the container, with the busy rule of every operation.
 * A suspended container is not started at the node's boot: the engine's onboot is off while it is suspended.
 * The traffic quota suspends too (suspendedBy "traffic", traffic-overage.ts); a seller who lifts such a suspension
 * by hand waives it for the month (trafficWaived): the quota throttles the container instead until the next.
 */
import type { Actor } from "../auth/roles.js";
import type { Db, Operation, Tenant } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { engineOf, syncState, type FullContainer } from "./container-state.js";
import { utcMonth } from "./months.js";
import { suspensionChanged } from "./notify/hooks.js";
import { relay, startOperation } from "./operations.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

export const SUSPEND_MODES = ["stop", "freeze"] as const;
export type SuspendMode = (typeof SUSPEND_MODES)[number];

const MODE_KEY = "suspendMode";

/** How containers are suspended (an administrator's setting): stop (the default) or freeze. */
export async function suspendMode(db: Db): Promise<SuspendMode> {
  const row = await db.panelSetting.findUnique({ where: { key: MODE_KEY } });
  const v = row ? (JSON.parse(row.value) as unknown) : null;
  return v === "freeze" ? "freeze" : "stop";
}

export async function setSuspendMode(ctx: Ctx, mode: SuspendMode): Promise<SuspendMode> {
  if (ctx.actor.role !== "admin")
    throw new PanelError("FORBIDDEN", "Only the platform's administrator chooses how containers are suspended.");
  const value = JSON.stringify(mode);
  await ctx.db.panelSetting.upsert({ where: { key: MODE_KEY }, create: { key: MODE_KEY, value }, update: { value } });
  await audit(ctx, { action: "settings.suspendMode", target: "panel settings", tenantId: null, details: { mode } });
  return mode;
}

const target = (c: FullContainer) => `container ${c.ctid} (${c.hostname})`;

/** Who suspended: the seller (container), the tenant's suspension, or the plan's traffic quota. */
export type SuspendedBy = "container" | "tenant" | "traffic";

function sellerOnly(actor: Actor, what: string): void {
  if (actor.role !== "admin" && actor.role !== "reseller")
    throw new PanelError("FORBIDDEN", `Only your provider (an administrator or reseller) can ${what}.`);
}

/**
 * Suspends a container: marks it, then stops (or freezes) it in an operation. Suspending a suspended one
 * changes only its reason (no operation). Returns the operation (null when none was needed).
 */
export async function suspendContainer(
  ctx: Ctx,
  c: FullContainer,
  opts: { reason: string; by?: SuspendedBy },
): Promise<Operation | null> {
  sellerOnly(ctx.actor, "suspend containers");
  const by = opts.by ?? "container";
  if (c.state === "creating")
    throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  if (c.suspendedAt) {
    // a container suspended on its own stays so when its tenant is suspended too (and after the tenant's unsuspend)
    const data = by === "container" ? { suspendReason: opts.reason, suspendedBy: "container" } : {};
    await ctx.db.container.update({ where: { id: c.id }, data });
    if (by === "container")
      await audit(ctx, {
        action: "container.suspend",
        target: target(c),
        tenantId: c.tenantId,
        details: { reason: opts.reason, again: true },
      });
    return null;
  }
  const mode = await suspendMode(ctx.db);
  await ctx.db.container.update({
    where: { id: c.id },
    data: {
      suspendedAt: new Date(),
      suspendReason: opts.reason,
      suspendedBy: by,
      suspendMode: mode,
      suspendedFrom: c.state === "stopped" ? "stopped" : "running",
    },
  });
  let op: Operation;
  try {
    op = await startOperation(
      ctx.db,
      ctx.actor,
      { type: "stop", tenantId: c.tenantId, containerId: c.id, message: `suspend container ${c.ctid}: ${opts.reason}` },
      async (h) => {
        const eng = engineOf(c);
        const now = await eng.call("container.status", { ctid: c.ctid });
        await ctx.db.container.update({ where: { id: c.id }, data: { suspendedFrom: now.state } });
        if (now.state === "running") {
          if (mode === "freeze") await eng.call("container.suspend", { ctid: c.ctid });
          else await eng.call("container.stop", { ctid: c.ctid }, { onEvent: relay(h, 0, 100) });
        }
        // not started when the node boots either (the row keeps the owner's onboot for the unsuspend)
        if (c.onboot) await eng.call("container.set", { ctid: c.ctid, onboot: false });
        const state = await syncState(ctx.db, c);
        h.log(`container ${c.ctid} suspended (${state}): ${opts.reason}`);
      },
    );
  } catch (e) {
    await clearMarks(ctx.db, c.id);
    throw e;
  }
  await audit(ctx, {
    action: "container.suspend",
    target: target(c),
    tenantId: c.tenantId,
    details: { reason: opts.reason, mode, by },
  });
  await suspensionChanged(ctx.db, c, true, opts.reason);
  return op;
}

function clearMarks(db: Db, id: string) {
  return db.container.update({
    where: { id },
    data: { suspendedAt: null, suspendReason: null, suspendedBy: null, suspendedFrom: null, suspendMode: null },
  });
}

/**
 * Lifts a suspension: thaws a frozen container and starts one that was running before, in an operation.
 * A container that is not suspended is left alone (null). `by: "tenant"` lifts only a tenant's suspension.
 */
export async function unsuspendContainer(
  ctx: Ctx,
  c: FullContainer,
  opts: { by?: SuspendedBy } = {},
): Promise<Operation | null> {
  sellerOnly(ctx.actor, "unsuspend containers");
  if (!c.suspendedAt) return null;
  if (opts.by !== undefined && opts.by !== "container" && c.suspendedBy !== opts.by) return null;
  if (opts.by === "traffic" && c.tenant.suspendedAt) {
    // the quota's reason is gone, its tenant's stays: the tenant's unsuspend lifts it
    await ctx.db.container.update({
      where: { id: c.id },
      data: { suspendedBy: "tenant", suspendReason: c.tenant.suspendReason },
    });
    return null;
  }
  if (opts.by !== "tenant" && c.tenant.suspendedAt)
    throw new PanelError(
      "CONFLICT",
      `Customer "${c.tenant.name}" is suspended (${c.tenant.suspendReason ?? "no reason given"}); unsuspend the customer instead.`,
    );
  const was = c.suspendedFrom;
  await clearMarks(ctx.db, c.id);
  // lifted by hand: the quota throttles it for the rest of the month instead of suspending it again
  const waived = c.suspendedBy === "traffic" && opts.by !== "traffic";
  let op: Operation;
  try {
    op = await startOperation(
      ctx.db,
      ctx.actor,
      { type: "start", tenantId: c.tenantId, containerId: c.id, message: `unsuspend container ${c.ctid}` },
      async (h) => {
        const eng = engineOf(c);
        const now = await eng.call("container.status", { ctid: c.ctid });
        if (c.onboot) await eng.call("container.set", { ctid: c.ctid, onboot: true });
        if (now.state === "suspended" && c.suspendMode === "freeze")
          await eng.call("container.resume", { ctid: c.ctid });
        else if (now.state === "stopped" && was === "running")
          await eng.call("container.start", { ctid: c.ctid }, { onEvent: relay(h, 0, 100) });
        const state = await syncState(ctx.db, c);
        h.log(`container ${c.ctid} unsuspended (${state})`);
      },
    );
  } catch (e) {
    // busy: it stays suspended as it was
    await ctx.db.container.update({
      where: { id: c.id },
      data: {
        suspendedAt: c.suspendedAt,
        suspendReason: c.suspendReason,
        suspendedBy: c.suspendedBy,
        suspendedFrom: c.suspendedFrom,
        suspendMode: c.suspendMode,
      },
    });
    throw e;
  }
  if (waived) await ctx.db.container.update({ where: { id: c.id }, data: { trafficWaived: utcMonth(new Date()) } });
  await audit(ctx, {
    action: "container.unsuspend",
    target: target(c),
    tenantId: c.tenantId,
    details: { restored: was ?? "stopped", ...(waived ? { trafficQuota: "waived this month" } : {}) },
  });
  await suspensionChanged(ctx.db, c, false, null);
  return op;
}

export interface TenantSuspendResult {
  operations: { containerId: string; operationId: string | null }[];
  /** containers that could not be changed now (another operation runs): call again once it ended */
  failed: { containerId: string; error: string }[];
}

async function eachContainer(
  ctx: Ctx,
  tenant: Tenant,
  f: (c: FullContainer) => Promise<Operation | null>,
): Promise<TenantSuspendResult> {
  const cs = await ctx.db.container.findMany({
    where: { tenantId: tenant.id, state: { not: "creating" } },
    include: { plan: true, node: true, tenant: true },
    orderBy: { ctid: "asc" },
  });
  const out: TenantSuspendResult = { operations: [], failed: [] };
  for (const c of cs) {
    try {
      const op = await f(c);
      out.operations.push({ containerId: c.id, operationId: op?.id ?? null });
    } catch (e) {
      if (!(e instanceof PanelError)) throw e;
      out.failed.push({ containerId: c.id, error: e.message });
    }
  }
  return out;
}

function checkTenant(ctx: Ctx, tenant: Tenant): void {
  sellerOnly(ctx.actor, "suspend customers");
  if (tenant.kind === "platform" || tenant.id === ctx.actor.tenantId)
    throw new PanelError("FORBIDDEN", "You cannot suspend or unsuspend your own tenant.");
}

/** Suspends a tenant and every container of it; calling it again retries the containers that failed. */
export async function suspendTenant(ctx: Ctx, tenant: Tenant, reason: string): Promise<TenantSuspendResult> {
  checkTenant(ctx, tenant);
  const t = await ctx.db.tenant.update({
    where: { id: tenant.id },
    data: { suspendedAt: tenant.suspendedAt ?? new Date(), suspendReason: reason },
  });
  const r = await eachContainer(ctx, t, (c) => suspendContainer(ctx, c, { reason, by: "tenant" }));
  await audit(ctx, { action: "tenant.suspend", target: `${t.kind} ${t.name}`, tenantId: t.id, details: { reason } });
  return r;
}

export async function unsuspendTenant(ctx: Ctx, tenant: Tenant): Promise<TenantSuspendResult> {
  checkTenant(ctx, tenant);
  const t = await ctx.db.tenant.update({
    where: { id: tenant.id },
    data: { suspendedAt: null, suspendReason: null },
  });
  const r = await eachContainer(ctx, t, (c) => unsuspendContainer(ctx, c, { by: "tenant" }));
  await audit(ctx, { action: "tenant.unsuspend", target: `${t.kind} ${t.name}`, tenantId: t.id });
  return r;
}

/** What the owner sees after login: its tenant's suspension and its suspended containers. */
export async function suspensionsOf(db: Db, tenantId: string) {
  const [tenant, containers] = await Promise.all([
    db.tenant.findUnique({ where: { id: tenantId }, select: { suspendedAt: true, suspendReason: true } }),
    db.container.findMany({
      where: { tenantId, suspendedAt: { not: null } },
      select: { id: true, ctid: true, hostname: true, suspendReason: true, suspendedAt: true },
      orderBy: { ctid: "asc" },
      take: 50,
    }),
  ]);
  return {
    tenant: tenant?.suspendedAt ? { since: tenant.suspendedAt, reason: tenant.suspendReason } : null,
    containers: containers.map((c) => ({
      id: c.id,
      ctid: c.ctid,
      hostname: c.hostname,
      reason: c.suspendReason,
      since: c.suspendedAt!,
    })),
  };
}
