import { z } from "zod";
import { PanelError } from "../errors.js";
import { canSeeTenant, tenantWhere } from "../services/scope.js";
import { authedProcedure, router } from "../trpc/init.js";
import { id } from "./schemas.js";

export const operationsRouter = router({
  list: authedProcedure
    .input(z.object({ containerId: id.optional(), take: z.number().int().min(1).max(500).default(50) }).optional())
    .query(({ ctx, input }) =>
      ctx.db.operation.findMany({
        where: { ...tenantWhere(ctx.scope), ...(input?.containerId ? { containerId: input.containerId } : {}) },
        orderBy: { createdAt: "desc" },
        take: input?.take ?? 50,
        include: { container: { select: { id: true, ctid: true, hostname: true } } },
      }),
    ),

  /** One operation with its log lines after `afterLine` (for incremental polling). */
  get: authedProcedure
    .input(z.object({ operationId: id, afterLine: z.number().int().min(0).max(2_147_483_647).default(0) }))
    .query(async ({ ctx, input }) => {
      const op = await ctx.db.operation.findUnique({
        where: { id: input.operationId },
        include: { container: { select: { id: true, ctid: true, hostname: true } } },
      });
      if (!op || !canSeeTenant(ctx.scope, op.tenantId)) throw new PanelError("NOT_FOUND", "No such operation.");
      const lines = await ctx.db.operationLine.findMany({
        where: { operationId: op.id, id: { gt: input.afterLine } },
        orderBy: { id: "asc" },
        take: 1000,
      });
      return { ...op, lines };
    }),
});
