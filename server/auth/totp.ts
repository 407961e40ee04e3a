/** TOTP second factor (RFC 6238: 30 s, 6 digits, SHA-1 — what authenticator apps expect). */
import { createTOTPKeyURI, verifyTOTPWithGracePeriod } from "@oslojs/otp";
import { decodeBase32IgnorePadding, encodeBase32UpperCaseNoPadding } from "@oslojs/encoding";
import crypto from "node:crypto";

export function newTotpSecret(): string {
  return encodeBase32UpperCaseNoPadding(crypto.getRandomValues(new Uint8Array(20)));
}

export function totpUri(secret: string, account: string): string {
  return createTOTPKeyURI("OVZ Panel", account, decodeBase32IgnorePadding(secret), 30, 6);
}

export function checkTotp(secret: string, code: string): boolean {
  if (!/^\d{6}$/.test(code)) return false;
  return verifyTOTPWithGracePeriod(decodeBase32IgnorePadding(secret), 30, 6, code, 30);
}

/**
 * One use per code: a code that verified is remembered (in the login-attempt table, key
 * "totp:<user>:<code>") for longer than it stays valid (30 s step + 30 s grace), so a code seen by
 * someone else cannot be replayed.
 */
export async function consumeTotp(
  db: import("../db/client.js").Db,
  userId: string,
  secret: string,
  code: string,
): Promise<"ok" | "invalid" | "reused"> {
  if (!checkTotp(secret, code)) return "invalid";
  const key = `totp:${userId}:${code}`;
  const seen = await db.loginAttempt.count({
    where: { key, success: true, createdAt: { gt: new Date(Date.now() - 120_000) } },
  });
  if (seen > 0) return "reused";
  await db.loginAttempt.create({ data: { key, success: true } });
  return "ok";
}
