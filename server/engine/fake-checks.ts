/**
 * The request checks of the real engine, as the fake engine needs them: the same codes and messages, in the
 * same order (native/src/protocol/client.ts for params, native/src/engine.ts `validateLimits`/`checkName`,
 * native/src/checks.ts). The engine contract (server/test/contract/) holds both to it.
 */
import { checkNameForm } from "../../native/src/checks.js";
import { EngineError } from "../../native/src/errors.js";
import { methods, type MethodName } from "../../native/src/protocol/schema.js";
import { crossCheck, limitsPatchSchema, type Limits } from "../../native/src/settings.js";

/** The host the fake engine pretends to be (engine.info): what limits are checked against. */
export const FAKE_HOST = {
  cpus: 2,
  memoryBytes: 24 * 1024 ** 3,
  /** like btrfs: quotas and copy-on-write, no inode limits */
  caps: { quota: true, inodeQuota: false, cow: true },
  /** the hard RLIMIT_NOFILE a real engine grants at most */
  maxNofile: 1_048_576,
} as const;


/** The params through the method's schema; BAD_REQUEST naming every bad field, as EngineClient.call. */
export function checkParams(method: MethodName, params: unknown): Record<string, unknown> {
  const checked = methods[method].params.safeParse(params);
  if (!checked.success) {
    const msg = checked.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ");
    throw new EngineError("BAD_REQUEST", `invalid parameters for ${method}: ${msg}`);
  }
  return checked.data as Record<string, unknown>;
}

/** A limits patch merged over `base` and the whole result validated (Engine.validateLimits). */
export function validateLimits(base: Limits, patch: unknown): Limits {
  const parsed = limitsPatchSchema.safeParse(patch ?? {});
  if (!parsed.success) {
    const msg = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    throw new EngineError("LIMIT_OUT_OF_RANGE", `invalid limits: ${msg}`, { details: { issues: parsed.error.issues } });
  }
  const merged = { ...base } as Record<string, unknown>;
  for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) merged[k] = v;
  const limits = merged as Limits;
  if (limits.cpumask === "") limits.cpumask = null;
  const errs = crossCheck(limits, FAKE_HOST.cpus);
  if (limits.numfile > FAKE_HOST.maxNofile) {
    errs.push(`open files ${limits.numfile} is above what this host can grant (${FAKE_HOST.maxNofile})`);
  }
  if (errs.length) throw new EngineError("LIMIT_OUT_OF_RANGE", errs.join("; "));
  if (limits.diskinodes > 0 && !FAKE_HOST.caps.inodeQuota) {
    throw new EngineError(
      "UNSUPPORTED",
      "the fake storage driver cannot limit inodes; set diskinodes to 0 or use a storage driver with project quota",
    );
  }
  return limits;
}

/** A container name: its form, and no other container has it. */
export function checkName(name: string, ctid: number, others: Iterable<{ ctid: number; name: string | null }>): void {
  checkNameForm(name);
  for (const o of others) {
    if (o.name === name && o.ctid !== ctid) {
      throw new EngineError("BAD_REQUEST", `name "${name}" is already used by container ${o.ctid}`);
    }
  }
}
