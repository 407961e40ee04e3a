/**
 * One-time single sign-on links (billing API v1): a seller's billing system asks for a link for one of its
 * customers; the link works once, for SSO_TTL_MS, and opens a panel session for the customer's user. Only
 * the token's sha256 is stored. The billing system has already authenticated its client, so the session
 * counts as complete (no TOTP code is asked). A blocked user (disabled, or a disabled tenant) gets no session.
 */
import { randomToken, sha256Hex } from "../auth/crypto.js";
import { blockedReason, type Actor } from "../auth/roles.js";
import { createSession } from "../auth/session.js";
import type { Db, Tenant } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

export const SSO_TTL_MS = 5 * 60_000;
export const SSO_PATH = "/sso/";

/** A path of the panel (no scheme, host or protocol-relative "//"): where the link lands. */
export function safeRedirect(path: string | undefined): string {
  if (!path || !path.startsWith("/") || path.startsWith("//") || /[\\\s]/.test(path)) return "/containers";
  return path;
}

export async function createSsoLink(ctx: Ctx, tenant: Tenant, opts: { redirect?: string } = {}) {
  if (ctx.actor.role !== "admin" && ctx.actor.role !== "reseller")
    throw new PanelError("FORBIDDEN", "Only a provider (an administrator or reseller) makes single sign-on links.");
  if (tenant.kind !== "customer")
    throw new PanelError("BAD_REQUEST", "Single sign-on links are for customers; choose a customer.");
  const user = await ctx.db.user.findFirst({
    where: { tenantId: tenant.id, disabled: false },
    orderBy: { createdAt: "asc" },
  });
  if (!user) throw new PanelError("CONFLICT", `Customer "${tenant.name}" has no enabled user to log in as.`);
  const token = randomToken(24);
  const expiresAt = new Date(Date.now() + SSO_TTL_MS);
  await ctx.db.ssoToken.create({
    data: {
      tokenHash: sha256Hex(token),
      userId: user.id,
      redirect: safeRedirect(opts.redirect),
      expiresAt,
      createdBy: ctx.actor.label,
    },
  });
  await audit(ctx, { action: "sso.create", target: user.email, tenantId: tenant.id });
  return { path: SSO_PATH + token, expiresAt, user: { id: user.id, email: user.email } };
}

/**
 * Uses a link's token once: a new session for its user (cookie token) and where to go. A used, expired or
 * unknown token, or a blocked user, is refused with a sentence saying what to do.
 */
export async function consumeSso(d: Db, token: string, from: { ip: string | null; userAgent: string | null }) {
  const gone = () =>
    new PanelError(
      "UNAUTHORIZED",
      "This sign-in link was already used or has expired; open the panel again from your client area.",
    );
  if (!/^[a-z2-7]{20,64}$/.test(token)) throw gone();
  const hash = sha256Hex(token);
  // one use: only the request that flips usedAt gets the session
  const used = await d.ssoToken.updateMany({
    where: { tokenHash: hash, usedAt: null, expiresAt: { gt: new Date() } },
    data: { usedAt: new Date() },
  });
  if (used.count !== 1) throw gone();
  const t = await d.ssoToken.findUniqueOrThrow({
    where: { tokenHash: hash },
    include: { user: { include: { tenant: { include: { parent: true } } } } },
  });
  const blocked = blockedReason(t.user);
  if (blocked) throw new PanelError("ACCOUNT_DISABLED", blocked);
  const { token: session } = await createSession(d, t.userId, { secondFactor: true, ...from });
  await audit(
    { db: d, actor: null, ...from },
    { action: "auth.sso", target: t.user.email, tenantId: t.user.tenantId, actorLabel: t.user.email },
  );
  return { session, redirect: t.redirect };
}
