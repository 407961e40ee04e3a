/**
 * GET /sso/<token>: a one-time single sign-on link (server/services/sso.ts) sets the session cookie and goes
 * to the panel; a used or expired link answers with a sentence (text), with the panel's status mapping.
 */
import { clientAddressOf } from "../auth/client-ip.js";
import { sessionCookie } from "../auth/session.js";
import { db as defaultDb, type Db } from "../db/client.js";
import { consumeSso } from "../services/sso.js";
import { httpErrorOf, textResponse } from "./errors.js";

export async function ssoLogin(req: Request, token: string, db: Db = defaultDb()): Promise<Response> {
  try {
    const from = { ip: clientAddressOf(req.headers), userAgent: req.headers.get("user-agent") };
    const r = await consumeSso(db, token.slice(0, 100), from);
    return new Response(null, {
      status: 303,
      headers: { location: r.redirect, "set-cookie": sessionCookie(r.session), "cache-control": "no-store" },
    });
  } catch (e) {
    const h = httpErrorOf(e);
    return textResponse(h.status, h.message);
  }
}
