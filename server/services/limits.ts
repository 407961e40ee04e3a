/**
 * Plans, per-container overrides and reseller allocations. The limit set itself is declared once in
 * native/src/settings.ts (LIMITS); plan validation, forms and the engine all derive from it.
 */
import { z } from "zod";
import { templateNameSchema } from "../../native/src/identity.js";
import {
  defaultLimits,
  LIMIT_KEYS,
  LIMITS,
  limitsPatchSchema,
  type Limits,
  type LimitsPatch,
} from "../../native/src/settings.js";
import type { Db, Plan, Prisma } from "../db/client.js";
import { PanelError } from "../errors.js";

export { LIMITS, LIMIT_KEYS, defaultLimits, limitsPatchSchema };
export type { Limits, LimitsPatch };

const MiB = 1024 * 1024;

/** What a plan does with a container over its monthly traffic quota. */
export const TRAFFIC_OVERAGES = ["throttle", "suspend"] as const;
export type TrafficOverage = (typeof TRAFFIC_OVERAGES)[number];

export const templateName = templateNameSchema;

/** Plan fields other than the engine limits. */
export const planExtrasSchema = z.object({
  bandwidthMbps: z.number().int().min(0).max(100_000),
  ipCount: z.number().int().min(0).max(256),
  /** monthly rx + tx per container in GB (10^9 bytes); 0 = no quota */
  trafficQuotaGb: z.number().int().min(0).max(10_000_000).default(0),
  /** rate of a container over its quota, kbit/s in both directions */
  throttleKbit: z.number().int().min(8, "at least 8 kbit/s").max(100_000_000).default(1024),
  /** over the quota: throttle to throttleKbit, or suspend until the next month (server/services/traffic.ts) */
  trafficOverage: z
    .enum(TRAFFIC_OVERAGES, { errorMap: () => ({ message: "choose throttle or suspend" }) })
    .default("throttle"),
  templates: z.array(templateName).min(1, "allow at least one template").max(64),
});

export function parseJson<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

export function planLimits(plan: Pick<Plan, "limits">): Limits {
  return { ...defaultLimits(), ...parseJson<LimitsPatch>(plan.limits, {}) } as Limits;
}

export function planTemplates(plan: Pick<Plan, "templates">): string[] {
  return parseJson<string[]>(plan.templates, []);
}

export function effectiveLimits(plan: Pick<Plan, "limits">, overrides: string): Limits {
  return { ...planLimits(plan), ...parseJson<LimitsPatch>(overrides, {}) } as Limits;
}

/** What one container costs against an allocation. */
export interface Usage {
  containers: number;
  cpus: number;
  ramMb: number;
  swapMb: number;
  diskMb: number;
  ipCount: number;
}
export const USAGE_KEYS = ["containers", "cpus", "ramMb", "swapMb", "diskMb", "ipCount"] as const;
export const USAGE_LABEL: Record<keyof Usage, string> = {
  containers: "containers",
  cpus: "vCPUs",
  ramMb: "MiB RAM",
  swapMb: "MiB swap",
  diskMb: "MiB disk",
  ipCount: "IP addresses",
};

export function costOf(l: Limits, ipCount: number): Usage {
  return {
    containers: 1,
    cpus: l.cpus,
    ramMb: Math.ceil(l.ram / MiB),
    swapMb: Math.ceil(l.swap / MiB),
    diskMb: Math.ceil(l.diskspace / MiB),
    ipCount,
  };
}

function add(a: Usage, b: Usage): Usage {
  return Object.fromEntries(USAGE_KEYS.map((k) => [k, a[k] + b[k]])) as unknown as Usage;
}
export const ZERO_USAGE: Usage = { containers: 0, cpus: 0, ramMb: 0, swapMb: 0, diskMb: 0, ipCount: 0 };

/** The reseller that sells to this tenant (itself if it is a reseller), or null for platform customers. */
export async function sellingReseller(db: Db, tenantId: string): Promise<string | null> {
  const t = await db.tenant.findUnique({ where: { id: tenantId }, select: { id: true, kind: true, parentId: true } });
  if (!t) return null;
  if (t.kind === "reseller") return t.id;
  if (t.kind === "customer" && t.parentId) {
    const p = await db.tenant.findUnique({ where: { id: t.parentId }, select: { id: true, kind: true } });
    if (p?.kind === "reseller") return p.id;
  }
  return null;
}

/** Current usage of a reseller's allocation; `replace` swaps a plan's limits (to check a plan edit). */
export async function resellerUsage(
  db: Db,
  resellerId: string,
  replace?: { planId: string; limits: Limits; ipCount: number },
): Promise<Usage> {
  return usageOf(db, { OR: [{ tenantId: resellerId }, { tenant: { parentId: resellerId } }] }, replace);
}

/** What the containers matching `where` cost in total (effective limits, held addresses); see resellerUsage. */
export async function usageOf(
  db: Db,
  where: Prisma.ContainerWhereInput,
  replace?: { planId: string; limits: Limits; ipCount: number },
): Promise<Usage> {
  const rows = await db.container.findMany({
    where,
    select: {
      overrides: true,
      planId: true,
      plan: { select: { limits: true, ipCount: true } },
      _count: { select: { addresses: true } },
    },
  });
  let u = ZERO_USAGE;
  for (const r of rows) {
    const swapped = replace && r.planId === replace.planId;
    const l = swapped
      ? ({ ...replace.limits, ...parseJson<LimitsPatch>(r.overrides, {}) } as Limits)
      : effectiveLimits(r.plan, r.overrides);
    // a container holds its plan's addresses (reserved at create), or more if an admin added some
    u = add(u, costOf(l, Math.max(swapped ? replace.ipCount : r.plan.ipCount, r._count.addresses)));
  }
  return u;
}

/** Throws QUOTA_EXCEEDED (with every exceeded item named) if `extra` does not fit in the allocation. */
export async function assertWithinAllocation(
  db: Db,
  resellerId: string,
  extra: Usage,
  replace?: Parameters<typeof resellerUsage>[2],
): Promise<void> {
  const alloc = await db.allocation.findUnique({ where: { tenantId: resellerId } });
  if (!alloc)
    throw new PanelError(
      "QUOTA_EXCEEDED",
      "This reseller has no allocation yet; ask the platform administrator to set one before selling containers.",
    );
  const used = await resellerUsage(db, resellerId, replace);
  const total = add(used, extra);
  const over = USAGE_KEYS.filter((k) => total[k] > alloc[k]).map(
    (k) => `${USAGE_LABEL[k]}: would use ${total[k]} of ${alloc[k]}`,
  );
  if (over.length) {
    throw new PanelError(
      "QUOTA_EXCEEDED",
      `Refused: this exceeds the reseller allocation (${over.join("; ")}). Choose a smaller plan, free resources, or ask the administrator to raise the allocation.`,
    );
  }
}

export function requireFullLimits(patch: LimitsPatch): Limits {
  return { ...defaultLimits(), ...patch } as Limits;
}
