/**
 * Leaf helpers of the btrfs storage driver (btrfs.ts): running the btrfs tool with typed errors, subvolume
 * probes, and parsing `btrfs qgroup show`.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { EngineError, wrapError } from "../../errors.js";
import { run, type RunOptions, type RunResult } from "../../exec.js";
import { isNoSpaceText } from "./common.js";

/** statfs f_type of btrfs */
export const BTRFS_SUPER_MAGIC = 0x9123683e;
/** inode number of the root directory of every btrfs subvolume (BTRFS_FIRST_FREE_OBJECTID) */
export const SUBVOL_ROOT_INO = 256;

export interface QgroupRow {
  qgroupid: string;
  referenced: number | null;
  exclusive: number | null;
  maxReferenced: number | null;
  maxExclusive: number | null;
}

/**
 * Parse `btrfs qgroup show [-r] [-e] [-p] [-c] --raw` text output. Columns are located by the header, which
 * differs between versions ("rfer excl max_rfer max_excl" in 4.x, "Referenced Exclusive Max referenced Max
 * exclusive Path" in 5.x/6.x).
 */
export function parseQgroupShow(text: string): Map<string, QgroupRow> {
  const rows = new Map<string, QgroupRow>();
  const lines = text.split("\n");
  const hi = lines.findIndex((l) => /^\s*qgroupid\b/i.test(l));
  if (hi < 0) return rows;
  const raw = (lines[hi] ?? "").trim().toLowerCase().split(/\s+/);
  const cols: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const t = raw[i] ?? "";
    if (t === "max" && i + 1 < raw.length) {
      cols.push(`max_${raw[++i] ?? ""}`);
    } else cols.push(t);
  }
  const alias: Record<string, string> = {
    rfer: "referenced",
    excl: "exclusive",
    max_rfer: "max_referenced",
    max_excl: "max_exclusive",
  };
  const names = cols.map((c) => alias[c] ?? c);
  const num = (v: string | undefined): number | null => {
    if (v === undefined || v === "none" || v === "-") return null;
    const n = Number(v);
    return Number.isFinite(n) ? n : null;
  };
  for (const line of lines.slice(hi + 1)) {
    const parts = line.trim().split(/\s+/);
    if (!/^\d+\/\d+$/.test(parts[0] ?? "")) continue;
    const get = (name: string): string | undefined => {
      const i = names.indexOf(name);
      return i < 0 ? undefined : parts[i];
    };
    rows.set(parts[0] as string, {
      qgroupid: parts[0] as string,
      referenced: num(get("referenced")),
      exclusive: num(get("exclusive")),
      maxReferenced: num(get("max_referenced")),
      maxExclusive: num(get("max_exclusive")),
    });
  }
  return rows;
}

export function toolMessage(r: RunResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join("\n");
}

/** Run btrfs; failures become HOST_TOOL_FAILED (or NO_SPACE for ENOSPC/EDQUOT) prefixed with `what`. */
export async function btrfs(args: string[], what: string, opts: RunOptions = {}): Promise<RunResult> {
  try {
    return await run("btrfs", args, opts);
  } catch (e) {
    throw toolError(e, what);
  }
}

export function toolError(e: unknown, what: string): EngineError {
  const msg = e instanceof Error ? e.message : String(e);
  if (isNoSpaceText(msg)) {
    return new EngineError("NO_SPACE", `${what}: the storage pool is out of space (${msg})`, { cause: e });
  }
  return wrapError(e, what, "HOST_TOOL_FAILED");
}

export async function isSubvolume(p: string): Promise<boolean> {
  try {
    const st = await fs.lstat(p);
    return st.isDirectory() && st.ino === SUBVOL_ROOT_INO;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

export async function subvolumeId(p: string): Promise<number> {
  const r = await btrfs(["inspect-internal", "rootid", p], `reading the subvolume id of ${p}`);
  const id = Number(r.stdout.trim());
  if (!Number.isSafeInteger(id) || id <= 0) {
    throw new EngineError("HOST_TOOL_FAILED", `btrfs inspect-internal rootid ${p} printed ${JSON.stringify(r.stdout)}`);
  }
  return id;
}

export async function isReadOnly(p: string): Promise<boolean> {
  const r = await btrfs(["property", "get", "-ts", p, "ro"], `reading the ro flag of ${p}`);
  return /\bro=true\b/.test(r.stdout);
}

/**
 * Subvolumes below `dir` (not descending into them): directories with inode 256 on another st_dev.
 * Other mounts (different st_dev, other inode) are skipped.
 */
export async function findNestedSubvolumes(dir: string, dev: number): Promise<string[]> {
  const found: string[] = [];
  const ents = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const e of ents) {
    if (!e.isDirectory()) continue;
    const p = path.join(dir, e.name);
    let st;
    try {
      st = await fs.lstat(p);
    } catch {
      continue;
    }
    if (st.dev !== dev) {
      if (st.ino === SUBVOL_ROOT_INO) found.push(p);
      continue;
    }
    found.push(...(await findNestedSubvolumes(p, dev)));
  }
  return found;
}
