/**
 * Tenant scoping: which tenants an actor may see. admin → every tenant; reseller → its own tenant and its
 * customers; customer → its own tenant. Procedure builders (server/trpc/init.ts) use this, so handlers
 * receive rows already checked and list queries get the filter from ctx.
 */
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";

/** null = no restriction (admin). */
export async function visibleTenantIds(db: Db, actor: Actor): Promise<string[] | null> {
  if (actor.role === "admin") return null;
  if (actor.role === "customer") return [actor.tenantId];
  const children = await db.tenant.findMany({ where: { parentId: actor.tenantId }, select: { id: true } });
  return [actor.tenantId, ...children.map((c) => c.id)];
}

/*
 * Query filters for what an actor may see. They never pass the visible tenants as a list of ids: a reseller with
 * a thousand customers would exceed SQLite's 999 bound parameters per query. A reseller's customers are reached
 * through the tenant tree instead (their parentId), or, on rows without a tenant relation (operations, audit
 * log), through the row's own parentTenantId (the owning tenant's parent, written with the row: parentTenantOf).
 */
export type Who = Pick<Actor, "role" | "tenantId">;

/** Tenant rows: all (admin), the reseller's own and its customers, the customer's own. */
export function tenantsOf(actor: Who) {
  if (actor.role === "admin") return {};
  if (actor.role === "customer") return { id: actor.tenantId };
  return { OR: [{ id: actor.tenantId }, { parentId: actor.tenantId }] };
}

/** Rows with a tenantId and a `tenant` relation (containers, users, plans, policies, endpoints, traffic). */
export function ownedBy(actor: Who) {
  if (actor.role === "admin") return {};
  if (actor.role === "customer") return { tenantId: actor.tenantId };
  return { OR: [{ tenantId: actor.tenantId }, { tenant: { parentId: actor.tenantId } }] };
}

/** Usage samples: their tenant, or (a reseller's customers) through their container's tenant. */
export function sampledFor(actor: Who) {
  if (actor.role === "admin") return {};
  if (actor.role === "customer") return { tenantId: actor.tenantId };
  return { OR: [{ tenantId: actor.tenantId }, { container: { tenant: { parentId: actor.tenantId } } }] };
}

/** Rows with tenantId and parentTenantId columns (operations, audit log). */
export function loggedFor(actor: Who) {
  if (actor.role === "admin") return {};
  if (actor.role === "customer") return { tenantId: actor.tenantId };
  return { OR: [{ tenantId: actor.tenantId }, { parentTenantId: actor.tenantId }] };
}

/** The parent (seller) of a tenant, stored with log rows for loggedFor; null for none or no tenant. */
export async function parentTenantOf(db: Db, tenantId: string | null): Promise<string | null> {
  if (!tenantId) return null;
  const t = await db.tenant.findUnique({ where: { id: tenantId }, select: { parentId: true } });
  return t?.parentId ?? null;
}

export function canSeeTenant(ids: string[] | null, tenantId: string | null | undefined): boolean {
  return ids === null || (!!tenantId && ids.includes(tenantId));
}
