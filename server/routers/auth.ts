import { z } from "zod";
import { dummyHash, hashPassword, verifyPassword } from "../auth/crypto.js";
import { checkLoginAllowed, isNewAddress, recordLogin } from "../auth/rate-limit.js";
import { blockedReason, type Actor } from "../auth/roles.js";
import { clearedSessionCookie, createSession, sessionCookie } from "../auth/session.js";
import { consumeTotp, newTotpSecret, totpUri } from "../auth/totp.js";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit } from "../services/audit.js";
import { logoutImpersonated, notImpersonated, stopImpersonation } from "../services/impersonation.js";
import { emitSafely } from "../services/notify/emit.js";
import { completePasswordReset, requestPasswordReset } from "../services/password-reset.js";
import { hasSelfServicePlan } from "../services/customer-quota.js";
import { suspensionsOf } from "../services/suspension.js";
import { authedProcedure, publicProcedure, router } from "../trpc/init.js";
import { email, password } from "./schemas.js";

const code = z
  .string()
  .trim()
  .regex(/^\d{6}$/, "enter the 6-digit code");

/** Raises login.new_address when this login's address is new for the account (before its success is recorded). */
async function noteAddress(db: Db, u: { id: string; email: string; tenantId: string }, ip: string | null) {
  if (!(await isNewAddress(db, u.email, ip))) return;
  await emitSafely(db, {
    type: "login.new_address",
    tenantId: u.tenantId,
    userId: u.id,
    summary: `New login to your panel account from ${ip}`,
    details: [
      `${u.email} logged in from ${ip}, an address not seen for this account before.`,
      "If this was not you, change your password at once (Account page) and turn on two-factor login.",
    ],
    data: { userId: u.id, email: u.email, ip },
  });
}

/**
 * Login security (password, second factor) is changed in the panel only, never with an API token, and never in a
 * "log in as" session.
 */
function sessionOnly(actor: Actor): void {
  if (actor.via !== "session")
    throw new PanelError(
      "FORBIDDEN",
      "API tokens cannot change login security (password, two-factor login); log in to the panel.",
    );
  notImpersonated(actor, "change the user's login security");
}

