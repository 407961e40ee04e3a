/**
 * The plan's customer self-service quota, declared once (docs/self-service.md): like an
 * Incus project's limits (limits.instances, limits.cpu, limits.memory, limits.disk), counted over the whole
 * customer tenant (all of its containers, whatever their plan), against the plan of the container being made.
 * customerMaxContainers 0 = no self-service; a total of 0 = no total (only the count applies). Plain data and
 * zod: the plan form (browser), the plans router, the validation labels and the quota check derive from it.
 */
import { z } from "zod";

/** What a container costs against the quota (the keys of limits.ts Usage that the quota counts). */
export type QuotaUsageKey = "containers" | "cpus" | "ramMb" | "diskMb" | "ipCount";

export const CUSTOMER_QUOTA = [
  {
    key: "customerMaxContainers",
    usage: "containers",
    label: "Self-service containers",
    one: "container",
    many: "containers",
    max: 1000,
  },
  {
    key: "customerMaxCpus",
    usage: "cpus",
    label: "Self-service vCPUs in total",
    one: "vCPU",
    many: "vCPUs",
    max: 100_000,
  },
  {
    key: "customerMaxRamMb",
    usage: "ramMb",
    label: "Self-service RAM in total (MiB)",
    one: "MiB RAM",
    many: "MiB RAM",
    max: 1 << 30,
  },
  {
    key: "customerMaxDiskMb",
    usage: "diskMb",
    label: "Self-service disk in total (MiB)",
    one: "MiB disk",
    many: "MiB disk",
    max: 1 << 30,
  },
  {
    key: "customerMaxIps",
    usage: "ipCount",
    label: "Self-service IP addresses in total",
    one: "IP address",
    many: "IP addresses",
    max: 65_536,
  },
] as const satisfies readonly {
  key: string;
  usage: QuotaUsageKey;
  label: string;
  one: string;
  many: string;
  max: number;
}[];

export type QuotaKey = (typeof CUSTOMER_QUOTA)[number]["key"];
export type CustomerQuota = Record<QuotaKey, number>;
export type QuotaUsage = Record<QuotaUsageKey, number>;

const count = (max: number) =>
  z.number().int("a whole number").min(0, "0 or more (0 = no limit)").max(max, `at most ${max}`).optional();

/** The plan input fields (each optional: a plan create defaults them to 0, an update leaves them). */
export const customerQuotaSchema = z.object(
  Object.fromEntries(CUSTOMER_QUOTA.map((q) => [q.key, count(q.max)])) as Record<QuotaKey, ReturnType<typeof count>>,
);

/** The quota of a plan row (or input), every key present. */
export function quotaOf(p: Partial<Record<QuotaKey, number | undefined>>): CustomerQuota {
  return Object.fromEntries(CUSTOMER_QUOTA.map((q) => [q.key, p[q.key] ?? 0])) as CustomerQuota;
}

/** "2 containers", "1 vCPU", "1024 MiB RAM". */
export function amount(usage: QuotaUsageKey, n: number): string {
  const q = CUSTOMER_QUOTA.find((x) => x.usage === usage)!;
  return `${n} ${n === 1 ? q.one : q.many}`;
}

/** The quota items a plan limits: the count, and each total that is not 0. */
export function limitedItems(quota: CustomerQuota) {
  return CUSTOMER_QUOTA.filter((q) => q.key === "customerMaxContainers" || quota[q.key] > 0);
}

/** "2 containers with 2 vCPUs and 1024 MiB RAM" (of the limited items), for sentences. */
export function describe(quota: CustomerQuota, u: QuotaUsage): string {
  const [first, ...rest] = limitedItems(quota).map((q) => amount(q.usage, u[q.usage]));
  if (rest.length === 0) return first!;
  const last = rest.pop()!;
  return `${first} with ${rest.length ? `${rest.join(", ")} and ${last}` : last}`;
}

/** What is left of the quota after `used` (null = no total on that item). */
export function remaining(quota: CustomerQuota, used: QuotaUsage): Record<QuotaUsageKey, number | null> {
  return Object.fromEntries(
    CUSTOMER_QUOTA.map((q) => [
      q.usage,
      q.key !== "customerMaxContainers" && quota[q.key] === 0 ? null : Math.max(0, quota[q.key] - used[q.usage]),
    ]),
  ) as Record<QuotaUsageKey, number | null>;
}

/**
 * Null when `need` fits in the plan's quota next to `used`; else the refusal: the sentence that says the
 * numbers, and the items over the quota.
 */
export function quotaRefusal(
  plan: { name: string } & CustomerQuota,
  used: QuotaUsage,
  need: QuotaUsage,
): { message: string; over: string[] } | null {
  const quota = quotaOf(plan);
  const over = limitedItems(quota).filter((q) => used[q.usage] + need[q.usage] > quota[q.key]);
  if (over.length === 0) return null;
  const limits = Object.fromEntries(CUSTOMER_QUOTA.map((q) => [q.usage, quota[q.key]])) as QuotaUsage;
  const needs = limitedItems(quota)
    .filter((q) => q.usage !== "containers")
    .map((q) => amount(q.usage, need[q.usage]));
  return {
    message:
      `Refused: plan "${plan.name}" lets you hold ${describe(quota, limits)} in total; you have ${describe(quota, used)}` +
      (needs.length ? `; this one needs ${needs.join(", ")}` : "") +
      `. Over the quota: ${over.map((q) => q.many.replace("MiB ", "")).join(", ")}. Destroy one of your containers or ask your provider for a larger quota.`,
    over: over.map((q) => `${amount(q.usage, used[q.usage] + need[q.usage])} of ${quota[q.key]} would be used`),
  };
}

/** The quota fields given in a plan update (undefined ones are left as they are). */
export function quotaPatch(input: Partial<Record<QuotaKey, number | undefined>>): Partial<CustomerQuota> {
  return Object.fromEntries(CUSTOMER_QUOTA.map((q) => [q.key, input[q.key]]));
}
