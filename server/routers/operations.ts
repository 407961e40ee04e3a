import { z } from "zod";
import { PanelError } from "../errors.js";
import { OPERATION_SORTS, operationTable } from "../services/log-tables.js";
import { canSeeTenant, loggedFor } from "../services/scope.js";
import { tableInput } from "../services/tables.js";
import { authedProcedure, router } from "../trpc/init.js";
import { id } from "./schemas.js";

export const operationsRouter = router({
  list: authedProcedure
    .input(z.object({ containerId: id.optional(), take: z.number().int().min(1).max(500).default(50) }).optional())
    .query(({ ctx, input }) =>
      ctx.db.operation.findMany({
        where: { ...loggedFor(ctx.actor), ...(input?.containerId ? { containerId: input.containerId } : {}) },
        orderBy: { createdAt: "desc" },
        take: input?.take ?? 50,
        include: { container: { select: { id: true, ctid: true, hostname: true } } },
      }),
    ),

  /** The operations table: a page sorted by time, kind or status, searched by kind, status, actor or container. */
  table: authedProcedure
    .input(tableInput(OPERATION_SORTS, { sort: "createdAt", dir: "desc" }).extend({ containerId: id.optional() }))
    .query(({ ctx, input }) => operationTable(ctx.db, ctx.actor, input)),

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
