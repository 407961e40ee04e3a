/**
 * vzctl/prlctl resource flags → the panel's limits patch. The flags come from the LIMITS table
 * (native/src/settings.ts: each limit declares its flag), so a limit added there is a CLI flag at once.
 * Units follow vzctl: sizes take K/M/G/T suffixes (a plain --ram/--swap number is bytes, a plain
 * --diskspace number is 1K blocks, a plain --iolimit number is MB/s); UBC-style counts take
 * barrier:limit (the limit is what the kernel enforces here); disk space and inodes take
 * softlimit:hardlimit (the soft limit is the quota here: it is what df shows inside).
 */
import { LIMIT_KEYS, LIMITS, limitsPatchSchema, type LimitKey } from "../../native/src/settings.js";
import type { LimitsPatch } from "../services/limits.js";
import { badParam, countPair, sizePair, type OptSpec } from "./args.js";

const PLAIN_UNIT: Partial<Record<LimitKey, number>> = { diskspace: 1024, iolimit: 1024 * 1024 };
/** which half of a pair is the one limit this product enforces */
const TAKE: Partial<Record<LimitKey, "barrier" | "limit">> = { diskspace: "barrier", diskinodes: "barrier" };

/** flag → limit key, for every limit */
export const LIMIT_FLAGS: Record<string, LimitKey> = Object.fromEntries(LIMIT_KEYS.map((k) => [LIMITS[k].flag, k]));

/** vzctl's one-letter spellings (`vzctl set 1000 --numproc 80:100 -t 16:20 --save`, vzctl(8) EXAMPLES) */
const SHORT: Partial<Record<LimitKey, string>> = { numpty: "-t" };

export const limitOptSpecs: Record<string, OptSpec> = Object.fromEntries(
  Object.entries(LIMIT_FLAGS).map(([f, k]) => [f, SHORT[k] ? { arg: true, aliases: [SHORT[k]] } : { arg: true }]),
);

/** limits that take barrier:limit (UBC counts) or softlimit:hardlimit (disk), and "unlimited" */
const PAIRS = new Set<LimitKey>(["numproc", "numfile", "numpty", "diskspace", "diskinodes"]);
const UNLIMITED_OK = new Set<LimitKey>(["numproc", "numfile", "numpty"]);

/** One flag's value as a patch entry (throws vzctl's "Bad parameter" for malformed input). */
export function limitValue(flag: string, raw: string): [LimitKey, number | string | null] {
  const key = LIMIT_FLAGS[flag]!;
  const d = LIMITS[key];
  if (raw.includes(":") && !PAIRS.has(key)) throw badParam(flag, raw, "takes a single value");
  if (/unlimited/i.test(raw) && !UNLIMITED_OK.has(key)) throw badParam(flag, raw, "has no unlimited value here");
  let v: number | string | null;
  if (d.kind === "cpuset") {
    v = /^all$/i.test(raw) ? null : raw;
  } else if (d.kind === "percent") {
    const m = /^(\d+)%?$/.exec(raw);
    if (!m) throw badParam(flag, raw, "use a percentage, e.g. 50 or 50%");
    v = Number(m[1]);
  } else if (d.kind === "bytes") {
    v = sizePair(flag, raw, PLAIN_UNIT[key] ?? 1)[TAKE[key] ?? "limit"];
  } else {
    // "unlimited" is the largest value the kernel takes for that limit
    v = Math.min(countPair(flag, raw)[TAKE[key] ?? "limit"], d.max);
  }
  return [key, v];
}

/** The patch for all given limit flags, checked against the LIMITS ranges (errors name the flag). */
export function limitsPatch(given: [flag: string, raw: string][]): LimitsPatch {
  const patch: Record<string, unknown> = {};
  const rawOf: Record<string, [string, string]> = {};
  for (const [flag, raw] of given) {
    const [k, v] = limitValue(flag, raw);
    patch[k] = v;
    rawOf[k] = [flag, raw];
  }
  const r = limitsPatchSchema.safeParse(patch);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const [flag, raw] = rawOf[String(i.path[0])] ?? ["?", "?"];
    throw badParam(flag, raw, i.message);
  }
  return r.data;
}

/** vzctl's line for a limit it set. */
export function limitSaid(key: string, v: unknown): string {
  const d = LIMITS[key as LimitKey];
  switch (key) {
    case "cpuunits":
      return `Setting CPU units: ${v}`;
    case "cpulimit":
      return `Setting CPU limit: ${v}`;
    case "cpus":
      return `Setting CPUs: ${v}`;
    case "cpumask":
      return `Setting CPU mask: ${v ?? "all"}`;
    case "diskspace":
    case "diskinodes":
      return `Setting disk quota: ${d?.label ?? key} ${v}`;
    default:
      return `Setting ${d?.label ?? key}: ${v}`;
  }
}
