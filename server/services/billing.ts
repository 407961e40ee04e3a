/**
 * What the billing API (v1) does beyond the panel's own services: a customer with its first user in one call,
 * a container's plan change (limits applied live through the engine's set), a generated root password, and a
 * container's usage and traffic over a period.
 */
import crypto from "node:crypto";
import { hashPassword, randomToken } from "../auth/crypto.js";
import type { Actor } from "../auth/roles.js";
import type { Db, Plan } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { engineOf, type FullContainer } from "./container-state.js";
import { resetRootPassword } from "./container-settings.js";
import { assertWithinAllocation, costOf, effectiveLimits, planLimits, sellingReseller, USAGE_KEYS } from "./limits.js";
import type { Usage } from "./limits.js";
import { destroyContainer } from "./container-lifecycle.js";
import { withLock } from "./locks.js";
import { assertIdle } from "./operations.js";
import { deleteBackupRow } from "./snapshots.js";
import { featuresOf } from "./features.js";
import { rateOf, pushNet } from "./network.js";
import { zeroTotals, type UsageTotals } from "./usage-read.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

function sellerOnly(actor: Actor, what: string): void {
  if (actor.role !== "admin" && actor.role !== "reseller")
    throw new PanelError("FORBIDDEN", `Only a provider (an administrator or reseller) can ${what}.`);
}

export interface CustomerInput {
  name: string;
  email: string;
  userName?: string;
  /** none: the user logs in through single sign-on links only (a random password nobody knows) */
  password?: string;
  externalId?: string;
  /** admins: the reseller the customer belongs to (default: the platform) */
  resellerId?: string;
}

/** A customer tenant under the caller (a reseller: itself; an admin: the platform or a reseller) and its user. */
export async function createCustomer(ctx: Ctx, input: CustomerInput) {
  sellerOnly(ctx.actor, "create customers");
  let parentId: string;
  if (ctx.actor.role === "reseller") {
    if (input.resellerId && input.resellerId !== ctx.actor.tenantId)
      throw new PanelError("NOT_FOUND", "No such reseller (or not yours).", { resellerId: "leave it out" });
    parentId = ctx.actor.tenantId;
  } else {
    const parent = input.resellerId
      ? await ctx.db.tenant.findUnique({ where: { id: input.resellerId } })
      : await ctx.db.tenant.findFirst({ where: { kind: "platform" } });
    if (!parent || (input.resellerId && parent.kind !== "reseller"))
      throw new PanelError("NOT_FOUND", "No such reseller.", { resellerId: "choose a reseller" });
    parentId = parent.id;
  }
  if (await ctx.db.user.findUnique({ where: { email: input.email } }))
    throw new PanelError("CONFLICT", `A user with email ${input.email} already exists; use another address.`, {
      email: "already in use",
    });
  const passwordHash = await hashPassword(input.password ?? randomToken(24));
  const tenant = await ctx.db.tenant.create({
    data: {
      name: input.name,
      kind: "customer",
      parentId,
      externalId: input.externalId ?? null,
      users: {
        create: { email: input.email, name: input.userName ?? input.name, passwordHash, role: "customer" },
      },
    },
    include: { users: true },
  });
  await audit(ctx, {
    action: "tenant.create",
    target: `customer ${tenant.name}`,
    tenantId: tenant.id,
    details: { user: input.email, parentId, externalId: input.externalId ?? null, via: "api" },
  });
  return { tenant, user: tenant.users[0]! };
}

/** Whether the caller may sell this plan: admins any, resellers their own and the platform's. */
async function sellablePlan(db: Db, actor: Actor, planId: string): Promise<Plan> {
  const plan = await db.plan.findUnique({ where: { id: planId }, include: { tenant: true } });
  if (!plan || (actor.role !== "admin" && plan.tenantId !== actor.tenantId && plan.tenant.kind !== "platform"))
    throw new PanelError("NOT_FOUND", "No such plan (or not one of yours).", { planId: "choose one of your plans" });
  return plan;
}

/**
 * Moves a container to another plan: its limit overrides are dropped, the new plan's limits go to the engine
 * (live for a running container: the engine's set path) and its network rate follows the plan. A reseller's
 * allocation must still hold the container with the new plan.
 */
