/**
 * API tokens for scripts and billing systems: `Authorization: Bearer ovz_<id>_<secret>`. The secret is
 * shown once at creation; the database keeps its sha256. A token acts with its own role (never above its
 * creator's) inside its creator's tenant.
 */
import type { Db } from "../db/client.js";
import { randomToken, safeEqual, sha256Hex } from "./crypto.js";
import { tenantBlocked } from "./roles.js";

export function formatToken(id: string, secret: string): string {
  return `ovz_${id}_${secret}`;
}

export function newSecret(): { secret: string; hash: string } {
  const secret = randomToken(24);
  return { secret, hash: sha256Hex(secret) };
}

export async function validateApiToken(db: Db, bearer: string) {
  const m = /^ovz_([a-z0-9]{10,40})_([a-z2-7]{20,64})$/.exec(bearer);
  if (!m) return null;
  const t = await db.apiToken.findUnique({
    where: { id: m[1] },
    include: { user: { include: { tenant: { include: { parent: true } } } } },
  });
  if (!t || t.revokedAt || (t.expiresAt && t.expiresAt.getTime() <= Date.now())) return null;
  if (!safeEqual(t.secretHash, sha256Hex(m[2]!)) || t.user.disabled || tenantBlocked(t.user.tenant)) return null;
  // lastUsedAt is informational: update at most once a minute to keep reads cheap under load.
  if (!t.lastUsedAt || Date.now() - t.lastUsedAt.getTime() > 60_000) {
    await db.apiToken.update({ where: { id: t.id }, data: { lastUsedAt: new Date() } });
  }
  return t;
}
