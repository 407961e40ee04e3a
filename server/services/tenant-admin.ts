/**
 * A tenant's page for its sellers (tenants.get): users, plan usage, sub-tenants; and deleting a tenant
 * (tenants.delete), refused with the reason in a sentence while anything of it remains that a delete would lose.
 */
import type { Actor } from "../auth/roles.js";
import type { Db, Tenant } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { resellerUsage } from "./limits.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** The tenant with its users, containers per plan and state, and (a reseller) its allocation's use. */
export async function tenantDetail(db: Db, t: Tenant) {
  const [users, parent, byPlan, byState, children, allocation] = await Promise.all([
    db.user.findMany({
      where: { tenantId: t.id },
      select: { id: true, email: true, name: true, role: true, disabled: true, totpEnabled: true },
      orderBy: { email: "asc" },
    }),
    t.parentId ? db.tenant.findUnique({ where: { id: t.parentId }, select: { id: true, name: true } }) : null,
    db.container.groupBy({ by: ["planId"], where: { tenantId: t.id }, _count: { _all: true } }),
    db.container.groupBy({ by: ["state"], where: { tenantId: t.id }, _count: { _all: true } }),
    db.tenant.count({ where: { parentId: t.id } }),
    t.kind === "reseller" ? db.allocation.findUnique({ where: { tenantId: t.id } }) : null,
  ]);
  // the plans in use, by a relation filter (never a list of their ids)
  const plans = await db.plan.findMany({
    where: { containers: { some: { tenantId: t.id } } },
    select: { id: true, name: true, tenantId: true },
  });
  const count = new Map(byPlan.map((p) => [p.planId, p._count._all]));
  return {
    ...t,
    parent,
    users,
    children,
    containers: byState.reduce((n, s) => n + s._count._all, 0),
    states: Object.fromEntries(byState.map((s) => [s.state, s._count._all])) as Record<string, number>,
    planUsage: plans
      .map((p) => ({ planId: p.id, name: p.name, containers: count.get(p.id) ?? 0 }))
      .sort((a, b) => b.containers - a.containers || a.name.localeCompare(b.name)),
    allocation: t.kind === "reseller" ? { limits: allocation, used: await resellerUsage(db, t.id) } : null,
  };
}

/** Why the tenant cannot be deleted now (a sentence that says what to do first), or null. */
export async function deleteRefusal(db: Db, actor: Actor, t: Tenant): Promise<string | null> {
  if (t.kind === "platform") return "The platform tenant cannot be deleted.";
  if (t.id === actor.tenantId) return "You cannot delete your own tenant.";
  const [containers, children, backups, foreign] = await Promise.all([
    db.container.count({ where: { tenantId: t.id } }),
    db.tenant.count({ where: { parentId: t.id } }),
    db.backup.count({ where: { tenantId: t.id } }),
    db.container.count({ where: { plan: { tenantId: t.id } } }),
  ]);
  const name = `“${t.name}”`;
  if (containers)
    return `${name} still has ${plural(containers, "container")}; destroy or move them first, then delete the tenant.`;
  if (children)
    return `${name} still has ${plural(children, "customer")}; delete them (or their containers and them) first.`;
  if (backups) return `${name} still has ${plural(backups, "backup")}; delete them on the Backups page first.`;
  if (foreign)
    return `${plural(foreign, "container")} of other tenants use ${name}'s plans; move them to other plans first.`;
  return null;
}

/** Deletes an empty tenant with its users, plans, allocation and tokens; audited. */
export async function deleteTenant(ctx: Ctx, t: Tenant) {
  const refusal = await deleteRefusal(ctx.db, ctx.actor, t);
  if (refusal) throw new PanelError("CONFLICT", refusal);
  const users = await ctx.db
    .$transaction(async (tx) => {
      const gone = await tx.user.deleteMany({ where: { tenantId: t.id } });
      await tx.plan.deleteMany({ where: { tenantId: t.id } });
      await tx.tenant.delete({ where: { id: t.id } });
      return gone.count;
    })
    .catch(async (e: unknown) => {
      // something of it was added meanwhile (the database refused: a row still points at the tenant)
      const now = await deleteRefusal(ctx.db, ctx.actor, t);
      throw now ? new PanelError("CONFLICT", now) : e;
    });
  await audit(ctx, {
    action: "tenant.delete",
    target: `${t.kind} ${t.name}`,
    tenantId: t.parentId,
    details: { tenantId: t.id, users },
  });
  return { id: t.id, name: t.name, users };
}
