/**
 * A limits patch checked and merged the way the engine does it, as a pure function of what the host offers:
 * the real engine (engine-core.ts) and the fake one (server/engine/fake-checks.ts) both call it, so their
 * answers cannot drift.
 */
import { EngineError } from "./errors.js";
import { crossCheck, LIMITS, limitsPatchSchema, type Limits } from "./settings.js";

export interface LimitsHost {
  /** CPUs of the host */
  cpus: number;
  /** the engine's hard RLIMIT_NOFILE: the most open files a container can be granted */
  maxNofile: number;
  /** the storage driver's name, and whether it can limit inodes */
  storage: { name: string; inodeQuota: boolean };
}

/** `base` with `patch` applied, or LIMIT_OUT_OF_RANGE / UNSUPPORTED naming every problem. */
export function mergeLimits(base: Limits, patch: unknown, host: LimitsHost): Limits {
  const parsed = limitsPatchSchema.safeParse(patch ?? {});
  if (!parsed.success) {
    // each message names its limit by label ("RAM must be at least 16M"), never an internal key path; one that
    // does not (a bad size) gets the label and the setting's name in front: "RAM (ram): bad size …"
    const msg = parsed.error.issues
      .map((i) => {
        const key = String(i.path[0] ?? "");
        const label = (LIMITS as Record<string, { label: string } | undefined>)[key]?.label;
        return label && !i.message.includes(label) ? `${label} (${key}): ${i.message}` : i.message;
      })
      .join("; ");
    const details = { issues: parsed.error.issues };
    throw new EngineError("LIMIT_OUT_OF_RANGE", `invalid limits: ${msg}`, { details });
  }
  const merged = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) merged[k] = v;
  const limits = merged as Limits;
  if (limits.cpumask === "") limits.cpumask = null;
  const errs = crossCheck(limits, host.cpus);
  if (limits.numfile > host.maxNofile) {
    errs.push(
      `open files ${limits.numfile} is above what this host can grant (${host.maxNofile}, the engine's hard ` +
        "RLIMIT_NOFILE); lower numfile or raise the engine's LimitNOFILE",
    );
  }
  if (errs.length) throw new EngineError("LIMIT_OUT_OF_RANGE", errs.join("; "));
  if (limits.diskinodes > 0 && !host.storage.inodeQuota) {
    throw new EngineError(
      "UNSUPPORTED",
      `the ${host.storage.name} storage driver cannot limit inodes; set diskinodes to 0 or use a storage ` +
        "driver with project quota",
    );
  }
  return limits;
}
