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

export function tenantWhere(ids: string[] | null): { tenantId?: { in: string[] } } {
  return ids === null ? {} : { tenantId: { in: ids } };
}

export function canSeeTenant(ids: string[] | null, tenantId: string | null | undefined): boolean {
  return ids === null || (!!tenantId && ids.includes(tenantId));
}
