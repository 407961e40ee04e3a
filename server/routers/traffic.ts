/**
 * Traffic per container (daily, last N days; the current month against the plan's quota) and per tenant
 * (a month's totals). Counted by the sampler in server/services/traffic.ts; bytes as the container sees
 * them (rx = received by it, tx = sent by it); days and months are UTC.
 */
import { z } from "zod";
import { authedProcedure, containerProcedure, router } from "../trpc/init.js";
import { suspendsOnOverage } from "../services/traffic-overage.js";
import { GB, lastDays, monthDays, monthTotals, trafficInterval, utcMonth } from "../services/traffic.js";
import { ownedBy, tenantsOf } from "../services/scope.js";

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, "a month like 2026-11");

export const trafficRouter = router({
  container: containerProcedure("admin", "reseller", "customer")
    .input(z.object({ days: z.number().int().min(1).max(366).default(30) }))
    .query(async ({ ctx, input }) => {
      const c = ctx.container;
      const now = new Date();
      const days = lastDays(now, input.days);
      const rows = await ctx.db.trafficDaily.findMany({
        where: { containerId: c.id, day: { gte: days[0]!, lte: days[days.length - 1]! } },
        select: { day: true, rxBytes: true, txBytes: true },
      });
      const byDay = new Map(rows.map((r) => [r.day, r]));
      const m = utcMonth(now);
      const t = (await monthTotals(ctx.db, { id: c.id }, m)).get(c.id) ?? { rxBytes: 0n, txBytes: 0n };
      return {
        /** how often the panel samples the counters (seconds; 0 = not at all): the card refreshes as often */
        intervalSec: trafficInterval(),
        days: days.map((day) => ({
          day,
          rxBytes: Number(byDay.get(day)?.rxBytes ?? 0n),
          txBytes: Number(byDay.get(day)?.txBytes ?? 0n),
        })),
        month: {
          month: m,
          rxBytes: Number(t.rxBytes),
          txBytes: Number(t.txBytes),
          totalBytes: Number(t.rxBytes + t.txBytes),
          /** null = no quota */
          quotaBytes: c.plan.trafficQuotaGb > 0 ? Number(BigInt(c.plan.trafficQuotaGb) * GB) : null,
          throttled: c.throttled,
          throttleKbit: c.plan.throttleKbit,
          /** over the quota this month: throttled, or suspended (a seller's waiver for the month throttles) */
          overage: suspendsOnOverage(c, m) ? ("suspend" as const) : ("throttle" as const),
          /** suspended now because of the quota */
          suspended: c.suspendedBy === "traffic",
        },
      };
    }),

  /**
   * A month's totals per tenant the caller may see (admin: all; reseller: itself and its customers; customer: itself).
   */
  tenant: authedProcedure.input(z.object({ month: month.optional() }).optional()).query(async ({ ctx, input }) => {
    const m = input?.month ?? utcMonth(new Date());
    const scope = tenantsOf(ctx.actor);
    const [tenants, sums, counts] = await Promise.all([
      ctx.db.tenant.findMany({
        where: scope,
        select: { id: true, name: true, kind: true, parentId: true },
        orderBy: { name: "asc" },
      }),
      ctx.db.trafficDaily.groupBy({
        by: ["tenantId"],
        where: { AND: [{ day: monthDays(m) }, ownedBy(ctx.actor)] },
        _sum: { rxBytes: true, txBytes: true },
      }),
      ctx.db.container.groupBy({
        by: ["tenantId"],
        where: ownedBy(ctx.actor),
        _count: { _all: true },
      }),
    ]);
    const sum = new Map(sums.map((s) => [s.tenantId, s._sum]));
    const cts = new Map(counts.map((c) => [c.tenantId, c._count._all]));
    const rows = tenants.map((t) => {
      const s = sum.get(t.id);
      const rx = Number(s?.rxBytes ?? 0n);
      const tx = Number(s?.txBytes ?? 0n);
      return {
        tenantId: t.id,
        name: t.name,
        kind: t.kind,
        parentId: t.parentId,
        containers: cts.get(t.id) ?? 0,
        rxBytes: rx,
        txBytes: tx,
        totalBytes: rx + tx,
      };
    });
    return { month: m, tenants: rows.sort((a, b) => b.totalBytes - a.totalBytes || a.name.localeCompare(b.name)) };
  }),
});
