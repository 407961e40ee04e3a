/**
 * Snapshot names and descriptions: pure checks shared by the protocol schema, the storage drivers and the
 * engine (no host access, unit-tested).
 */
import { EngineError } from "./errors.js";

/** Snapshot names users give: letters, digits, . _ -, starting with a letter or digit, at most 64 characters. */
export const SNAPSHOT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const MAX_DESCRIPTION = 500;

/** Throws BAD_REQUEST unless `name` is a valid snapshot name; returns it. */
export function checkSnapshotName(name: string): string {
  if (!SNAPSHOT_NAME_RE.test(name)) {
    throw new EngineError(
      "BAD_REQUEST",
      `bad snapshot name "${name}": use letters, digits, . _ - (at most 64, starting with a letter or digit)`,
    );
  }
  return name;
}

export function checkDescription(d: string): string {
  if (d.length > MAX_DESCRIPTION)
    throw new EngineError(
      "BAD_REQUEST",
      `snapshot description is too long (${d.length} characters, at most ${MAX_DESCRIPTION})`,
    );
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(d))
    throw new EngineError("BAD_REQUEST", "snapshot description must not contain control characters");
  return d;
}

/** Default name: the UTC time, e.g. 20261123-191615; "-2", "-3", … when taken. */
export function defaultSnapshotName(now: Date, taken: Iterable<string>): string {
  const base = now
    .toISOString()
    .replace(/\.\d+Z$/, "")
    .replace(/[-:]/g, "")
    .replace("T", "-");
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let i = 2; ; i++) if (!used.has(`${base}-${i}`)) return `${base}-${i}`;
}
