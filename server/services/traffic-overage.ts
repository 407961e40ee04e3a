/**
 * A plan's traffic overage "suspend": a container over its monthly traffic quota is suspended (suspendedBy
 * "traffic", the seller's suspend mode: stopped or frozen) until the quota month ends or the quota is raised, then
 * it is unsuspended and gets back the state it had. The suspension itself is the seller's (suspension.ts): the
 * owner cannot start it, sees the reason, and is told (container.suspended). A seller may lift it by hand; the
 * quota then throttles the container for the rest of the month (Container.trafficWaived) instead of suspending it
 * again a minute later. A container its seller suspended for another reason is left as it is.
 */
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import type { FullContainer } from "./container-state.js";
import { suspendContainer, unsuspendContainer } from "./suspension.js";

export const TRAFFIC_ACTOR_LABEL = "panel (traffic quota)";

/** The quota's actor: acts as the platform on the container's tenant, with no user behind it. */
function quotaActor(c: { tenantId: string }): Actor {
  return { userId: "", role: "admin", tenantId: c.tenantId, label: TRAFFIC_ACTOR_LABEL, via: "cli" };
}

const gb = (bytes: bigint) => (Number(bytes / 1_000_000n) / 1000).toFixed(2);

export function trafficSuspendReason(used: bigint, quotaGb: number, month: string): string {
  return (
    `Over its monthly traffic quota: ${gb(used)} GB used of ${quotaGb} GB in ${month} (UTC). ` +
    "It is lifted at the start of next month, or at once when your provider raises the quota."
  );
}

/** Whether the plan suspends this container when it is over its quota in `month` (not waived for that month). */
export function suspendsOnOverage(
  c: { trafficWaived: string | null; plan: { trafficOverage: string } },
  month: string,
) {
  return c.plan.trafficOverage === "suspend" && c.trafficWaived !== month;
}

export type OverageChange = "suspended" | "unsuspended" | null;

/**
 * Brings a container's traffic suspension in line with `wantSuspended`. A container busy with another operation
 * is left for the next sample. Returns what changed.
 */
export async function applyOverageSuspension(
  db: Db,
  c: FullContainer,
  wantSuspended: boolean,
  reason: () => string,
): Promise<OverageChange> {
  const ctx = { db, actor: quotaActor(c), ip: null, userAgent: null };
  try {
    if (wantSuspended && !c.suspendedAt) {
      await suspendContainer(ctx, c, { reason: reason(), by: "traffic" });
      return "suspended";
    }
    if (!wantSuspended && c.suspendedBy === "traffic") {
      // null: its tenant is suspended too, which now holds it (the tenant's unsuspend lifts it)
      return (await unsuspendContainer(ctx, c, { by: "traffic" })) ? "unsuspended" : null;
    }
  } catch (e) {
    if (!(e instanceof PanelError)) throw e;
    console.error(
      `[panel] traffic quota: container ${c.ctid} is not changed now (${e.message}); the next sample retries`,
    );
  }
  return null;
}
