import { z } from "zod";
import { AUDIT_SORTS, auditTable } from "../services/log-tables.js";
import { loggedFor } from "../services/scope.js";
import { tableInput } from "../services/tables.js";
import { roleProcedure, router } from "../trpc/init.js";

export const auditRouter = router({
  /** admin: everything; reseller: entries about its own tenant and its customers. */
  list: roleProcedure("admin", "reseller")
    .input(
      z
        .object({
          take: z.number().int().min(1).max(500).default(100),
          beforeId: z.number().int().min(1).max(2_147_483_647).optional(),
          action: z.string().max(64).optional(),
        })
        .optional(),
    )
    .query(({ ctx, input }) =>
      ctx.db.auditLog.findMany({
        where: {
          ...loggedFor(ctx.actor),
          ...(input?.beforeId ? { id: { lt: input.beforeId } } : {}),
          ...(input?.action ? { action: { startsWith: input.action } } : {}),
        },
        orderBy: { id: "desc" },
        take: input?.take ?? 100,
      }),
    ),

  /**
   * The audit table: a page sorted by time, actor or action, searched by a part of the action or actor; with
   * `userId`, only what that user did (a user's page).
   */
  table: roleProcedure("admin", "reseller")
    .input(
      tableInput(AUDIT_SORTS, { sort: "time", dir: "desc" }).extend({ userId: z.string().min(1).max(64).optional() }),
    )
    .query(({ ctx, input }) => auditTable(ctx.db, ctx.actor, input)),
});
