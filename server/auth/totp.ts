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
