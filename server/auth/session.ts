/**
 * Server-side sessions. The cookie holds a random token; the database stores only its sha256, so a
 * leaked database does not leak live sessions. Sessions slide: used in the second half of their life,
 * they are extended. Cookie: HttpOnly, SameSite=Lax, Path=/, Secure unless OVZ_INSECURE_COOKIES=1.
 */
import type { Db } from "../db/client.js";
import { randomToken, sha256Hex } from "./crypto.js";
import { blockedReason } from "./roles.js";

export const SESSION_COOKIE = "ovz_session";
const TTL_MS = 7 * 24 * 3600 * 1000;

export async function createSession(
  db: Db,
  userId: string,
  opts: { secondFactor: boolean; ip: string | null; userAgent: string | null; parentId?: string },
) {
  const token = randomToken();
  const session = await db.session.create({
    data: {
      id: sha256Hex(token),
      userId,
      secondFactor: opts.secondFactor,
      expiresAt: new Date(Date.now() + TTL_MS),
      ip: opts.ip,
      userAgent: opts.userAgent?.slice(0, 300) ?? null,
      parentId: opts.parentId ?? null,
    },
  });
  return { token, session };
}

/**
 * The live session of a token, or null. A session of a user who is blocked (disabled, or a suspended tenant
 * or provider) is deleted; `onBlocked` gets the reason, to tell the user why they were logged out. A "log in as"
 * session (parentId) lives only as long as the session it was opened from and that session's user.
 */
export async function validateSession(db: Db, token: string, onBlocked?: (reason: string) => void) {
  if (!/^[a-z2-7]{16,64}$/.test(token)) return null;
  const id = sha256Hex(token);
  const s = await db.session.findUnique({
    where: { id },
    include: {
      user: { include: { tenant: { include: { parent: true } } } },
      parent: { include: { user: { include: { tenant: { include: { parent: true } } } } } },
    },
  });
  if (!s) return null;
  const blocked = blockedReason(s.user);
  const orphan =
    s.parentId !== null && (!s.parent || s.parent.expiresAt.getTime() <= Date.now() || !!blockedReason(s.parent.user));
  if (s.expiresAt.getTime() <= Date.now() || blocked || orphan) {
    await db.session.deleteMany({ where: { id } });
    if (blocked && s.expiresAt.getTime() > Date.now()) onBlocked?.(blocked);
    return null;
  }
  if (s.expiresAt.getTime() - Date.now() < TTL_MS / 2) {
    await db.session.update({ where: { id }, data: { expiresAt: new Date(Date.now() + TTL_MS) } });
  }
  return s;
}

export function sessionCookie(token: string): string {
  const secure = process.env.OVZ_INSECURE_COOKIES === "1" ? "" : "; Secure";
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${TTL_MS / 1000}${secure}`;
}

export function clearedSessionCookie(): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0`;
}

export function readCookie(header: string | null, name: string): string | null {
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}
