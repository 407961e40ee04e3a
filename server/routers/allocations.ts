import { z } from "zod";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { featureListSchema } from "../services/features.js";
import { resellerUsage } from "../services/limits.js";
import { roleProcedure, router, tenantProcedure } from "../trpc/init.js";

const amounts = z.object({
  containers: z.number().int().min(0).max(1_000_000),
  cpus: z.number().int().min(0).max(1_000_000),
  ramMb: z.number().int().min(0).max(1_000_000_000),
  swapMb: z.number().int().min(0).max(1_000_000_000),
  diskMb: z.number().int().min(0).max(1_000_000_000),
  ipCount: z.number().int().min(0).max(1_000_000),
  /** the features (native/src/features.ts) the reseller's plans may allow; omitted = unchanged (none at first) */
  features: featureListSchema.optional(),
});

export const allocationsRouter = router({
  /** admin: every reseller's allocation and usage. */
  list: roleProcedure("admin").query(async ({ ctx }) => {
    const resellers = await ctx.db.tenant.findMany({
      where: { kind: "reseller" },
      include: { allocation: true },
      orderBy: { name: "asc" },
    });
    return Promise.all(
      resellers.map(async (r) => ({
        tenantId: r.id,
        name: r.name,
        allocation: r.allocation,
        used: await resellerUsage(ctx.db, r.id),
      })),
    );
  }),

  /** A reseller reads its own; an admin any reseller's. */
  get: tenantProcedure("admin", "reseller").query(async ({ ctx }) => {
    if (ctx.tenant.kind !== "reseller") throw new PanelError("BAD_REQUEST", "Only resellers have allocations.");
    if (ctx.actor.role === "reseller" && ctx.tenant.id !== ctx.actor.tenantId)
      throw new PanelError("NOT_FOUND", "No such reseller.");
    const allocation = await ctx.db.allocation.findUnique({ where: { tenantId: ctx.tenant.id } });
    return {
      tenantId: ctx.tenant.id,
      name: ctx.tenant.name,
      allocation,
      used: await resellerUsage(ctx.db, ctx.tenant.id),
    };
  }),

  set: tenantProcedure("admin")
    .input(amounts)
    .mutation(async ({ ctx, input }) => {
      if (ctx.tenant.kind !== "reseller")
        throw new PanelError(
          "BAD_REQUEST",
          `"${ctx.tenant.name}" is a ${ctx.tenant.kind}; only resellers have allocations.`,
        );
      const { tenantId: _t, features, ...amountsIn } = input as typeof input & { tenantId: string };
      const values = { ...amountsIn, ...(features ? { features: JSON.stringify(features) } : {}) };
      const a = await ctx.db.allocation.upsert({
        where: { tenantId: ctx.tenant.id },
        create: { tenantId: ctx.tenant.id, ...values },
        update: values,
      });
      await audit(ctx, {
        action: "allocation.set",
        target: `reseller ${ctx.tenant.name}`,
        tenantId: ctx.tenant.id,
        details: { ...amountsIn, ...(features ? { features } : {}) },
      });
      return a;
    }),
});
