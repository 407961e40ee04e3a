/**
 * The panel's HTTP security headers, declared once. proxy.ts (Next's request proxy, formerly middleware)
 * puts them on every response Next sends — pages, /api/trpc, /api/backups/…, /api/nodes/join, static
 * files — with a fresh CSP nonce per request; server/http/main.ts uses the fixed ones for its own error reply.
 */

/** Headers that do not change per request. */
export const FIXED_SECURITY_HEADERS: readonly (readonly [string, string])[] = [
  // the panel is never framed (clickjacking); CSP's frame-ancestors says the same to newer browsers
  ["x-frame-options", "DENY"],
  ["x-content-type-options", "nosniff"],
  // Not "no-referrer": with it, browsers send `Origin: null` on same-origin POSTs, and the panel's CSRF
  // check (server/trpc/context.ts) would refuse the panel's own mutations.
  ["referrer-policy", "strict-origin-when-cross-origin"],
];

/** 128 random bits, base64 (the form Next's nonce parser accepts). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes));
}

/**
 * The Content-Security-Policy of one response. Next reads the nonce from this header on the request and
 * puts it on every script it renders, so pages must render per request (app/layout.tsx).
 */
export function contentSecurityPolicy(nonce: string, dev: boolean): string {
  return [
    "default-src 'self'",
    // No inline script without this request's nonce; 'strict-dynamic' lets Next's nonced scripts load
    // their chunks. `next dev` only: React rebuilds server error stacks in the browser with eval.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    // 'unsafe-inline' for styles: React renders style attributes (progress bars, traffic bars) and
    // xterm.js adds <style> elements without a nonce; a nonce here would switch 'unsafe-inline' off.
    // CSS cannot run script; script-src above is what stops injected code.
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    // same origin only: tRPC, downloads and the console's WebSocket (/api/console; CSP 3 'self' covers ws:/wss: of this
    // host)
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
}
