/**
 * Per-request context: who calls (session cookie or bearer API token), from where, and a way to set
 * cookies. Built from a Fetch Request by the Next route handler; tests build it with makeContext().
 */
import { validateApiToken } from "../auth/api-token.js";
import { clientAddressOf } from "../auth/client-ip.js";
import type { Actor, Role } from "../auth/roles.js";
import { readCookie, SESSION_COOKIE, validateSession } from "../auth/session.js";
import { db as defaultDb, type Db } from "../db/client.js";

export interface Context {
  db: Db;
  actor: Actor | null;
  /** A session that passed the password but still needs its TOTP code. */
  pendingSecondFactor: { sessionId: string; userId: string } | null;
  ip: string | null;
  userAgent: string | null;
  /** false when a cookie-authenticated request comes from another site (CSRF). */
  sameOrigin: boolean;
  setCookie: (cookie: string) => void;
}

export function makeContext(p: Partial<Context> & { db: Db }): Context {
  return { actor: null, pendingSecondFactor: null, ip: "127.0.0.1", userAgent: "test", sameOrigin: true, setCookie: () => {}, ...p };
}

function isSameOrigin(req: Request): boolean {
  const site = req.headers.get("sec-fetch-site");
  if (site && site !== "same-origin" && site !== "none") return false;
  const origin = req.headers.get("origin");
  if (!origin) return true;
  const host = req.headers.get("x-forwarded-host") ?? req.headers.get("host");
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

export async function createContext(req: Request, resHeaders: Headers): Promise<Context> {
  const d = defaultDb();
  const base: Context = {
    db: d,
    actor: null,
    pendingSecondFactor: null,
    ip: clientAddressOf(req.headers),
    userAgent: req.headers.get("user-agent"),
    sameOrigin: isSameOrigin(req),
    setCookie: (c) => resHeaders.append("set-cookie", c),
  };
  const auth = req.headers.get("authorization");
  if (auth?.startsWith("Bearer ")) {
    const t = await validateApiToken(d, auth.slice(7).trim());
    if (t) {
      base.actor = { userId: t.userId, role: t.role as Role, tenantId: t.tenantId, label: `token:${t.name} (${t.user.email})`, via: "token", tokenId: t.id };
      base.sameOrigin = true; // bearer tokens are not sent by browsers on their own: no CSRF
    }
    return base;
  }
  const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  if (token) {
    const s = await validateSession(d, token);
    if (s && (s.secondFactor || !s.user.totpEnabled)) {
      base.actor = { userId: s.userId, role: s.user.role as Role, tenantId: s.user.tenantId, label: s.user.email, via: "session", sessionId: s.id };
    } else if (s) {
      base.pendingSecondFactor = { sessionId: s.id, userId: s.userId };
    }
  }
  return base;
}