export async function changePlan(ctx: Ctx, c: FullContainer, planId: string) {
  sellerOnly(ctx.actor, "change plans");
  if (c.state === "creating")
    throw new PanelError("CONFLICT", "The container is still being created; wait for that operation to finish.");
  const plan = await sellablePlan(ctx.db, ctx.actor, planId);
  const limits = planLimits(plan);
  const reseller = await sellingReseller(ctx.db, c.tenantId);
  const info = await withLock(ctx.db, `alloc:${reseller ?? "platform"}`, async () => {
    if (reseller) {
      const addresses = await ctx.db.ipAddress.count({ where: { containerId: c.id } });
      const now = costOf(effectiveLimits(c.plan, c.overrides), Math.max(c.plan.ipCount, addresses));
      const next = costOf(limits, Math.max(plan.ipCount, addresses));
      const extra = Object.fromEntries(USAGE_KEYS.map((k) => [k, next[k] - now[k]])) as unknown as Usage;
      await assertWithinAllocation(ctx.db, reseller, extra);
    }
    // features the new plan does not allow go off (at the next start, as every feature change)
    const features = featuresOf(c.features).filter((k) => featuresOf(plan.allowedFeatures).includes(k));
    const r = await engineOf(c).call("container.set", { ctid: c.ctid, limits, features });
    await ctx.db.container.update({
      where: { id: c.id },
      data: { planId: plan.id, overrides: "{}", state: r.state, features: JSON.stringify(r.features) },
    });
    return r;
  });
  // the plan's bandwidth (or throttle rate) reaches the container now
  await pushNet(c, { rate: rateOf(plan, c.throttled) }).catch((e: unknown) =>
    console.error(`[panel] plan change: cannot set the rate of container ${c.ctid}`, e),
  );
  await audit(ctx, {
    action: "container.changePlan",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { from: c.plan.name, to: plan.name, live: info.state === "running" },
  });
  return { plan, limits: info.limits, appliedLive: info.state === "running" };
}

const PW_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

/** A new random root password, set in the container and returned (once: it is not stored). */
export async function generateRootPassword(ctx: Ctx, c: FullContainer): Promise<string> {
  const bytes = crypto.randomBytes(20);
  const password = [...bytes].map((b) => PW_CHARS[b % PW_CHARS.length]).join("");
  await resetRootPassword(ctx, c, password);
  return password;
}

/** A container's usage in [from, to) from the hourly samples: CPU core-hours, RAM/disk averages, bytes. */
export async function containerUsage(db: Db, c: { id: string }, from: Date, to: Date): Promise<UsageTotals> {
  const rows = await db.usageSample.findMany({
    where: { containerId: c.id, tier: 3600, at: { gte: from, lt: to } },
    select: {
      cpuPct: true,
      memBytes: true,
      diskBytes: true,
      ioReadBps: true,
      ioWriteBps: true,
      netRxBps: true,
      netTxBps: true,
    },
  });
  const t = zeroTotals();
  let ram = 0;
  let disk = 0;
  for (const r of rows) {
    const mem = Number(r.memBytes);
    t.cpuCoreHours += r.cpuPct / 100;
    ram += mem;
    disk += Number(r.diskBytes ?? 0n);
    t.ramPeakBytes = Math.max(t.ramPeakBytes, mem);
    t.ioReadBytes += r.ioReadBps * 3600;
    t.ioWriteBytes += r.ioWriteBps * 3600;
    t.netRxBytes += r.netRxBps * 3600;
    t.netTxBytes += r.netTxBps * 3600;
  }
  const hours = Math.max(1, Math.ceil((Math.min(to.getTime(), Date.now()) - from.getTime()) / 3600_000));
  return {
    ...t,
    ramAvgBytes: Math.round(ram / hours),
    diskAvgBytes: Math.round(disk / hours),
    ioReadBytes: Math.round(t.ioReadBytes),
    ioWriteBytes: Math.round(t.ioWriteBytes),
    netRxBytes: Math.round(t.netRxBytes),
    netTxBytes: Math.round(t.netTxBytes),
  };
}

/** A container's traffic per UTC day in [fromDay, toDay] (YYYY-MM-DD) and in total. */
export async function containerTraffic(db: Db, c: { id: string }, fromDay: string, toDay: string) {
  const rows = await db.trafficDaily.findMany({
    where: { containerId: c.id, day: { gte: fromDay, lte: toDay } },
    select: { day: true, rxBytes: true, txBytes: true },
    orderBy: { day: "asc" },
  });
  const days = rows.map((r) => ({ day: r.day, rxBytes: Number(r.rxBytes), txBytes: Number(r.txBytes) }));
  const rx = days.reduce((s, d) => s + d.rxBytes, 0);
  const tx = days.reduce((s, d) => s + d.txBytes, 0);
  return { days, rxBytes: rx, txBytes: tx, totalBytes: rx + tx };
}

/**
 * Terminate (billing): the container's backups are deleted from the node, then the container is destroyed
 * (an operation); nothing of it is left. Refused while another operation runs on it.
 */
export async function terminateContainer(ctx: Ctx, c: FullContainer) {
  sellerOnly(ctx.actor, "terminate containers");
  await assertIdle(ctx.db, c.id);
  const backups = await ctx.db.backup.findMany({
    where: { containerId: c.id },
    include: { node: { select: { id: true, name: true, endpoint: true } } },
  });
  for (const b of backups) await deleteBackupRow(ctx, b);
  return destroyContainer(ctx, c);
}
