import { z } from "zod";
import { hashPassword } from "../auth/crypto.js";
import { ROLE_OF_KIND, type TenantKind } from "../auth/roles.js";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { suspendTenant, unsuspendTenant } from "../services/suspension.js";
import { deleteTenant, tenantDetail } from "../services/tenant-admin.js";
import { roleProcedure, router, tenantProcedure } from "../trpc/init.js";
import { email, id, name, password, reason } from "./schemas.js";
import { tenantsOf } from "../services/scope.js";

/** A customer of the caller (not its own tenant): anything else is NOT_FOUND, as in the billing API. */
const customerProcedure = tenantProcedure("admin", "reseller").use(({ ctx, next }) => {
  if (ctx.tenant.kind !== "customer" || ctx.tenant.id === ctx.actor.tenantId)
    throw new PanelError("NOT_FOUND", "No such customer (or not one of yours). Check the list of customers.");
  return next();
});

export const tenantsRouter = router({
  list: roleProcedure("admin", "reseller").query(async ({ ctx }) => {
    const rows = await ctx.db.tenant.findMany({
      where: tenantsOf(ctx.actor),
      orderBy: [{ kind: "asc" }, { name: "asc" }],
      include: {
        _count: { select: { containers: true, users: true, children: true } },
        parent: { select: { id: true, name: true } },
      },
    });
    return rows.map((t) => ({
      id: t.id,
      name: t.name,
      kind: t.kind,
      disabled: t.disabled,
      suspension: t.suspendedAt ? { since: t.suspendedAt, reason: t.suspendReason } : null,
      parent: t.parent,
      createdAt: t.createdAt,
      counts: t._count,
    }));
  }),

  /** The tenant's page: users, parent, containers by state and plan, sub-tenants, a reseller's allocation use. */
  get: tenantProcedure("admin", "reseller").query(({ ctx }) => tenantDetail(ctx.db, ctx.tenant)),

  /**
   * Delete a reseller or customer (admin), or a customer of one's own (reseller), with its users and plans.
   * Refused (CONFLICT, the reason in a sentence) while it has containers, sub-tenants or backups.
   */
  delete: tenantProcedure("admin", "reseller").mutation(({ ctx }) => deleteTenant(ctx, ctx.tenant)),

  /** A new reseller (admin) or customer (admin, or a reseller for itself), with its first user. */
  create: roleProcedure("admin", "reseller")
    .input(
      z.object({
        name,
        kind: z.enum(["reseller", "customer"]),
        parentId: id.optional(),
        user: z.object({ email, name, password }),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      const { actor } = ctx;
      let parentId: string;
      if (actor.role === "reseller") {
        if (input.kind !== "customer")
          throw new PanelError("FORBIDDEN", "Resellers can create customers only.", { kind: "customer only" });
        if (input.parentId && input.parentId !== actor.tenantId)
          throw new PanelError("NOT_FOUND", "No such parent tenant.", { parentId: "must be your own tenant" });
        parentId = actor.tenantId;
      } else {
        const parent = input.parentId
          ? await ctx.db.tenant.findUnique({ where: { id: input.parentId } })
          : await ctx.db.tenant.findFirst({ where: { kind: "platform" } });
        if (!parent) throw new PanelError("NOT_FOUND", "No such parent tenant.", { parentId: "not found" });
        const okParent =
          input.kind === "reseller"
            ? parent.kind === "platform"
            : parent.kind === "platform" || parent.kind === "reseller";
        if (!okParent)
          throw new PanelError("BAD_REQUEST", `A ${input.kind} cannot be placed under a ${parent.kind}.`, {
            parentId: "wrong kind of parent",
          });
        parentId = parent.id;
      }
      if (await ctx.db.user.findUnique({ where: { email: input.user.email } })) {
        throw new PanelError("CONFLICT", `A user with email ${input.user.email} already exists; use another address.`, {
          "user.email": "already in use",
        });
      }
      const passwordHash = await hashPassword(input.user.password);
      const tenant = await ctx.db.tenant.create({
        data: {
          name: input.name,
          kind: input.kind,
          parentId,
          users: {
            create: {
              email: input.user.email,
              name: input.user.name,
              passwordHash,
              role: ROLE_OF_KIND[input.kind as TenantKind],
            },
          },
        },
      });
      await audit(ctx, {
        action: "tenant.create",
        target: `${input.kind} ${tenant.name}`,
        tenantId: tenant.id,
        details: { user: input.user.email, parentId },
      });
      return { id: tenant.id, name: tenant.name, kind: tenant.kind };
    }),

  update: tenantProcedure("admin", "reseller")
    .input(z.object({ name: name.optional(), disabled: z.boolean().optional() }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.tenant.kind === "platform" || ctx.tenant.id === ctx.actor.tenantId)
        throw new PanelError("FORBIDDEN", "You cannot change or disable your own tenant here.");
      const t = await ctx.db.tenant.update({
        where: { id: ctx.tenant.id },
        data: { name: input.name, disabled: input.disabled },
      });
      await audit(ctx, { action: "tenant.update", target: `${t.kind} ${t.name}`, tenantId: t.id, details: input });
      return { id: t.id, name: t.name, disabled: t.disabled };
    }),

  /** Sellers: suspend a customer and all its containers, with a reason (as the billing API's customers/suspend). */
  suspend: customerProcedure
    .input(z.object({ reason }))
    .mutation(({ ctx, input }) => suspendTenant(ctx, ctx.tenant, input.reason)),

  /** Lift a customer's suspension and the container suspensions it caused. */
  unsuspend: customerProcedure.mutation(({ ctx }) => unsuspendTenant(ctx, ctx.tenant)),
});
