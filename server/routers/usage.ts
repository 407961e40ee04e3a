/**
 * Usage history per container (graph points of a range; the tier follows from the range) and per tenant
 * (a month's daily and monthly totals: the billing API — API tokens reach it like any procedure). Sampled
 * by server/services/usage.ts; times are UTC.
 */
import { z } from "zod";
import { authedProcedure, containerProcedure, router } from "../trpc/init.js";
import { effectiveLimits } from "../services/limits.js";
import { usageInterval } from "../services/usage.js";
import { containerPoints, RANGES, type Range, tenantTotals, zeroTotals } from "../services/usage-read.js";
import { utcMonth } from "../services/traffic.js";
import { ownedBy, tenantsOf } from "../services/scope.js";

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month like 2026-11");
const range = z.enum(Object.keys(RANGES) as [Range, ...Range[]]);

export const usageRouter = router({
  /** Points of a range, oldest first; `t` in ms since the epoch, rates per second, CPU in % of one core. */
  container: containerProcedure("admin", "reseller", "customer")
    .input(z.object({ range: range.default("1h") }))
    .query(async ({ ctx, input }) => {
      const c = ctx.container;
      const l = effectiveLimits(c.plan, c.overrides);
      const { tier, points } = await containerPoints(ctx.db, c.id, input.range);
      return {
        range: input.range,
        /** the resolution of the rows: 10 = every sample, 300 = 5-minute averages, 3600 = hourly averages */
        tier,
        /** how often the panel samples (seconds; 0 = not at all): graphs refresh as often */
        intervalSec: usageInterval(),
        limits: { ramBytes: l.ram, swapBytes: l.swap, cpus: l.cpus, cpulimitPct: l.cpulimit, diskBytes: l.diskspace },
        points,
      };
    }),

  /**
   * A month's usage per tenant the caller may see (admin: all; reseller: itself and its customers;
   * customer: itself): monthly totals and one entry per UTC day with data.
   */
  tenants: authedProcedure.input(z.object({ month: month.optional() }).optional()).query(async ({ ctx, input }) => {
    const now = new Date();
    const m = input?.month ?? utcMonth(now);
    const [tenants, totals, counts] = await Promise.all([
      ctx.db.tenant.findMany({
        where: tenantsOf(ctx.actor),
        select: { id: true, name: true, kind: true, parentId: true },
        orderBy: { name: "asc" },
      }),
      tenantTotals(ctx.db, ctx.actor, m, now),
      ctx.db.container.groupBy({
        by: ["tenantId"],
        where: ownedBy(ctx.actor),
        _count: { _all: true },
      }),
    ]);
    const cts = new Map(counts.map((c) => [c.tenantId, c._count._all]));
    const empty = zeroTotals();
    const rows = tenants.map((t) => {
      const u = totals.get(t.id);
      return {
        tenantId: t.id,
        name: t.name,
        kind: t.kind,
        parentId: t.parentId,
        containers: cts.get(t.id) ?? 0,
        month: u?.month ?? empty,
        days: u?.days ?? [],
      };
    });
    return {
      month: m,
      tenants: rows.sort((a, b) => b.month.cpuCoreHours - a.month.cpuCoreHours || a.name.localeCompare(b.name)),
    };
  }),
});
