import { z } from "zod";
import { engineFor } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { defaultNode } from "../services/containers.js";
import { authedProcedure, roleProcedure, router } from "../trpc/init.js";
import { id } from "./schemas.js";

const endpoint = z
  .string()
  .trim()
  .regex(/^\/[A-Za-z0-9._\/-]{1,200}\.sock$/, "give the engine's Unix socket path, like /run/ovz/engine.sock")
  .refine((p) => !p.split("/").includes(".."), "give an absolute path without ..");

export const nodesRouter = router({
  list: roleProcedure("admin").query(({ ctx }) => ctx.db.node.findMany({ orderBy: { name: "asc" }, include: { _count: { select: { containers: true } } } })),

  create: roleProcedure("admin")
    .input(z.object({ name: z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, "use a-z, 0-9 and dashes"), endpoint }))
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.node.findUnique({ where: { name: input.name } })) throw new PanelError("CONFLICT", `A node named ${input.name} exists.`, { name: "already exists" });
      const n = await ctx.db.node.create({ data: input });
      await audit(ctx, { action: "node.create", target: `node ${n.name}`, tenantId: null, details: input });
      return n;
    }),

  /** Live facts from the node's engine (kernel, CPUs, storage). */
  info: roleProcedure("admin").input(z.object({ nodeId: id })).query(async ({ ctx, input }) => {
    const n = await ctx.db.node.findUnique({ where: { id: input.nodeId } });
    if (!n) throw new PanelError("NOT_FOUND", "No such node.");
    return engineFor(n.endpoint).call("engine.info", {});
  }),
});

export const templatesRouter = router({
  /** Templates available on the default node (what plans may allow). */
  list: authedProcedure.query(async ({ ctx }) => {
    const n = await defaultNode(ctx.db);
    return engineFor(n.endpoint).call("template.list", {});
  }),
});
