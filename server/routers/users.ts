import { z } from "zod";
import { hashPassword } from "../auth/crypto.js";
import { ROLE_OF_KIND, ROLES, type TenantKind } from "../auth/roles.js";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { startImpersonation } from "../services/impersonation.js";
import { canSeeTenant, ownedBy } from "../services/scope.js";
import { setUserRole, userDetail } from "../services/user-admin.js";
import { roleProcedure, router, tenantProcedure } from "../trpc/init.js";
import { email, id, name, password } from "./schemas.js";

const userAdmin = roleProcedure("admin", "reseller");

async function loadUser(
  ctx: { db: import("../db/client.js").Db; scope: string[] | null; actor: { userId: string } },
  userId: string,
) {
  const u = await ctx.db.user.findUnique({ where: { id: userId } });
  if (!u || !canSeeTenant(ctx.scope, u.tenantId))
    throw new PanelError("NOT_FOUND", "No such user (or not one of yours).");
  return u;
}

export const usersRouter = router({
  list: userAdmin.query(({ ctx }) =>
    ctx.db.user.findMany({
      where: ownedBy(ctx.actor),
      orderBy: { email: "asc" },
      select: {
        id: true,
        email: true,
        name: true,
        role: true,
        disabled: true,
        totpEnabled: true,
        createdAt: true,
        tenant: { select: { id: true, name: true, kind: true } },
      },
    }),
  ),

  /** A user's page: tenant, status, 2FA, last login, live sessions, and what the caller may do with it. */
  get: userAdmin
    .input(z.object({ userId: id }))
    .query(async ({ ctx, input }) => userDetail(ctx, await loadUser(ctx, input.userId))),

  /** Admin: another user's role, among those roles.ts allows for the user's tenant kind. */
  setRole: roleProcedure("admin")
    .input(z.object({ userId: id, role: z.enum(ROLES) }))
    .mutation(async ({ ctx, input }) => setUserRole(ctx, await loadUser(ctx, input.userId), input.role)),

  /**
   * "Log in as" (server/services/impersonation.ts): a session as the user, replacing the caller's cookie; an
   * admin for any non-admin user, a reseller for its customers' users. auth.stopImpersonating returns.
   */
  impersonate: userAdmin
    .input(z.object({ userId: id }))
    .mutation(({ ctx, input }) => startImpersonation(ctx, input.userId)),

  create: tenantProcedure("admin", "reseller")
    .input(z.object({ email, name, password }))
    .mutation(async ({ ctx, input }) => {
      if (await ctx.db.user.findUnique({ where: { email: input.email } }))
        throw new PanelError("CONFLICT", `A user with email ${input.email} already exists.`, {
          email: "already in use",
        });
      const u = await ctx.db.user.create({
        data: {
          email: input.email,
          name: input.name,
          passwordHash: await hashPassword(input.password),
          role: ROLE_OF_KIND[ctx.tenant.kind as TenantKind],
          tenantId: ctx.tenant.id,
        },
      });
      await audit(ctx, { action: "user.create", target: u.email, tenantId: u.tenantId, details: { role: u.role } });
      return { id: u.id, email: u.email, role: u.role };
    }),

  setDisabled: userAdmin.input(z.object({ userId: id, disabled: z.boolean() })).mutation(async ({ ctx, input }) => {
    const u = await loadUser(ctx, input.userId);
    if (u.id === ctx.actor.userId) throw new PanelError("FORBIDDEN", "You cannot disable yourself.");
    await ctx.db.user.update({ where: { id: u.id }, data: { disabled: input.disabled } });
    if (input.disabled) await ctx.db.session.deleteMany({ where: { userId: u.id } });
    await audit(ctx, {
      action: input.disabled ? "user.disable" : "user.enable",
      target: u.email,
      tenantId: u.tenantId,
    });
    return { ok: true as const };
  }),

  resetPassword: userAdmin.input(z.object({ userId: id, password })).mutation(async ({ ctx, input }) => {
    const u = await loadUser(ctx, input.userId);
    await ctx.db.user.update({ where: { id: u.id }, data: { passwordHash: await hashPassword(input.password) } });
    await ctx.db.session.deleteMany({ where: { userId: u.id } });
    await audit(ctx, { action: "user.resetPassword", target: u.email, tenantId: u.tenantId });
    return { ok: true as const };
  }),
});
