import { z } from "zod";
import { networkSchema } from "../../native/src/net/types.js";
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { defaultNode } from "../services/containers.js";
import { nodeStats } from "../services/node-stats.js";
import { buildTemplateOn, deleteTemplateOn, listTemplatesOn, TEMPLATE_KINDS } from "../services/templates.js";
import {
  assertRoomForAnotherNode,
  createJoinToken,
  createJoinTokenInput,
  deleteNode,
  endpointKind,
  NODE_NAME,
  pendingJoinTokens,
  revokeJoinToken,
} from "../services/nodes.js";
import { authedProcedure, roleProcedure, router } from "../trpc/init.js";
import { id } from "./schemas.js";

const endpoint = z
  .string()
  .trim()
  .regex(/^\/[A-Za-z0-9._/-]{1,200}\.sock$/, "give the engine's Unix socket path, like /run/ovz/engine.sock")
  .refine((p) => !p.split("/").includes(".."), "give an absolute path without ..");

async function nodeOf(db: Db, nodeId: string) {
  const n = await db.node.findUnique({ where: { id: nodeId } });
  if (!n) throw new PanelError("NOT_FOUND", "No such node.");
  return n;
}

export const nodesRouter = router({
  /** Every node with its endpoint kind: "socket" (Unix socket on the panel's host) or "tls" (joined). */
  list: roleProcedure("admin").query(async ({ ctx }) => {
    const nodes = await ctx.db.node.findMany({
      orderBy: { name: "asc" },
      include: { _count: { select: { containers: true } } },
    });
    return nodes.map((n) => ({ ...n, kind: endpointKind(n.endpoint) }));
  }),

  /** A node on the panel's host, by its engine socket (remote nodes join with a token instead). */
  create: roleProcedure("admin")
    .input(z.object({ name: z.string().trim().regex(NODE_NAME, "use a-z, 0-9 and dashes"), endpoint }))
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.node.findUnique({ where: { name: input.name } }))
        throw new PanelError("CONFLICT", `A node named ${input.name} exists.`, { name: "already exists" });
      await assertRoomForAnotherNode(ctx.db, "Adding this node");
      const n = await ctx.db.node.create({ data: input });
      await audit(ctx, { action: "node.create", target: `node ${n.name}`, tenantId: null, details: input });
      return n;
    }),

  /** Removes a node without containers, backups or IP pools (its traffic history goes with it). */
  delete: roleProcedure("admin")
    .input(z.object({ nodeId: id }))
    .mutation(({ ctx, input }) => deleteNode(ctx, input.nodeId)),

  /** A one-time join token (shown once) and the command to run on the new node. */
  createJoinToken: roleProcedure("admin")
    .input(createJoinTokenInput)
    .mutation(({ ctx, input }) => createJoinToken(ctx, input)),

  /** Join tokens that can still be used. */
  joinTokens: roleProcedure("admin").query(({ ctx }) => pendingJoinTokens(ctx.db)),

  revokeJoinToken: roleProcedure("admin")
    .input(z.object({ id }))
    .mutation(({ ctx, input }) => revokeJoinToken(ctx, input.id)),

  /** Live facts from the node's engine (kernel, CPUs, storage). */
  info: roleProcedure("admin")
    .input(z.object({ nodeId: id }))
    .query(async ({ ctx, input }) => {
      const n = await nodeOf(ctx.db, input.nodeId);
      return engineFor(n.endpoint).call("engine.info", {});
    }),

  /** The node's engine networks (bridges veth NICs join), with the IP pools that use each. */
  /** The node dashboard: the node's load now and over the last `hours` (node-stats.ts). */
  stats: roleProcedure("admin")
    .input(
      z.object({
        nodeId: id,
        hours: z
          .number()
          .int()
          .min(1)
          .max(24 * 30)
          .default(24),
      }),
    )
    .query(async ({ ctx, input }) => nodeStats(ctx.db, await nodeOf(ctx.db, input.nodeId), input.hours)),
  networks: roleProcedure("admin")
    .input(z.object({ nodeId: id }))
    .query(async ({ ctx, input }) => {
      const n = await nodeOf(ctx.db, input.nodeId);
      const [list, pools] = await Promise.all([
        engineFor(n.endpoint).call("network.list", {}),
        ctx.db.ipPool.findMany({ where: { nodeId: n.id, kind: "veth" }, select: { name: true, network: true } }),
      ]);
      return list.map((x) => ({ ...x, pools: pools.filter((p) => p.network === x.name).map((p) => p.name) }));
    }),

  createNetwork: roleProcedure("admin")
    .input(networkSchema.extend({ nodeId: id }))
    .mutation(async ({ ctx, input }) => {
      const n = await nodeOf(ctx.db, input.nodeId);
      const { nodeId: _n, ...network } = input;
      const r = await engineFor(n.endpoint).call("network.create", network);
      await audit(ctx, {
        action: "network.create",
        target: `network ${network.name} on node ${n.name}`,
        tenantId: null,
        details: network,
      });
      return r;
    }),

  /** Refused while an IP pool uses the network (the engine refuses while a container does). */
  deleteNetwork: roleProcedure("admin")
    .input(z.object({ nodeId: id, name: z.string().min(1).max(31) }))
    .mutation(async ({ ctx, input }) => {
      const n = await nodeOf(ctx.db, input.nodeId);
      const pools = await ctx.db.ipPool.findMany({
        where: { nodeId: n.id, network: input.name },
        select: { name: true },
      });
      if (pools.length) {
        throw new PanelError(
          "CONFLICT",
          `Network ${input.name} is used by IP pool(s) ${pools.map((p) => `"${p.name}"`).join(", ")}; delete those pools first.`,
        );
      }
      await engineFor(n.endpoint).call("network.delete", { name: input.name });
      await audit(ctx, { action: "network.delete", target: `network ${input.name} on node ${n.name}`, tenantId: null });
      return { ok: true as const };
    }),
});

export const templatesRouter = router({
  /** Templates available on the default node (what plans may allow). */
  list: authedProcedure.query(async ({ ctx }) => {
    const n = await defaultNode(ctx.db);
    return engineFor(n.endpoint).call("template.list", {});
  }),

  /** The Templates page (admins): the templates of one node. */
  onNode: roleProcedure("admin")
    .input(z.object({ nodeId: id }))
    .query(({ ctx, input }) => listTemplatesOn(ctx, input.nodeId)),

  /** Refused while a container on the node or a plan uses it (services/templates.ts). */
  delete: roleProcedure("admin")
    .input(z.object({ nodeId: id, name: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => deleteTemplateOn(ctx, input.nodeId, input.name)),

  /** template.build as an operation; the upload is a raw HTTP route (server/http/template-upload.ts). */
  build: roleProcedure("admin")
    .input(z.object({ nodeId: id, kind: z.enum(TEMPLATE_KINDS), name: z.string().min(1).max(64).optional() }))
    .mutation(({ ctx, input }) => buildTemplateOn(ctx, input)),
});
