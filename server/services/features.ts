/**
 * Container features (native/src/features.ts: nesting, tun, fuse, keyctl) in the panel. Three sets, each a subset
 * of the one before it:
 * - a reseller's allocation (`Allocation.features`, set by an admin): what the reseller's plans may allow;
 * - a plan's `allowedFeatures` (set by its owner: an admin for platform plans, the reseller for its own);
 * - a container's `features`: what its owner turned on, within its plan. They apply at the container's next start.
 * The engine checks the names again (its protocol refuses unknown ones) and renders them.
 */
import { z } from "zod";
import {
  FEATURE_KEYS,
  FEATURES,
  featureKeySchema,
  featuresOutside,
  normalizeFeatures,
  type FeatureKey,
} from "../../native/src/features.js";
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { audit, type AuditCtx } from "./audit.js";
import { engineOf, type FullContainer } from "./container-state.js";
import { parseJson } from "./limits.js";

type Ctx = AuditCtx & { db: Db; actor: Actor };

export { FEATURE_KEYS, FEATURES, type FeatureKey };

/** A feature list from a request: known names only (the message names the known ones), duplicates dropped. */
export const featureListSchema = z
  .array(featureKeySchema)
  .max(FEATURE_KEYS.length * 4)
  .transform((l) => normalizeFeatures(l));

/** A stored JSON list (Plan.allowedFeatures, Allocation.features, Container.features): unknown names dropped. */
export function featuresOf(json: string | null | undefined): FeatureKey[] {
  const list = parseJson<unknown>(json ?? "[]", []);
  if (!Array.isArray(list)) return [];
  return normalizeFeatures(list.filter((k): k is FeatureKey => featureKeySchema.safeParse(k).success));
}

const names = (l: readonly FeatureKey[]) => l.map((k) => FEATURES[k].label).join(", ");

/**
 * A plan's allowed features against its owner: a reseller's plans may allow only what its allocation allows (as
 * their limits must fit in it); platform plans anything.
 */
export async function assertPlanFeatures(db: Db, ownerTenantId: string, allowed: readonly FeatureKey[]) {
  const owner = await db.tenant.findUniqueOrThrow({ where: { id: ownerTenantId }, select: { kind: true } });
  if (owner.kind !== "reseller" || allowed.length === 0) return;
  const a = await db.allocation.findUnique({ where: { tenantId: ownerTenantId }, select: { features: true } });
  const outside = featuresOutside(allowed, featuresOf(a?.features));
  if (outside.length > 0) {
    throw new PanelError(
      "FORBIDDEN",
      `Your allocation does not include ${names(outside)}; remove ${outside.length > 1 ? "them" : "it"} from the ` +
        `plan or ask the platform's administrator to add ${outside.length > 1 ? "them" : "it"} to your allocation.`,
      { allowedFeatures: `not in your allocation: ${outside.join(", ")}` },
    );
  }
}

/**
 * A plan edit that takes features away: refused while containers on the plan have them on (their owners turn them
 * off first, or the containers move to another plan), as a plan in use cannot be deleted.
 */
export async function assertFeaturesNotInUse(db: Db, planId: string, allowed: readonly FeatureKey[]) {
  const rows = await db.container.findMany({ where: { planId, features: { not: "[]" } }, select: { features: true } });
  const inUse = new Map<FeatureKey, number>();
  for (const r of rows)
    for (const k of featuresOutside(featuresOf(r.features), allowed)) inUse.set(k, (inUse.get(k) ?? 0) + 1);
  if (inUse.size === 0) return;
  const list = [...inUse].map(([k, n]) => `${FEATURES[k].label} (${n} container${n > 1 ? "s" : ""})`).join(", ");
  throw new PanelError(
    "CONFLICT",
    `Containers on this plan use ${list}; turn the feature off on them (Settings tab) or move them to another plan ` +
      `first.`,
    { allowedFeatures: `in use: ${[...inUse.keys()].join(", ")}` },
  );
}

/** What the container's Settings tab shows. */
export function featuresView(c: FullContainer) {
  const allowed = featuresOf(c.plan.allowedFeatures);
  const enabled = featuresOf(c.features);
  return {
    allowed,
    enabled,
    catalog: FEATURE_KEYS.map((k) => ({
      key: k,
      label: FEATURES[k].label,
      description: FEATURES[k].description,
      risk: FEATURES[k].risk,
    })),
  };
}

/**
 * Turn a container's features on or off (the whole new set), within its plan. Stored on the node first (which
 * re-checks the names), then in the database. Applies at the next start: `restartNeeded` when it runs now.
 */
export async function setContainerFeatures(ctx: Ctx, c: FullContainer, input: unknown) {
  const parsed = featureListSchema.safeParse(input);
  if (!parsed.success) {
    throw new PanelError("BAD_REQUEST", `${parsed.error.issues[0]?.message ?? "invalid features"}.`, {
      features: parsed.error.issues[0]?.message ?? "invalid",
    });
  }
  const wanted = parsed.data;
  const before = featuresOf(c.features);
  const outside = featuresOutside(wanted, featuresOf(c.plan.allowedFeatures));
  if (outside.length > 0) {
    throw new PanelError(
      "FORBIDDEN",
      `The plan "${c.plan.name}" does not allow ${names(outside)}; ask your provider for a plan that does.`,
      { features: `not in the plan: ${outside.join(", ")}` },
    );
  }
  const info = await engineOf(c).call("container.set", { ctid: c.ctid, features: wanted });
  await ctx.db.container.update({
    where: { id: c.id },
    data: { features: JSON.stringify(info.features), state: info.state },
  });
  const changed = info.features.join() !== before.join();
  const restartNeeded = changed && info.state !== "stopped";
  await audit(ctx, {
    action: "container.setFeatures",
    target: `container ${c.ctid} (${c.hostname})`,
    tenantId: c.tenantId,
    details: { features: info.features, before, restartNeeded },
  });
  return { enabled: info.features, restartNeeded };
}
