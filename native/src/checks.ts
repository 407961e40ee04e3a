/**
 * Checks of request fields shared by the engine and its operation modules (create, clone, restore):
 * a ctid, a hostname, network settings. A leaf, so every part of the engine can use them.
 */
import { EngineError } from "./errors.js";
import { CTID_MAX as MAX_CTID, CTID_MIN, CONTAINER_NAME_RE, HOSTNAME_RE } from "./identity.js";

export { CTID_MAX as MAX_CTID } from "./identity.js";

export function checkCtid(ctid: number): void {
  if (!Number.isInteger(ctid) || ctid < CTID_MIN || ctid > MAX_CTID) {
    throw new EngineError(
      "BAD_REQUEST",
      `bad container ID ${ctid}: use a whole number from 1 to ${MAX_CTID} (e.g. 101)`,
    );
  }
}

export function checkHostname(h: string): void {
  if (!HOSTNAME_RE.test(h)) {
    throw new EngineError(
      "BAD_REQUEST",
      `bad hostname "${h}": use letters, digits and hyphens, dot-separated labels of at most 63 characters`,
    );
  }
}

type Issues = { issues: Array<{ path: PropertyKey[]; message: string }> };
type SafeParser<T> = { safeParse(v: unknown): { success: true; data: T } | { success: false; error: Issues } };

/** Network settings through their zod schema; BAD_REQUEST naming every bad field. */
export function parseNet<T>(schema: SafeParser<T>, v: unknown): T {
  const r = schema.safeParse(v);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `net.${i.path.map(String).join(".")}: ${i.message}`).join("; ");
    throw new EngineError("BAD_REQUEST", `invalid network settings: ${msg}`);
  }
  return r.data;
}

export function fmtBytes(n: number): string {
  const u = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) {
    n /= 1024;
    i++;
  }
  return `${n.toFixed(i ? 1 : 0)} ${u[i]}`;
}

/** The form of a container name (CONTAINER_NAME_RE); whether another container has it is the caller's check. */
export function checkNameForm(name: string): void {
  if (!CONTAINER_NAME_RE.test(name)) {
    throw new EngineError(
      "BAD_REQUEST",
      `bad container name "${name}": use letters, digits, . _ - (max 64), not only digits`,
    );
  }
}
