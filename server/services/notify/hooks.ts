/**
 * The events other services raise, in words: an operation that ended (operations.ts), a suspension
 * (suspension.ts). Each loads what its message needs and never throws (emitSafely).
 */
import type { Db } from "../../db/client.js";
import { emitSafely } from "./emit.js";

interface OpInfo {
  id: string;
  type: string;
  tenantId: string;
  containerId: string | null;
}

async function containerOf(db: Db, id: string | null) {
  if (!id) return null;
  return db.container.findUnique({ where: { id }, select: { id: true, ctid: true, hostname: true } });
}
const named = (c: { ctid: number; hostname: string } | null) =>
  c ? `container ${c.ctid} (${c.hostname})` : "a container";

/**
 * An operation ended: a backup raises backup.done or backup.failed, another failed operation operation.failed.
 * Never throws.
 */
export async function operationEnded(db: Db, op: OpInfo, error: string | null): Promise<void> {
  if (op.type !== "backup" && error === null) return;
  try {
    const c = await containerOf(db, op.containerId);
    const data = { operationId: op.id, operation: op.type, containerId: c?.id ?? null, ctid: c?.ctid ?? null, error };
    const base = { tenantId: op.tenantId, data };
    if (op.type === "backup" && error === null)
      return await emitSafely(db, { ...base, type: "backup.done", summary: `Backup of ${named(c)} done` });
    const type = op.type === "backup" ? "backup.failed" : "operation.failed";
    const what = op.type === "backup" ? `Backup of ${named(c)}` : `The ${op.type} of ${named(c)}`;
    await emitSafely(db, {
      ...base,
      type,
      summary: `${what} failed`,
      details: [`Error: ${error}`, `Operation ${op.id}: its log is on the panel's Operations page.`],
    });
  } catch (e) {
    console.error(`[panel] notification for operation ${op.id} failed`, e);
  }
}

export async function suspensionChanged(
  db: Db,
  c: { id: string; ctid: number; hostname: string; tenantId: string },
  suspended: boolean,
  reason: string | null,
): Promise<void> {
  await emitSafely(db, {
    type: suspended ? "container.suspended" : "container.unsuspended",
    tenantId: c.tenantId,
    summary: suspended ? `${named(c)} was suspended` : `${named(c)} is no longer suspended`,
    details: suspended ? [`Reason: ${reason ?? "none given"}`, "Contact your provider about it."] : [],
    data: { containerId: c.id, ctid: c.ctid, hostname: c.hostname, reason },
  });
}

/** The traffic quota throttled a container (traffic.ts). */
export async function quotaThrottled(
  db: Db,
  c: { id: string; ctid: number; hostname: string; tenantId: string; plan: { trafficQuotaGb: number } },
  usedBytes: bigint,
  rateKbit: number,
): Promise<void> {
  const usedGb = Number(usedBytes / 1_000_000n) / 1000;
  await emitSafely(db, {
    type: "container.throttled",
    tenantId: c.tenantId,
    summary: `${named(c)} is over its monthly traffic quota and was throttled`,
    details: [
      `Used ${usedGb.toFixed(2)} GB of ${c.plan.trafficQuotaGb} GB this month (UTC); its network is limited to ${rateKbit} kbit/s.`,
      "The limit is lifted at the start of next month, or when your provider raises the quota.",
    ],
    data: { containerId: c.id, ctid: c.ctid, hostname: c.hostname, usedBytes: usedBytes.toString(), rateKbit },
  });
}
