/**
 * Customer self-service within quota (docs/self-service.md). A customer makes its own
 * containers (create, clone, restore a backup as new: every path goes through reserveContainer, which calls
 * assertSelfServicePlan and, under the allocation lock, assertCustomerQuota) of a self-service plan
 * (customerMaxContainers > 0) that is its seller's own or that one of its containers already has; all of its
 * containers, whatever their plan, count against the quota of the plan of the one being made. It destroys
 * its containers of a self-service plan itself. Sellers (admins, resellers) are never limited by it.
 */
import type { Db, Plan, Tenant } from "../db/client.js";
import { PanelError } from "../errors.js";
import { quotaOf, quotaRefusal, remaining } from "./customer-quota-fields.js";
import { costOf, planLimits, planTemplates, usageOf, type Limits, type Usage } from "./limits.js";
import type { FullContainer } from "./container-state.js";

/** The plans a customer may see for self-service: its seller's own, and those its containers have. */
function visiblePlans(tenant: Pick<Tenant, "id" | "parentId">) {
  const used = { containers: { some: { tenantId: tenant.id } } };
  return { OR: [...(tenant.parentId ? [{ tenantId: tenant.parentId }] : []), used] };
}

/** Whether a customer has a self-service plan (the panel's "New container" entry). */
export async function hasSelfServicePlan(db: Db, tenant: Pick<Tenant, "id" | "parentId">): Promise<boolean> {
  return (await db.plan.count({ where: { customerMaxContainers: { gt: 0 }, ...visiblePlans(tenant) } })) > 0;
}

/** A customer making a container of `plan`: a plan it may see, and a self-service one. */
export async function assertSelfServicePlan(db: Db, tenant: Pick<Tenant, "id" | "parentId">, plan: Plan) {
  if (!(await db.plan.count({ where: { id: plan.id, ...visiblePlans(tenant) } })))
    throw new PanelError("NOT_FOUND", "No such plan (or not one of yours).", { planId: "choose one of your plans" });
  if (plan.customerMaxContainers === 0)
    throw new PanelError(
      "FORBIDDEN",
      `Plan "${plan.name}" does not let customers make their own containers; ask your provider for another container.`,
      { planId: "not a self-service plan" },
    );
}

/**
 * The one quota check of every path that makes a customer's container; the caller holds the allocation lock
 * of the customer's seller (reserveContainer), so two concurrent creates cannot both take the last room.
 */
export async function assertCustomerQuota(db: Db, tenantId: string, plan: Plan, need: Usage) {
  const refused = quotaRefusal(plan, await usageOf(db, { tenantId }), need);
  if (refused) throw new PanelError("QUOTA_EXCEEDED", refused.message, { planId: refused.over.join("; ") });
}

/** A plan whose self-service counts vCPUs gives each container a number of them ("all" cannot be counted). */
export function assertQuotaCountable(limits: Limits, plan: { customerMaxCpus?: number }) {
  if ((plan.customerMaxCpus ?? 0) > 0 && limits.cpus < 1)
    throw new PanelError(
      "BAD_REQUEST",
      "A plan with a self-service vCPU total gives each container a number of vCPUs: set vCPUs to 1 or more, or the total to 0.",
      { "limits.cpus": "at least 1 with a vCPU total" },
    );
}

/** Customers destroy only their containers of a self-service plan, not suspended, not billed as a service. */
export function assertCustomerMayDestroy(c: FullContainer) {
  if (c.plan.customerMaxContainers === 0)
    throw new PanelError(
      "FORBIDDEN",
      `Plan "${c.plan.name}" does not let customers destroy their containers; ask your provider to destroy it.`,
    );
  if (c.suspendedAt)
    throw new PanelError("CONFLICT", "Your provider suspended this container; ask them before destroying it.");
  if (c.externalId)
    throw new PanelError(
      "FORBIDDEN",
      "This container is a service of your provider's billing; cancel the service there to have it destroyed.",
    );
}

/** What the customer's "Create container" page shows: its self-service plans, what each costs, what is left. */
export async function selfServiceView(db: Db, tenantId: string) {
  const tenant = await db.tenant.findUniqueOrThrow({ where: { id: tenantId } });
  const plans = await db.plan.findMany({
    where: { customerMaxContainers: { gt: 0 }, ...visiblePlans(tenant) },
    orderBy: { name: "asc" },
  });
  const used = await usageOf(db, { tenantId });
  return {
    /** the customer cannot make containers now (disabled or suspended): the sentence says why */
    blocked: tenant.disabled
      ? "Your account is disabled; ask your provider."
      : tenant.suspendedAt
        ? "Your account is suspended; ask your provider."
        : null,
    used,
    plans: plans.map((p) => {
      const limits = planLimits(p);
      return {
        id: p.id,
        name: p.name,
        templates: planTemplates(p),
        limits,
        ipCount: p.ipCount,
        quota: quotaOf(p),
        need: costOf(limits, p.ipCount),
        remaining: remaining(quotaOf(p), used),
      };
    }),
  };
}
