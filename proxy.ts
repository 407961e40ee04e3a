/**
 * Next's request proxy (Next 16's name for middleware), run before every request Next serves (no
 * matcher: pages, API routes and static files alike): the security headers of server/web/security-headers.ts
 * with a fresh CSP nonce. The request carries the same CSP header onwards, because that is where Next's
 * renderer reads the nonce it puts on its own scripts (a client's own CSP request header is replaced).
 */
import { NextResponse, type NextRequest } from "next/server";
import { contentSecurityPolicy, FIXED_SECURITY_HEADERS, newNonce } from "./server/web/security-headers.js";

export function proxy(req: NextRequest): NextResponse {
  const csp = contentSecurityPolicy(newNonce(), process.env.NODE_ENV === "development");
  const headers = new Headers(req.headers);
  headers.set("content-security-policy", csp);
  headers.delete("content-security-policy-report-only");
  const res = NextResponse.next({ request: { headers } });
  res.headers.set("content-security-policy", csp);
  for (const [name, value] of FIXED_SECURITY_HEADERS) res.headers.set(name, value);
  return res;
}
