/**
 * A user's page for its sellers (users.get) and an administrator's change of a user's role (users.setRole).
 * Scoping is the caller's: the router loads the user only within the caller's visible tenants.
 */
import { ROLES, ROLES_OF_KIND, roleAtMost, type Actor, type Role, type TenantKind } from "../auth/roles.js";
import type { Db, User } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { impersonationRefusal } from "./impersonation.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

/** The user with its tenant, last login, live sessions and what the caller may do with it. */
export async function userDetail(ctx: Ctx, u: User) {
  const now = new Date();
  const [tenant, lastLogin, sessions] = await Promise.all([
    ctx.db.tenant.findUniqueOrThrow({
      where: { id: u.tenantId },
      select: {
        id: true,
        name: true,
        kind: true,
        disabled: true,
        parentId: true,
        parent: { select: { disabled: true } },
      },
    }),
    // recordLogin keeps an account's latest successful login only
    ctx.db.loginAttempt.findFirst({
      where: { key: `email:${u.email}`, success: true },
      orderBy: { createdAt: "desc" },
      select: { createdAt: true },
    }),
    ctx.db.session.count({ where: { userId: u.id, expiresAt: { gt: now }, secondFactor: true } }),
  ]);
  const self = u.id === ctx.actor.userId;
  const roles = ctx.actor.role === "admin" && !self ? ROLES_OF_KIND[tenant.kind as TenantKind] : [];
  const blocked = u.disabled || tenant.disabled || !!tenant.parent?.disabled;
  const refusal = impersonationRefusal(ctx.actor, { ...u, tenant });
  return {
    id: u.id,
    email: u.email,
    name: u.name,
    role: u.role,
    disabled: u.disabled,
    totpEnabled: u.totpEnabled,
    createdAt: u.createdAt,
    tenant: { id: tenant.id, name: tenant.name, kind: tenant.kind, disabled: tenant.disabled },
    lastLogin: lastLogin?.createdAt ?? null,
    sessions,
    self,
    /** the roles an administrator may give this user (none for others, or for oneself) */
    roles,
    /** "log in as": null when allowed, else why not */
    impersonation: refusal ?? (blocked ? "The user or its tenant is disabled; enable it first." : null),
  };
}

/** Admin: a role among those of the user's tenant kind; tokens above the new role are revoked. */
export async function setUserRole(ctx: Ctx, u: User, role: Role) {
  if (u.id === ctx.actor.userId)
    throw new PanelError("FORBIDDEN", "You cannot change your own role; ask another administrator.");
  const tenant = await ctx.db.tenant.findUniqueOrThrow({ where: { id: u.tenantId } });
  const allowed = ROLES_OF_KIND[tenant.kind as TenantKind];
  if (!allowed.includes(role))
    throw new PanelError(
      "BAD_REQUEST",
      `A user of a ${tenant.kind} tenant can be ${allowed.join(" or ")}, not ${role}.`,
      { role: `one of ${allowed.join(", ")}` },
    );
  if (role === u.role) return { id: u.id, role, revokedTokens: 0 };
  const higher = ROLES.filter((r) => !roleAtMost(r, role));
  const [, revoked] = await ctx.db.$transaction([
    ctx.db.user.update({ where: { id: u.id }, data: { role } }),
    ctx.db.apiToken.updateMany({
      where: { userId: u.id, revokedAt: null, role: { in: higher } },
      data: { revokedAt: new Date() },
    }),
  ]);
  await audit(ctx, {
    action: "user.setRole",
    target: u.email,
    tenantId: u.tenantId,
    details: { from: u.role, to: role, revokedTokens: revoked.count },
  });
  return { id: u.id, role, revokedTokens: revoked.count };
}
