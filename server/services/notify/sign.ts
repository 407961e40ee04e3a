/**
 * The webhook signature. Each POST carries
 *   X-OVZ-Timestamp: <unix seconds when this attempt was sent>
 *   X-OVZ-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>" with the endpoint's secret>
 * A receiver recomputes the HMAC over the raw bytes it got, compares in constant time, and refuses a timestamp
 * older than a few minutes (a replayed request). See docs/notifications.md.
 */
import crypto from "node:crypto";

export function signature(secret: string, timestamp: number, body: string): string {
  return "sha256=" + crypto.createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex");
}

/** The receiver's check (used by the tests; the docs show the same in a few lines). */
export function verifySignature(
  secret: string,
  header: string | undefined,
  timestamp: string | undefined,
  body: string,
  nowSec = Math.floor(Date.now() / 1000),
  toleranceSec = 300,
): boolean {
  if (!header || !timestamp || !/^\d{1,12}$/.test(timestamp)) return false;
  const ts = Number(timestamp);
  if (Math.abs(nowSec - ts) > toleranceSec) return false;
  const want = Buffer.from(signature(secret, ts, body));
  const got = Buffer.from(header);
  return want.length === got.length && crypto.timingSafeEqual(want, got);
}
