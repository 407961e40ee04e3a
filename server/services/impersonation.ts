/**
 * "Log in as": an administrator (any reseller's or customer's user, never another administrator) or a reseller
 * (its own customers' users) opens a panel session as that user, from the tenant or user page. It is the same
 * session machinery as a login or a single sign-on link (server/auth/session.ts createSession); the new session
 * points at the session it was opened from (Session.parentId), which
 *   - marks it: the actor carries `impersonator`, the audit log names both ("admin@x as user@y"), the panel shows
 *     a banner (auth.me `impersonator`);
 *   - bounds it: it ends when the opening session ends or its user is blocked (validateSession);
 *   - ends it: returning (auth.stopImpersonating) replaces both with a fresh session of the opener, so the
 *     opener is back in their own account without logging in again; logging out (auth.logout) ends both (the
 *     browser's cookie was the opener's, so the opener's session would otherwise outlive it, unreachable).
 * An impersonated session cannot open another one, nor create API tokens or change login security.
 */
import { blockedReason, type Actor } from "../auth/roles.js";
import { createSession, sessionCookie } from "../auth/session.js";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { canSeeTenant } from "./scope.js";

type Ctx = AuditCtx & { db: Db; actor: Actor; scope: string[] | null; setCookie: (cookie: string) => void };

/** Refuses what an impersonated session may not do, in a sentence saying how to do it instead. */
export function notImpersonated(actor: Actor, what: string): void {
  if (actor.impersonator)
    throw new PanelError(
      "FORBIDDEN",
      `${actor.impersonator.email} logged in as this user ("log in as"), and such a session cannot ${what}; ` +
        "return to your own account first.",
    );
}

/** Why the actor may not log in as this user (a sentence), or null. Blocked users are checked separately. */
export function impersonationRefusal(
  actor: Actor,
  target: { id: string; role: string; tenantId: string; tenant: { kind: string; parentId: string | null } },
): string | null {
  // the new session hangs on the opener's: without one there is nothing to bound it by, or to return to
  if (actor.via !== "session" || !actor.sessionId)
    return "Only a panel session can log in as another user; API tokens cannot.";
  if (actor.impersonator) return "You are already signed in as another user; return to your own account first.";
  if (target.id === actor.userId) return "That is you; you are already logged in as yourself.";
  if (target.role === "admin") return "Administrators cannot be logged in as; ask them to log in themselves.";
  if (actor.role === "admin") return null;
  if (actor.role === "reseller" && target.tenant.kind === "customer" && target.tenant.parentId === actor.tenantId)
    return null;
  return "You can log in as the users of your own customers only.";
}

async function targetOf(ctx: Ctx, userId: string) {
  const u = await ctx.db.user.findUnique({
    where: { id: userId },
    include: { tenant: { include: { parent: true } } },
  });
  if (!u || !canSeeTenant(ctx.scope, u.tenantId))
    throw new PanelError("NOT_FOUND", "No such user (or not one of yours).");
  return u;
}

/** Opens a session as the user and sets its cookie; audited in the user's tenant and in the opener's. */
export async function startImpersonation(ctx: Ctx, userId: string) {
  const u = await targetOf(ctx, userId);
  const refusal = impersonationRefusal(ctx.actor, u);
  if (refusal) throw new PanelError("FORBIDDEN", refusal);
  const blocked = blockedReason(u);
  if (blocked)
    throw new PanelError(
      "CONFLICT",
      `${u.email} cannot log in now, so you cannot log in as them either: ` +
        `${u.disabled ? "the user is disabled" : `the tenant ${u.tenant.name} or its provider is disabled`}; ` +
        "enable it first.",
    );
  const { token } = await createSession(ctx.db, u.id, {
    secondFactor: true, // the opener has completed their own login
    ip: ctx.ip,
    userAgent: ctx.userAgent,
    parentId: ctx.actor.sessionId,
  });
  ctx.setCookie(sessionCookie(token));
  const details = { as: u.email, by: ctx.actor.label };
  await audit(ctx, { action: "user.impersonate", target: u.email, tenantId: u.tenantId, details });
  if (ctx.actor.tenantId !== u.tenantId)
    await audit(ctx, { action: "user.impersonate", target: u.email, tenantId: ctx.actor.tenantId, details });
  return { ok: true as const, user: { id: u.id, email: u.email, role: u.role, tenantId: u.tenantId } };
}

/**
 * Ends a "log in as" session: both it and the session it was opened from are replaced by a fresh session of the
 * opener (no password asked again). When the opener's session is gone, this is a logout and `back` is null.
 */
export async function stopImpersonation(ctx: Omit<Ctx, "scope">) {
  const by = ctx.actor.impersonator;
  if (!by)
    throw new PanelError("BAD_REQUEST", "You are logged in as yourself; there is no other account to return to.");
  const parent = await ctx.db.session.findUnique({
    where: { id: by.sessionId },
    include: { user: { include: { tenant: { include: { parent: true } } } } },
  });
  const me = { db: ctx.db, actor: ctx.actor, ip: ctx.ip, userAgent: ctx.userAgent };
  const target = (await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId } })).email;
  const details = { as: target, by: by.email };
  await audit(me, { action: "user.impersonateEnd", target, tenantId: ctx.actor.tenantId, details });
  // deleting the opener's session deletes this one too (cascade)
  await ctx.db.session.deleteMany({ where: { id: { in: [by.sessionId, ctx.actor.sessionId ?? ""] } } });
  const alive = parent && parent.expiresAt.getTime() > Date.now() && !blockedReason(parent.user);
  if (!alive) return { ok: true as const, back: null };
  const { token } = await createSession(ctx.db, parent.userId, {
    secondFactor: parent.secondFactor,
    ip: ctx.ip,
    userAgent: ctx.userAgent,
  });
  ctx.setCookie(sessionCookie(token));
  if (parent.user.tenantId !== ctx.actor.tenantId)
    await audit(me, { action: "user.impersonateEnd", target, tenantId: parent.user.tenantId, details });
  return { ok: true as const, back: { tenantId: ctx.actor.tenantId, email: parent.user.email } };
}

/**
 * Logging out of a "log in as" session: it and the session it was opened from both end (the opener logged out
 * of the browser they shared), audited as the end of the impersonation.
 */
export async function logoutImpersonated(ctx: Omit<Ctx, "scope" | "setCookie">): Promise<void> {
  const by = ctx.actor.impersonator;
  if (!by) return;
  const target = (await ctx.db.user.findUnique({ where: { id: ctx.actor.userId } }))?.email ?? ctx.actor.label;
  const details = { as: target, by: by.email, how: "logout" };
  await audit(ctx, { action: "user.impersonateEnd", target, tenantId: ctx.actor.tenantId, details });
  // deleting the opener's session deletes this one too (cascade); both ids, whatever the provider does
  await ctx.db.session.deleteMany({ where: { id: { in: [by.sessionId, ctx.actor.sessionId ?? ""] } } });
}
