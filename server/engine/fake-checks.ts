/**
 * The request checks of the real engine, as the fake engine needs them: the same codes and messages, in the
 * same order (native/src/protocol/client.ts for params, native/src/engine.ts `validateLimits`/`checkName`,
 * native/src/checks.ts). The engine contract (server/test/contract/) holds both to it.
 */
import { checkNameForm } from "../../native/src/checks.js";
import { EngineError } from "../../native/src/errors.js";
import { mergeLimits } from "../../native/src/limits-check.js";
import { methods, type MethodName } from "../../native/src/protocol/schema.js";
import type { Limits } from "../../native/src/settings.js";

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
  const storage = { name: "fake", inodeQuota: FAKE_HOST.caps.inodeQuota };
  return mergeLimits(base, patch, { cpus: FAKE_HOST.cpus, maxNofile: FAKE_HOST.maxNofile, storage });
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
