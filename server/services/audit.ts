/** The audit log: every change, with who, what, when and from where. Secrets are never passed in. */
import { actorUserId, type Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { parentTenantOf } from "./scope.js";

export interface AuditCtx {
  db: Db;
  actor: Actor | null;
  ip: string | null;
  userAgent: string | null;
}

export async function audit(
  ctx: AuditCtx,
  e: {
    action: string;
    target: string;
    tenantId: string | null;
    details?: Record<string, unknown>;
    actorLabel?: string;
  },
): Promise<void> {
  await ctx.db.auditLog.create({
    data: {
      userId: actorUserId(ctx.actor),
      actor: e.actorLabel ?? ctx.actor?.label ?? "anonymous",
      tenantId: e.tenantId,
      parentTenantId: await parentTenantOf(ctx.db, e.tenantId),
      action: e.action,
      target: e.target,
      details: JSON.stringify(e.details ?? {}),
      ip: ctx.ip,
      userAgent: ctx.userAgent?.slice(0, 300) ?? null,
    },
  });
}
