/**
 * Login rate limiting, stored in the database so it holds across restarts and panel processes:
 * at most 5 failed logins per account and 20 per client address in 15 minutes.
 */
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";

const WINDOW_MS = 15 * 60 * 1000;
export const MAX_FAILS_PER_ACCOUNT = 5;
export const MAX_FAILS_PER_IP = 20;

export async function checkLoginAllowed(db: Db, email: string, ip: string | null): Promise<void> {
  const since = new Date(Date.now() - WINDOW_MS);
  const byAccount = await db.loginAttempt.count({ where: { key: `email:${email}`, success: false, createdAt: { gt: since } } });
  if (byAccount >= MAX_FAILS_PER_ACCOUNT) {
    throw new PanelError("RATE_LIMITED", "Too many failed logins for this account. Wait 15 minutes, or ask an administrator to reset the password.");
  }
  if (ip) {
    const byIp = await db.loginAttempt.count({ where: { key: `ip:${ip}`, success: false, createdAt: { gt: since } } });
    if (byIp >= MAX_FAILS_PER_IP) throw new PanelError("RATE_LIMITED", "Too many failed logins from your address. Wait 15 minutes and try again.");
  }
}

export async function recordLogin(db: Db, email: string, ip: string | null, success: boolean): Promise<void> {
  const rows = [{ key: `email:${email}`, success }, ...(ip ? [{ key: `ip:${ip}`, success }] : [])];
  await db.loginAttempt.createMany({ data: rows });
  if (success) await db.loginAttempt.deleteMany({ where: { key: `email:${email}`, success: false } });
  // Old rows are useless; trim now and then.
  if (Math.random() < 0.05) await db.loginAttempt.deleteMany({ where: { createdAt: { lt: new Date(Date.now() - WINDOW_MS) } } });
}
