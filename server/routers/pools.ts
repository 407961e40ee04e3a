/**
 * IP pools (admin only): ranges of addresses per node that IPAM hands to containers (server/services/ipam.ts).
 * A veth pool names the engine network its NICs join; that network must exist on the node.
 */
import { z } from "zod";
import { engineFor } from "../engine/index.js";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { assertNoOverlap, checkPool, MANUAL_KIND, poolInputSchema, rangeSize, withIpLock } from "../services/ipam.js";
import { roleProcedure, router } from "../trpc/init.js";
import { id } from "./schemas.js";

const admin = roleProcedure("admin");

export const poolsRouter = router({
  /** Every pool (or one node's) with how many addresses are assigned and how many it holds. */
  list: admin.input(z.object({ nodeId: id.optional() }).optional()).query(async ({ ctx, input }) => {
    const pools = await ctx.db.ipPool.findMany({
      where: input?.nodeId ? { nodeId: input.nodeId } : {},
      include: { node: { select: { id: true, name: true } }, _count: { select: { addresses: true } } },
      orderBy: [{ node: { name: "asc" } }, { name: "asc" }],
    });
    // the manual pseudo-pool (addresses an admin gave outside every pool) has no range to fill
    return pools.map(({ _count, ...p }) => ({
      ...p,
      used: _count.addresses,
      total: p.kind === MANUAL_KIND ? null : rangeSize(p.rangeStart, p.rangeEnd),
    }));
  }),

  create: admin.input(poolInputSchema.extend({ nodeId: id })).mutation(async ({ ctx, input }) => {
    const node = await ctx.db.node.findUnique({ where: { id: input.nodeId } });
    if (!node) throw new PanelError("NOT_FOUND", "No such node.", { nodeId: "choose a registered node" });
    const shape = checkPool(input);
    if (shape.network) {
      const networks = await engineFor(node.endpoint).call("network.list", {});
      if (!networks.some((n) => n.name === shape.network)) {
        throw new PanelError(
          "BAD_REQUEST",
          `Node ${node.name} has no engine network "${shape.network}"; create it on the Nodes page first (existing: ${networks.map((n) => n.name).join(", ") || "none"}).`,
          {
            network: "no such network on this node",
          },
        );
      }
    }
    const pool = await withIpLock(ctx.db, node.id, async () => {
      if (await ctx.db.ipPool.findUnique({ where: { nodeId_name: { nodeId: node.id, name: input.name } } })) {
        throw new PanelError(
          "CONFLICT",
          `Node ${node.name} already has a pool named "${input.name}"; choose another name.`,
          { name: "already exists" },
        );
      }
      await assertNoOverlap(ctx.db, node.id, shape);
      return ctx.db.ipPool.create({ data: { nodeId: node.id, name: input.name, kind: input.kind, ...shape } });
    });
    await audit(ctx, {
      action: "pool.create",
      target: `pool ${pool.name} on node ${node.name}`,
      tenantId: null,
      details: {
        kind: pool.kind,
        network: pool.network,
        cidr: pool.cidr,
        rangeStart: pool.rangeStart,
        rangeEnd: pool.rangeEnd,
      },
    });
    return { ...pool, used: 0, total: rangeSize(pool.rangeStart, pool.rangeEnd) };
  }),

  /** Refused while any address of the pool is assigned. */
  delete: admin.input(z.object({ poolId: id })).mutation(async ({ ctx, input }) => {
    const pool = await ctx.db.ipPool.findUnique({ where: { id: input.poolId }, include: { node: true } });
    if (!pool) throw new PanelError("NOT_FOUND", "No such IP pool.");
    await withIpLock(ctx.db, pool.nodeId, async () => {
      const used = await ctx.db.ipAddress.findMany({
        where: { poolId: pool.id },
        select: { address: true, container: { select: { ctid: true } } },
        take: 5,
      });
      if (used.length) {
        const n = await ctx.db.ipAddress.count({ where: { poolId: pool.id } });
        const who = used
          .map((u) => (u.container ? `${u.address} (container ${u.container.ctid})` : `${u.address} (reserved)`))
          .join(", ");
        throw new PanelError(
          "CONFLICT",
          `Pool "${pool.name}" still has ${n} assigned address(es): ${who}${n > used.length ? ", …" : ""}. Remove them from their containers (or destroy those) first.`,
        );
      }
      await ctx.db.ipPool.delete({ where: { id: pool.id } });
    });
    await audit(ctx, {
      action: "pool.delete",
      target: `pool ${pool.name} on node ${pool.node.name}`,
      tenantId: null,
      details: { cidr: pool.cidr },
    });
    return { ok: true as const };
  }),
});