export const authRouter = router({
  login: publicProcedure
    .input(z.object({ email, password: z.string().min(1, "enter your password").max(256) }))
    .mutation(async ({ ctx, input }) => {
      if (!ctx.sameOrigin) throw new PanelError("FORBIDDEN", "Login refused: the request came from another site.");
      await checkLoginAllowed(ctx.db, input.email, ctx.ip);
      const user = await ctx.db.user.findUnique({
        where: { email: input.email },
        include: { tenant: { include: { parent: true } } },
      });
      const ok = await verifyPassword(user?.passwordHash ?? (await dummyHash()), input.password);
      const blocked = user && ok ? blockedReason(user) : null;
      if (!user || !ok || blocked) {
        await recordLogin(ctx.db, input.email, ctx.ip, false);
        await audit(ctx, {
          action: "auth.loginFailed",
          target: input.email,
          tenantId: user?.tenantId ?? null,
          actorLabel: input.email,
        });
        // only the right password learns that the account is blocked (and who to contact)
        if (blocked) throw new PanelError("ACCOUNT_DISABLED", blocked);
        throw new PanelError("UNAUTHORIZED", "Wrong email or password.");
      }
      // with two-factor login the login succeeds (and the failures are forgiven) only with the code
      if (!user.totpEnabled) {
        await noteAddress(ctx.db, user, ctx.ip);
        await recordLogin(ctx.db, input.email, ctx.ip, true);
      }
      const { token } = await createSession(ctx.db, user.id, {
        secondFactor: !user.totpEnabled,
        ip: ctx.ip,
        userAgent: ctx.userAgent,
      });
      ctx.setCookie(sessionCookie(token));
      await audit(ctx, { action: "auth.login", target: user.email, tenantId: user.tenantId, actorLabel: user.email });
      return { needsSecondFactor: user.totpEnabled, role: user.role };
    }),

  verifySecondFactor: publicProcedure.input(z.object({ code })).mutation(async ({ ctx, input }) => {
    const p = ctx.pendingSecondFactor;
    if (!p) throw new PanelError("UNAUTHORIZED", "Log in with your password first.");
    const user = await ctx.db.user.findUniqueOrThrow({ where: { id: p.userId } });
    await checkLoginAllowed(ctx.db, user.email, ctx.ip);
    const verdict = user.totpSecret ? await consumeTotp(ctx.db, user.id, user.totpSecret, input.code) : "invalid";
    if (verdict === "reused")
      throw new PanelError(
        "UNAUTHORIZED",
        "That code was already used; wait for the next one in your authenticator app.",
        { code: "already used" },
      );
    if (verdict !== "ok") {
      await recordLogin(ctx.db, user.email, ctx.ip, false);
      throw new PanelError(
        "UNAUTHORIZED",
        "That code is not valid; check your authenticator app's clock and try the current code.",
        { code: "wrong code" },
      );
    }
    await ctx.db.session.update({ where: { id: p.sessionId }, data: { secondFactor: true } });
    await noteAddress(ctx.db, user, ctx.ip);
    await recordLogin(ctx.db, user.email, ctx.ip, true);
    return { ok: true as const, role: user.role };
  }),

  /** Always the same answer, whether or not the address belongs to a user (server/services/password-reset.ts). */
  requestPasswordReset: publicProcedure.input(z.object({ email })).mutation(async ({ ctx, input }) => {
    if (!ctx.sameOrigin) throw new PanelError("FORBIDDEN", "Request refused: it came from another site.");
    await requestPasswordReset(ctx, input.email);
    return { ok: true as const };
  }),

  resetPassword: publicProcedure
    .input(z.object({ token: z.string().trim().min(1, "the link's token is missing").max(200), password }))
    .mutation(async ({ ctx, input }) => {
      if (!ctx.sameOrigin) throw new PanelError("FORBIDDEN", "Request refused: it came from another site.");
      return completePasswordReset(ctx, input.token, input.password);
    }),

  logout: publicProcedure.mutation(async ({ ctx }) => {
    if (!ctx.sameOrigin) throw new PanelError("FORBIDDEN", "Logout refused: the request came from another site.");
    const sid = ctx.actor?.sessionId ?? ctx.pendingSecondFactor?.sessionId;
    // a "log in as" session: the opener's ends with it
    if (ctx.actor?.impersonator) await logoutImpersonated({ ...ctx, actor: ctx.actor });
    if (sid) await ctx.db.session.deleteMany({ where: { id: sid } });
    ctx.setCookie(clearedSessionCookie());
    return { ok: true as const };
  }),

  /** Ends a "log in as" session: back to the opener's own account (a fresh session), or logged out. */
  stopImpersonating: authedProcedure.mutation(({ ctx }) => stopImpersonation(ctx)),

  me: authedProcedure.query(async ({ ctx }) => {
    const u = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId }, include: { tenant: true } });
    return {
      id: u.id,
      email: u.email,
      name: u.name,
      role: ctx.actor.role,
      via: ctx.actor.via,
      totpEnabled: u.totpEnabled,
      tenant: { id: u.tenant.id, name: u.tenant.name, kind: u.tenant.kind },
      /** "log in as": who opened this session as this user (the panel's banner and its way back) */
      impersonator: ctx.actor.impersonator ? { email: ctx.actor.impersonator.email } : null,
      /** the caller's tenant's suspension and suspended containers (the panel's banner after login) */
      suspensions: await suspensionsOf(ctx.db, u.tenantId),
      /** a customer with a self-service plan makes its own containers (docs/self-service.md) */
      selfService: ctx.actor.role === "customer" && (await hasSelfServicePlan(ctx.db, u.tenant)),
    };
  }),

  changePassword: authedProcedure
    .input(z.object({ current: z.string().min(1).max(256), next: password }))
    .mutation(async ({ ctx, input }) => {
      if (ctx.actor.via !== "session")
        throw new PanelError("FORBIDDEN", "API tokens cannot change passwords; log in to the panel.");
      notImpersonated(ctx.actor, "change the user's password");
      const u = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId } });
      if (!(await verifyPassword(u.passwordHash, input.current)))
        throw new PanelError("BAD_REQUEST", "The current password is wrong.", { current: "wrong password" });
      await ctx.db.user.update({ where: { id: u.id }, data: { passwordHash: await hashPassword(input.next) } });
      await ctx.db.session.deleteMany({ where: { userId: u.id, NOT: { id: ctx.actor.sessionId } } });
      await audit(ctx, { action: "user.changePassword", target: u.email, tenantId: u.tenantId });
      return { ok: true as const };
    }),

  totpSetup: authedProcedure.mutation(async ({ ctx }) => {
    sessionOnly(ctx.actor);
    const u = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId } });
    if (u.totpEnabled)
      throw new PanelError("CONFLICT", "Two-factor login is already on; turn it off first to set up a new device.");
    const secret = newTotpSecret();
    await ctx.db.user.update({ where: { id: u.id }, data: { totpSecret: secret } });
    return { secret, uri: totpUri(secret, u.email) };
  }),

  totpEnable: authedProcedure.input(z.object({ code })).mutation(async ({ ctx, input }) => {
    sessionOnly(ctx.actor);
    const u = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId } });
    if (!u.totpSecret) throw new PanelError("CONFLICT", "Start the two-factor setup first.");
    const verdict = await consumeTotp(ctx.db, u.id, u.totpSecret, input.code);
    if (verdict === "reused")
      throw new PanelError("BAD_REQUEST", "That code was already used; wait for the next one.", {
        code: "already used",
      });
    if (verdict !== "ok")
      throw new PanelError("BAD_REQUEST", "That code is not valid; try the current one.", { code: "wrong code" });
    await ctx.db.user.update({ where: { id: u.id }, data: { totpEnabled: true } });
    if (ctx.actor.sessionId)
      await ctx.db.session.update({ where: { id: ctx.actor.sessionId }, data: { secondFactor: true } });
    await audit(ctx, { action: "user.totpEnable", target: u.email, tenantId: u.tenantId });
    return { ok: true as const };
  }),

  totpDisable: authedProcedure.input(z.object({ code })).mutation(async ({ ctx, input }) => {
    sessionOnly(ctx.actor);
    const u = await ctx.db.user.findUniqueOrThrow({ where: { id: ctx.actor.userId } });
    if (!u.totpEnabled || !u.totpSecret) throw new PanelError("CONFLICT", "Two-factor login is not on.");
    const verdict = await consumeTotp(ctx.db, u.id, u.totpSecret, input.code);
    if (verdict === "reused")
      throw new PanelError("BAD_REQUEST", "That code was already used; wait for the next one.", {
        code: "already used",
      });
    if (verdict !== "ok")
      throw new PanelError("BAD_REQUEST", "That code is not valid; try the current one.", { code: "wrong code" });
    await ctx.db.user.update({ where: { id: u.id }, data: { totpEnabled: false, totpSecret: null } });
    await audit(ctx, { action: "user.totpDisable", target: u.email, tenantId: u.tenantId });
    return { ok: true as const };
  }),
});
