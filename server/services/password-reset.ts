/**
 * Password reset by email for panel users. A request names an email address and always gets the same answer,
 * whether or not a user has it (and the mail goes out in the background, so the answer's timing does not tell
 * either). Requests are rate limited like logins (server/auth/rate-limit.ts, under "reset:<email>"). The link
 * holds a random token; only its sha256 is stored; it works once, for 30 minutes, and a reset ends every
 * session of the user, is audited and raises the password.reset notification. The mail itself is sent at once,
 * never queued: the link is a secret and does not go into the delivery table.
 */
import { hashPassword, randomToken, sha256Hex } from "../auth/crypto.js";
import { checkLoginAllowed, recordLogin } from "../auth/rate-limit.js";
import { blockedReason } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { emitSafely } from "./notify/emit.js";
import { sendMail, smtpStored } from "./notify/smtp.js";

export const RESET_TTL_MS = 30 * 60_000;
const TOKEN_RE = /^[a-z2-7]{40,80}$/;

type Ctx = AuditCtx & { db: Db };

export interface ResetRequestResult {
  ok: true;
  /** for tests: the mail being sent (undefined when no mail goes out) */
  sent?: Promise<void>;
}

export async function requestPasswordReset(ctx: Ctx, email: string, now = Date.now()): Promise<ResetRequestResult> {
  const smtp = await smtpStored(ctx.db);
  if (!smtp)
    throw new PanelError(
      "CONFLICT",
      "Password reset by email is not set up on this panel; ask your administrator to reset your password.",
    );
  const key = `reset:${email}`;
  await checkLoginAllowed(ctx.db, key, ctx.ip, now, "password reset requests");
  await recordLogin(ctx.db, key, ctx.ip, false, now);
  const user = await ctx.db.user.findUnique({
    where: { email },
    include: { tenant: { include: { parent: true } } },
  });
  if (!user || blockedReason(user)) return { ok: true };
  const token = randomToken(32);
  await ctx.db.passwordResetToken.create({
    data: { tokenHash: sha256Hex(token), userId: user.id, expiresAt: new Date(now + RESET_TTL_MS), ip: ctx.ip },
  });
  await audit(ctx, {
    action: "auth.passwordResetRequested",
    target: user.email,
    tenantId: user.tenantId,
    actorLabel: user.email,
  });
  const link = `${smtp.panelUrl.replace(/\/+$/, "")}/reset/${token}`;
  const text = [
    `Somebody (probably you) asked to reset the password of ${user.email} on the panel.`,
    "",
    `Open this link within 30 minutes to choose a new password (it works once):`,
    link,
    "",
    `If you did not ask for it, ignore this mail: your password stays as it is. The request came from ${ctx.ip ?? "an unknown address"}.`,
  ].join("\n");
  const sent = sendMail(ctx.db, { to: user.email, subject: "Reset your panel password", text }).catch((e: unknown) =>
    console.error(`[panel] the password reset mail to ${user.email} could not be sent`, e),
  );
  return { ok: true, sent };
}

const invalid = () =>
  new PanelError(
    "BAD_REQUEST",
    "This reset link is not valid: it was used already, has expired (after 30 minutes) or is mistyped. Ask for a new one.",
    { token: "invalid" },
  );

export async function completePasswordReset(ctx: Ctx, token: string, password: string, now = Date.now()) {
  if (!TOKEN_RE.test(token)) throw invalid();
  const row = await ctx.db.passwordResetToken.findUnique({ where: { tokenHash: sha256Hex(token) } });
  if (!row || row.usedAt || row.expiresAt.getTime() <= now) throw invalid();
  // one use, even for two requests at the same moment: only the one that marks it gets through
  const used = await ctx.db.passwordResetToken.updateMany({
    where: { id: row.id, usedAt: null },
    data: { usedAt: new Date(now) },
  });
  if (used.count !== 1) throw invalid();
  await ctx.db.passwordResetToken.updateMany({
    where: { userId: row.userId, usedAt: null },
    data: { usedAt: new Date(now) },
  });
  const user = await ctx.db.user.update({
    where: { id: row.userId },
    data: { passwordHash: await hashPassword(password) },
  });
  const ended = await ctx.db.session.deleteMany({ where: { userId: user.id } });
  await audit(ctx, {
    action: "user.passwordReset",
    target: user.email,
    tenantId: user.tenantId,
    actorLabel: user.email,
    details: { sessionsEnded: ended.count },
  });
  await emitSafely(ctx.db, {
    type: "password.reset",
    tenantId: user.tenantId,
    userId: user.id,
    summary: "Your panel password was reset",
    details: [
      `The password of ${user.email} was changed with a reset link from ${ctx.ip ?? "an unknown address"}.`,
      "Every session was logged out. If this was not you, contact your provider at once.",
    ],
    data: { userId: user.id, email: user.email, ip: ctx.ip },
  });
  return { ok: true as const };
}
