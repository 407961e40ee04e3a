/**
 * Who sends a request: a bearer API token or a session cookie (a completed login only), from which
 * address, and whether a cookie-authenticated request comes from the panel's own pages. Shared by the tRPC
 * context (server/trpc/context.ts) and the raw HTTP routes (server/http/).
 */
import { validateApiToken } from "./api-token.js";
import { clientAddressOf } from "./client-ip.js";
import type { Actor, Role } from "./roles.js";
import { readCookie, SESSION_COOKIE, validateSession } from "./session.js";
import type { Db } from "../db/client.js";

export interface RequestAuth {
  actor: Actor | null;
  /** A session that passed the password but still needs its TOTP code. */
  pendingSecondFactor: { sessionId: string; userId: string } | null;
  ip: string | null;
  userAgent: string | null;
  /** false when a cookie-authenticated request comes from another site (CSRF). */
  sameOrigin: boolean;
  /** Why the session of this request was just ended (a disabled user, a suspended tenant), in words. */
  blocked?: string | null;
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

export async function authenticateRequest(d: Db, req: Request): Promise<RequestAuth> {
  const base: RequestAuth = {
    actor: null,
    pendingSecondFactor: null,
    ip: clientAddressOf(req.headers),
    userAgent: req.headers.get("user-agent"),
    sameOrigin: isSameOrigin(req),
  };
  const auth = req.headers.get("authorization");
  if (auth?.startsWith("Bearer ")) {
    const t = await validateApiToken(d, auth.slice(7).trim());
    if (t) {
      const label = `token:${t.name} (${t.user.email})`;
      base.actor = { userId: t.userId, role: t.role as Role, tenantId: t.tenantId, label, via: "token", tokenId: t.id };
      base.sameOrigin = true; // bearer tokens are not sent by browsers on their own: no CSRF
    }
    return base;
  }
  const token = readCookie(req.headers.get("cookie"), SESSION_COOKIE);
  if (token) {
    const s = await validateSession(d, token, (why) => (base.blocked = why));
    if (s && (s.secondFactor || !s.user.totpEnabled)) {
      const u = s.user;
      const by = s.parent ? { userId: s.parent.userId, email: s.parent.user.email, sessionId: s.parent.id } : null;
      base.actor = {
        userId: s.userId,
        role: u.role as Role,
        tenantId: u.tenantId,
        // the audit log names both: who acted, as whom
        label: by ? `${by.email} as ${u.email}` : u.email,
        via: "session",
        sessionId: s.id,
        ...(by ? { impersonator: by } : {}),
      };
    } else if (s) {
      base.pendingSecondFactor = { sessionId: s.id, userId: s.userId };
    }
  }
  return base;
}
