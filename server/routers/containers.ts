import { z } from "zod";
import { newCtidSchema } from "../../native/src/identity.js";
import { firewallSchema, ipAddr } from "../../native/src/net/types.js";
import { PanelError } from "../errors.js";
import { bulkAction, BULK_MAX } from "../services/bulk.js";
import { CONTAINER_SORTS, containerDetail, containerTable, listContainers } from "../services/container-queries.js";
import * as svc from "../services/containers.js";
import { assertCustomerMayDestroy, selfServiceView } from "../services/customer-quota.js";
import { featuresView, setContainerFeatures } from "../services/features.js";
import { migrateContainer } from "../services/migrate.js";
import { NET_MODES } from "../services/ipam.js";
import * as net from "../services/network.js";
import { setSettings } from "../services/settings.js";
import { suspendContainer, unsuspendContainer } from "../services/suspension.js";
import { templateName } from "../services/limits.js";
import { tableInput } from "../services/tables.js";
import { authedProcedure, containerProcedure, roleProcedure, router } from "../trpc/init.js";
import { hostname, id, password, reason } from "./schemas.js";

const anyRole = ["admin", "reseller", "customer"] as const;

export const containersRouter = router({
  /** Scoped to the caller's tenants; optional filter by one visible tenant. */
  list: authedProcedure
    .input(
      z
        .object({
          tenantId: id.optional(),
          take: z.number().int().min(1).max(2000).default(500),
          skip: z.number().int().min(0).max(1_000_000).default(0),
        })
        .optional(),
    )
    .query(({ ctx, input }) => listContainers(ctx.db, { ...ctx.actor, scope: ctx.scope }, input)),

  /**
   * The containers table: one page (at most 100) sorted by ctid, hostname, state, node or creation time, searched
   * by ctid, hostname, name or IP address, with the total; scoped like list.
   */
  table: authedProcedure
    .input(tableInput(CONTAINER_SORTS, { sort: "ctid", dir: "asc" }).extend({ tenantId: id.optional() }))
    .query(({ ctx, input }) => containerTable(ctx.db, ctx.actor, input)),

  /** Admin: start or stop the selected containers, one operation each; refusals per container, in sentences. */
  bulkAction: roleProcedure("admin")
    .input(
      z.object({
        containerIds: z.array(id).min(1, "select at least one container").max(BULK_MAX),
        action: z.enum(["start", "stop"]),
      }),
    )
    .mutation(({ ctx, input }) => bulkAction(ctx, input.containerIds, input.action)),

  get: containerProcedure(...anyRole).query(({ ctx }) => containerDetail(ctx.db, ctx.container)),

  usage: containerProcedure(...anyRole).query(({ ctx }) => svc.usage(ctx.container)),

  /** The end of its console output (the boot log: init's messages), as the console: owner, seller, admins. */
  bootLog: containerProcedure(...anyRole)
    .input(z.object({ maxKb: z.number().int().min(1).max(256).default(64) }))
    .query(({ ctx, input }) => svc.bootLog(ctx.container, input.maxKb)),

  /** Customers: their self-service plans, what a container of each costs, what is left of the quota. */
  selfService: roleProcedure("customer").query(({ ctx }) => selfServiceView(ctx.db, ctx.actor.tenantId)),

  /** Sellers for their customers; customers for themselves, of a self-service plan within its quota. */
  create: roleProcedure(...anyRole)
    .input(
      z.object({
        tenantId: id,
        planId: id,
        hostname,
        template: templateName,
        ctid: newCtidSchema.optional(),
        nodeId: id.optional(),
        netMode: z.enum(NET_MODES).optional(),
      }),
    )
    .mutation(({ ctx, input }) => svc.createContainer(ctx, ctx.scope, input)),

  /**
   * A copy of the container (prlctl clone): same customer, plan and node, its own ctid, hostname, name and
   * addresses; checked like a create (the reseller's allocation, addresses from the pools). Customers clone their
   * own containers of a self-service plan within its quota (customer-quota.ts).
   */
  clone: containerProcedure(...anyRole)
    .input(z.object({ hostname, name: z.string().max(64).optional(), ctid: newCtidSchema.optional() }))
    .mutation(({ ctx, input }) => svc.cloneContainer(ctx, ctx.scope, ctx.container, input)),

  start: containerProcedure(...anyRole).mutation(({ ctx }) => svc.containerAction(ctx, ctx.container, "start")),
  stop: containerProcedure(...anyRole).mutation(({ ctx }) => svc.containerAction(ctx, ctx.container, "stop")),
  restart: containerProcedure(...anyRole).mutation(({ ctx }) => svc.containerAction(ctx, ctx.container, "restart")),

  reinstall: containerProcedure(...anyRole)
    // keepData=false wipes the old system: that needs an explicit confirmation
    .input(
      z
        .object({ template: templateName, keepData: z.boolean().default(false), confirm: z.boolean().optional() })
        .refine((v) => v.keepData || v.confirm === true, {
          message: "confirm that all data in the container will be erased",
          path: ["confirm"],
        }),
    )
    .mutation(({ ctx, input }) => svc.reinstallContainer(ctx, ctx.container, input.template, input.keepData)),

  /** Customers destroy only their containers of a self-service plan (customer-quota.ts); else their provider. */
  destroy: containerProcedure(...anyRole)
    .input(z.object({ confirmHostname: z.string().max(253) }))
    .mutation(({ ctx, input }) => {
      if (ctx.actor.role === "customer") assertCustomerMayDestroy(ctx.container);
      if (input.confirmHostname.trim().toLowerCase() !== ctx.container.hostname) {
        throw new PanelError("BAD_REQUEST", `Type the container's hostname (${ctx.container.hostname}) to confirm.`, {
          confirmHostname: "does not match",
        });
      }
      return svc.destroyContainer(ctx, ctx.container);
    }),

  /** Admin only: move the container to another node, live (CRIU) or offline (vzmigrate). */
  migrate: containerProcedure("admin")
    .input(z.object({ targetNodeId: id, live: z.boolean() }))
    .mutation(({ ctx, input }) => migrateContainer(ctx, ctx.container, input)),

  /**
   * Sellers: suspend with a reason (stopped or frozen; the owner cannot start it and reads the reason), as the
   * billing API does. Returns the stop operation, or null when it was suspended already (only the reason changed).
   */
  suspend: containerProcedure("admin", "reseller")
    .input(z.object({ reason }))
    .mutation(({ ctx, input }) => suspendContainer(ctx, ctx.container, { reason: input.reason })),

  /** Sellers: lift the suspension (running again if it was running); null when it was not suspended. */
  unsuspend: containerProcedure("admin", "reseller").mutation(({ ctx }) => unsuspendContainer(ctx, ctx.container)),

  /**
   * The hostname (RFC 1123), customers included: applied by the engine at once (the running system's hostname,
   * /etc/hostname and /etc/hosts; a stopped container's files) and stored; audited as container.setSettings.
   */
  setHostname: containerProcedure(...anyRole)
    .input(z.object({ hostname }))
    .mutation(({ ctx, input }) => setSettings(ctx, ctx.container, { hostname: input.hostname })),

  resetPassword: containerProcedure(...anyRole)
    .input(z.object({ password }))
    .mutation(({ ctx, input }) => svc.resetRootPassword(ctx, ctx.container, input.password)),

  /** Admin only: change limits live (applied to the running container at once) as overrides of the plan. */
  setLimits: containerProcedure("admin")
    .input(z.object({ limits: z.record(z.string(), z.unknown()) }))
    .mutation(({ ctx, input }) => svc.setLimits(ctx, ctx.container, input.limits)),

  /** Features (nesting, tun, fuse, keyctl): the catalog, what the plan allows, what is on. */
  features: containerProcedure(...anyRole).query(({ ctx }) => featuresView(ctx.container)),

  /** The whole new feature set, within the plan (customers included); applies at the next start. */
  setFeatures: containerProcedure(...anyRole)
    .input(z.object({ features: z.array(z.string().max(32)).max(16) }))
    .mutation(({ ctx, input }) => setContainerFeatures(ctx, ctx.container, input.features)),

  /** Addresses (with their pools), mode, firewall, rate, quota state, and live counters when it runs. */
  network: containerProcedure(...anyRole).query(({ ctx }) => net.networkView(ctx.db, ctx.container)),

  /** One more address from the node's pools (live). Resellers: within the plan's address count. */
  addIp: containerProcedure("admin", "reseller")
    .input(z.object({ family: z.union([z.literal(4), z.literal(6)]).optional() }))
    .mutation(({ ctx, input }) => net.addIp(ctx, ctx.container, { family: input.family })),

  removeIp: containerProcedure("admin", "reseller")
    .input(z.object({ address: ipAddr }))
    .mutation(({ ctx, input }) => net.removeIp(ctx, ctx.container, input.address)),

  /** The container's own firewall (customers included); the engine's schema validates the rules. */
  setFirewall: containerProcedure(...anyRole)
    .input(z.object({ firewall: firewallSchema }))
    .mutation(({ ctx, input }) => net.setFirewall(ctx, ctx.container, input.firewall)),

  /** Admin: venet / veth / none, while stopped; addresses are re-assigned from pools of the new kind. */
  setNetMode: containerProcedure("admin")
    .input(z.object({ mode: z.enum(NET_MODES) }))
    .mutation(({ ctx, input }) => net.setNetMode(ctx, ctx.container, input.mode)),
});
