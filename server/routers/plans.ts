import { z } from "zod";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import {
  assertWithinAllocation,
  limitsPatchSchema,
  ZERO_USAGE,
  planExtrasSchema,
  planLimits,
  planTemplates,
  requireFullLimits,
  type Limits,
  type TrafficOverage,
} from "../services/limits.js";
import { assertFeaturesNotInUse, assertPlanFeatures, featureListSchema, featuresOf } from "../services/features.js";
import { withLock } from "../services/locks.js";
import { assertQuotaCountable } from "../services/customer-quota.js";
import { customerQuotaSchema, quotaOf, quotaPatch } from "../services/customer-quota-fields.js";
import { applyPlanNetwork } from "../services/traffic.js";
import { roleProcedure, router } from "../trpc/init.js";
import { id, name } from "./schemas.js";

const planInput = z
  .object({ name, limits: limitsPatchSchema })
  .merge(planExtrasSchema)
  // what customers may turn on (native/src/features.ts); a reseller's plans within its allocation
  .extend({ allowedFeatures: featureListSchema.optional() })
  // customer self-service: containers and totals (server/services/customer-quota-fields.ts)
  .merge(customerQuotaSchema);
const sellers = roleProcedure("admin", "reseller");

function show(p: {
  id: string;
  tenantId: string;
  name: string;
  limits: string;
  bandwidthMbps: number;
  ipCount: number;
  trafficQuotaGb: number;
  throttleKbit: number;
  trafficOverage: string;
  templates: string;
  maxBackups: number;
  maxSnapshots: number;
  backupPolicyId: string | null;
  allowedFeatures: string;
  customerMaxContainers: number;
  customerMaxCpus: number;
  customerMaxRamMb: number;
  customerMaxDiskMb: number;
  customerMaxIps: number;
  createdAt: Date;
  updatedAt: Date;
}) {
  return {
    id: p.id,
    tenantId: p.tenantId,
    name: p.name,
    limits: planLimits(p),
    bandwidthMbps: p.bandwidthMbps,
    ipCount: p.ipCount,
    trafficQuotaGb: p.trafficQuotaGb,
    throttleKbit: p.throttleKbit,
    trafficOverage: p.trafficOverage as TrafficOverage,
    templates: planTemplates(p),
    maxBackups: p.maxBackups,
    maxSnapshots: p.maxSnapshots,
    /** the default backup policy of its containers (backupPolicies.setForPlan) */
    backupPolicyId: p.backupPolicyId,
    allowedFeatures: featuresOf(p.allowedFeatures),
    ...quotaOf(p),
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

function resellerRules(role: string, l: Limits): void {
  if (role === "reseller" && l.cpus < 1) {
    throw new PanelError("BAD_REQUEST", "Resellers sell a fixed number of vCPUs: set vCPUs to 1 or more.", {
      "limits.cpus": "at least 1",
    });
  }
}

export const plansRouter = router({
  /** admin: every plan; reseller: its own plans and the platform's (which it may also sell, not edit). */
  list: sellers.query(async ({ ctx }) => {
    const rows = await ctx.db.plan.findMany({
      where:
        ctx.actor.role === "admin" ? {} : { OR: [{ tenantId: ctx.actor.tenantId }, { tenant: { kind: "platform" } }] },
      orderBy: { name: "asc" },
      include: { _count: { select: { containers: true } }, tenant: { select: { name: true, kind: true } } },
    });
    return rows.map((p) => ({ ...show(p), owner: p.tenant, containers: p._count.containers }));
  }),

  create: sellers.input(planInput).mutation(async ({ ctx, input }) => {
    const limits = requireFullLimits(input.limits);
    resellerRules(ctx.actor.role, limits);
    assertQuotaCountable(limits, input);
    const allowedFeatures = input.allowedFeatures ?? [];
    await assertPlanFeatures(ctx.db, ctx.actor.tenantId, allowedFeatures);
    if (await ctx.db.plan.findFirst({ where: { tenantId: ctx.actor.tenantId, name: input.name } })) {
      throw new PanelError("CONFLICT", `You already have a plan named "${input.name}"; choose another name.`, {
        name: "already exists",
      });
    }
    const p = await ctx.db.plan.create({
      data: {
        tenantId: ctx.actor.tenantId,
        name: input.name,
        limits: JSON.stringify(limits),
        bandwidthMbps: input.bandwidthMbps,
        ipCount: input.ipCount,
        trafficQuotaGb: input.trafficQuotaGb,
        throttleKbit: input.throttleKbit,
        trafficOverage: input.trafficOverage,
        templates: JSON.stringify(input.templates),
        allowedFeatures: JSON.stringify(allowedFeatures),
        ...quotaOf(input),
      },
    });
    await audit(ctx, {
      action: "plan.create",
      target: `plan ${p.name}`,
      tenantId: p.tenantId,
      details: { limits, templates: input.templates, allowedFeatures },
    });
    return show(p);
  }),

  update: sellers.input(planInput.partial().extend({ planId: id })).mutation(async ({ ctx, input }) => {
    const p = await ctx.db.plan.findUnique({ where: { id: input.planId } });
    if (!p || (ctx.actor.role !== "admin" && p.tenantId !== ctx.actor.tenantId))
      throw new PanelError("NOT_FOUND", "No such plan (or not one of yours).");
    if (
      input.name !== undefined &&
      input.name !== p.name &&
      (await ctx.db.plan.findFirst({ where: { tenantId: p.tenantId, name: input.name } }))
    ) {
      throw new PanelError("CONFLICT", `There is already a plan named "${input.name}"; choose another name.`, {
        name: "already exists",
      });
    }
    const limits = { ...planLimits(p), ...(input.limits ?? {}) } as Limits;
    resellerRules(ctx.actor.role, limits);
    assertQuotaCountable(limits, { customerMaxCpus: input.customerMaxCpus ?? p.customerMaxCpus });
    if (input.allowedFeatures !== undefined) {
      await assertPlanFeatures(ctx.db, p.tenantId, input.allowedFeatures);
      await assertFeaturesNotInUse(ctx.db, p.id, input.allowedFeatures);
    }
    const ipCount = input.ipCount ?? p.ipCount;
    const owner = await ctx.db.tenant.findUniqueOrThrow({ where: { id: p.tenantId } });
    // Same lock as container creates: a raise and a create cannot both squeeze into the allocation.
    const u = await withLock(ctx.db, `alloc:${owner.kind === "reseller" ? owner.id : "platform"}`, async () => {
      if (owner.kind === "reseller") {
        // Raising a plan raises every container on it: it must still fit in the allocation.
        await assertWithinAllocation(ctx.db, owner.id, ZERO_USAGE, { planId: p.id, limits, ipCount });
      }
      return ctx.db.plan.update({
        where: { id: p.id },
        data: {
          name: input.name,
          limits: JSON.stringify(limits),
          bandwidthMbps: input.bandwidthMbps,
          ipCount,
          trafficQuotaGb: input.trafficQuotaGb,
          throttleKbit: input.throttleKbit,
          trafficOverage: input.trafficOverage,
          templates: input.templates ? JSON.stringify(input.templates) : undefined,
          allowedFeatures: input.allowedFeatures ? JSON.stringify(input.allowedFeatures) : undefined,
          ...quotaPatch(input),
        },
      });
    });
    await audit(ctx, { action: "plan.update", target: `plan ${u.name}`, tenantId: u.tenantId, details: { ...input } });
    // A new rate, quota or overage rule reaches the plan's containers now, not at the next traffic sample.
    const rateChanged = (["bandwidthMbps", "throttleKbit", "trafficQuotaGb", "trafficOverage"] as const).some(
      (k) => input[k] !== undefined && input[k] !== p[k],
    );
    if (rateChanged) await applyPlanNetwork(ctx.db, u.id);
    return show(u);
  }),

  delete: sellers.input(z.object({ planId: id })).mutation(async ({ ctx, input }) => {
    const p = await ctx.db.plan.findUnique({
      where: { id: input.planId },
      include: { _count: { select: { containers: true } } },
    });
    if (!p || (ctx.actor.role !== "admin" && p.tenantId !== ctx.actor.tenantId))
      throw new PanelError("NOT_FOUND", "No such plan (or not one of yours).");
    if (p._count.containers > 0)
      throw new PanelError(
        "CONFLICT",
        `Plan "${p.name}" is used by ${p._count.containers} container(s); move or destroy them first.`,
      );
    await ctx.db.plan.delete({ where: { id: p.id } });
    await audit(ctx, { action: "plan.delete", target: `plan ${p.name}`, tenantId: p.tenantId });
    return { ok: true as const };
  }),
});
