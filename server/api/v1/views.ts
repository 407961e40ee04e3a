/** How the billing API shows panel rows (dates as ISO strings; see schemas.ts). */
import type { Container, Operation, Plan, Tenant } from "../../db/client.js";
import { PanelError } from "../../errors.js";
import { canSeeTenant } from "../../services/scope.js";
import { planLimits, planTemplates } from "../../services/limits.js";
import type { FullContainer } from "../../services/container-state.js";
import type { ApiCtx } from "./route.js";

const iso = (d: Date) => d.toISOString();

export function customerView(t: Tenant) {
  return {
    id: t.id,
    name: t.name,
    externalId: t.externalId,
    resellerId: t.parentId,
    disabled: t.disabled,
    suspension: t.suspendedAt ? { since: iso(t.suspendedAt), reason: t.suspendReason } : null,
    createdAt: iso(t.createdAt),
  };
}

type Shown = Container & { plan: Pick<Plan, "name">; addresses: { address: string }[] };

const STATES = ["creating", "stopped", "running", "suspended", "error"] as const;

export function containerView(c: Shown) {
  return {
    id: c.id,
    ctid: c.ctid,
    hostname: c.hostname,
    name: c.name,
    state: (STATES as readonly string[]).includes(c.state) ? (c.state as (typeof STATES)[number]) : "error",
    externalId: c.externalId,
    customerId: c.tenantId,
    planId: c.planId,
    plan: c.plan.name,
    nodeId: c.nodeId,
    template: c.template,
    addresses: c.addresses.map((a) => a.address),
    suspension: c.suspendedAt ? { since: iso(c.suspendedAt), reason: c.suspendReason } : null,
    createdAt: iso(c.createdAt),
  };
}

export function operationView(o: Operation) {
  return {
    id: o.id,
    type: o.type,
    status: o.status as "queued" | "running" | "succeeded" | "failed",
    progress: o.progress,
    message: o.message,
    error: o.error,
    containerId: o.containerId,
    createdAt: iso(o.createdAt),
    finishedAt: o.finishedAt ? iso(o.finishedAt) : null,
  };
}

export function planView(p: Plan) {
  return {
    id: p.id,
    name: p.name,
    ownerId: p.tenantId,
    templates: planTemplates(p),
    ipCount: p.ipCount,
    bandwidthMbps: p.bandwidthMbps,
    trafficQuotaGb: p.trafficQuotaGb,
    trafficOverage: p.trafficOverage === "suspend" ? ("suspend" as const) : ("throttle" as const),
    limits: planLimits(p) as unknown as Record<string, unknown>,
  };
}

const FULL = { plan: true, node: true, tenant: true } as const;

/** A container the caller may see, with what the services need; else NOT_FOUND (no existence leak). */
export async function loadContainer(ctx: ApiCtx, id: string): Promise<FullContainer> {
  const c = await ctx.db.container.findUnique({ where: { id }, include: FULL });
  if (!c || !canSeeTenant(ctx.scope, c.tenantId))
    throw new PanelError("NOT_FOUND", "No such container (or it is not yours). List them with GET /api/v1/containers.");
  return c;
}

/** The container as the API shows it, read again (state, addresses). */
export async function shownContainer(ctx: ApiCtx, id: string) {
  const c = await ctx.db.container.findUniqueOrThrow({
    where: { id },
    include: {
      plan: { select: { name: true } },
      addresses: { select: { address: true }, orderBy: { address: "asc" } },
    },
  });
  return containerView(c);
}

/** A customer tenant the caller sells to (never its own tenant); else NOT_FOUND. */
export async function loadCustomer(ctx: ApiCtx, id: string): Promise<Tenant> {
  const t = await ctx.db.tenant.findUnique({ where: { id } });
  if (!t || t.kind !== "customer" || t.id === ctx.actor.tenantId || !canSeeTenant(ctx.scope, t.id))
    throw new PanelError("NOT_FOUND", "No such customer (or not one of yours). List them with GET /api/v1/customers.");
  return t;
}
