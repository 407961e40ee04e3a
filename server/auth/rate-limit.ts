/**
 * Login throttling, stored in the database so it holds across restarts: a growing delay, never a lockout.
 * Failed logins are counted per key, and after a key's free failures each further one doubles the wait
 * before the next attempt is even checked (attempts during the wait are refused without looking at the
 * password, and are not counted). The right password always gets in once the wait is over, so nobody can
 * lock anybody out (the admin included) by failing on purpose; the message says the real wait.
 *
 *   pair    account + client address: 3 free, then 1 s, 2 s, 4 s … up to 15 min
 *   address every account from one address (password spraying): 20 free, then 1 s … up to 15 min
 *   account every address (a botnet on one account): 10 free, then 1 s … up to 60 s — skipped for an
 *           address this account logged in from before (30 days), so an attacker cannot slow the owner
 *
 * The client address is the socket's (server/auth/client-ip.ts; a proxy's X-Forwarded-For only when
 * OVZ_TRUST_PROXY names the proxy). Failures count for 24 h, and until the next successful login of the
 * pair/account.
 */
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";

const HOUR = 3600_000;
const FAIL_WINDOW_MS = 24 * HOUR;
const KNOWN_ADDRESS_MS = 30 * 24 * HOUR;

export interface DelayPolicy {
  /** failures before any delay */
  free: number;
  /** the first delay; each further failure doubles it */
  baseMs: number;
  capMs: number;
}

export const POLICY = {
  pair: { free: 3, baseMs: 1000, capMs: 15 * 60_000 },
  address: { free: 20, baseMs: 1000, capMs: 15 * 60_000 },
  account: { free: 10, baseMs: 1000, capMs: 60_000 },
} as const satisfies Record<string, DelayPolicy>;

/** How long after the last failure the next attempt must wait, given `failures` counted failures. */
export function delayAfter(failures: number, p: DelayPolicy): number {
  if (failures <= p.free) return 0;
  const exp = Math.min(failures - p.free - 1, 30);
  return Math.min(p.capMs, p.baseMs * 2 ** exp);
}

/** "1 second", "42 seconds", "3 minutes" (rounded up: the wait is never shorter than said). */
export function waitText(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 90) return `${s} second${s === 1 ? "" : "s"}`;
  const m = Math.ceil(s / 60);
  return `${m} minute${m === 1 ? "" : "s"}`;
}

const keys = (email: string, ip: string | null) => ({
  pair: `pair:${email}|${ip ?? "?"}`,
  address: ip ? `ip:${ip}` : null,
  account: `email:${email}`,
});

/** ms still to wait on `key` (0 = none): counted failures since its last success within the window. */
async function waitOn(db: Db, key: string, p: DelayPolicy, now: number): Promise<number> {
  const lastOk = await db.loginAttempt.findFirst({
    where: { key, success: true },
    orderBy: { createdAt: "desc" },
    select: { createdAt: true },
  });
  const since = Math.max(now - FAIL_WINDOW_MS, lastOk?.createdAt.getTime() ?? 0);
  const agg = await db.loginAttempt.aggregate({
    where: { key, success: false, createdAt: { gt: new Date(since) } },
    _count: { _all: true },
    _max: { createdAt: true },
  });
  const last = agg._max.createdAt?.getTime();
  if (last === undefined) return 0;
  return Math.max(0, last + delayAfter(agg._count._all, p) - now);
}

function refuse(ms: number, who: string, what: string): never {
  throw new PanelError("RATE_LIMITED", `Too many ${what} ${who}: try again in ${waitText(ms)}.`);
}

/**
 * Throws RATE_LIMITED with the real wait when an attempt for `email` from `ip` must wait. `what` names the
 * attempts in the message (password reset requests count under "reset:<email>", server/services/password-reset.ts).
 */
export async function checkLoginAllowed(
  db: Db,
  email: string,
  ip: string | null,
  now = Date.now(),
  what = "failed logins",
): Promise<void> {
  const k = keys(email, ip);
  const pair = await waitOn(db, k.pair, POLICY.pair, now);
  if (pair > 0) refuse(pair, "for this account from your address", what);
  if (k.address) {
    const addr = await waitOn(db, k.address, POLICY.address, now);
    if (addr > 0) refuse(addr, "from your address", what);
  }
  const known =
    ip !== null &&
    (await db.loginAttempt.count({
      where: { key: k.pair, success: true, createdAt: { gt: new Date(now - KNOWN_ADDRESS_MS) } },
    })) > 0;
  if (!known) {
    const acct = await waitOn(db, k.account, POLICY.account, now);
    if (acct > 0) refuse(acct, "for this account", what);
  }
}

export async function recordLogin(
  db: Db,
  email: string,
  ip: string | null,
  success: boolean,
  now = Date.now(),
): Promise<void> {
  const k = keys(email, ip);
  const createdAt = new Date(now);
  const rows = [k.pair, k.account, ...(k.address ? [k.address] : [])].map((key) => ({ key, success, createdAt }));
  await db.loginAttempt.createMany({ data: rows });
  if (success) {
    // the owner got in: the failures on its pair and account are history (the address keeps its count:
    // an attacker logging in to an account of its own must not reset its spraying budget)
    await db.loginAttempt.deleteMany({ where: { key: { in: [k.pair, k.account] }, success: false } });
    await db.loginAttempt.deleteMany({
      where: { key: { in: [k.pair, k.account] }, success: true, createdAt: { lt: createdAt } },
    });
  }
  // Old rows are useless; trim now and then.
  if (Math.random() < 0.05) {
    await db.loginAttempt.deleteMany({ where: { success: false, createdAt: { lt: new Date(now - FAIL_WINDOW_MS) } } });
    await db.loginAttempt.deleteMany({ where: { success: true, createdAt: { lt: new Date(now - KNOWN_ADDRESS_MS) } } });
  }
}

/**
 * Whether a successful login of `email` from `ip` would come from an address new for this account: the account
 * logged in before (within the 30 days successes are kept), never from this address. The first login of an account
 * is not "new" (nothing to compare with). Call it before recordLogin of the success.
 */
export async function isNewAddress(db: Db, email: string, ip: string | null): Promise<boolean> {
  if (!ip) return false;
  const k = keys(email, ip);
  const [before, here] = await Promise.all([
    db.loginAttempt.count({ where: { key: k.account, success: true } }),
    db.loginAttempt.count({ where: { key: k.pair, success: true } }),
  ]);
  return before > 0 && here === 0;
}
