/**
 * What the cgroup v1 and v2 drivers share (the role of runc's libcontainer/cgroups/fscommon): unit
 * conversions, parsers of control-file formats common to both versions, sanity checks on what reaches the
 * kernel, and cgroupfs file helpers (read, single-write(2) write, tree walk, recursive rmdir).
 * Version-specific formats and conversions stay in v1.ts / v2.ts; the two never import each other.
 */
import { constants, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { open, readFile, readdir, rmdir, stat } from "node:fs/promises";
import path from "node:path";
import { EngineError, type ErrorCode } from "../../errors.js";
import type { CgroupLimits } from "./types.js";

// ------------------------------------------------------------------------------------------------------------
// Unit conversions and parsers (pure)
// ------------------------------------------------------------------------------------------------------------

/** CFS period used for cpulimit, in µs (v1 cpu.cfs_period_us, v2 second field of cpu.max). */
export const CFS_PERIOD_US = 100_000;

/** Kernel limits at or above this are "unlimited" (v1 prints 9223372036854771712 = LONG_MAX rounded to a page). */
export const UNLIMITED_THRESHOLD = 2 ** 60;

export function clamp(n: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, n));
}

/** cpulimit (percent of one CPU) → CFS quota in µs per CFS_PERIOD_US; -1 = no cap. */
export function cpulimitToQuota(cpulimit: number): number {
  return cpulimit > 0 ? Math.round(cpulimit * (CFS_PERIOD_US / 100)) : -1;
}

/** CFS quota/period → cpulimit percent; quota < 0 (or null = "max") → 0 (no cap). */
export function quotaToCpulimit(quota: number | null, period: number): number {
  if (quota === null || quota < 0 || !(period > 0)) return 0;
  return Math.round((quota * 100) / period);
}

/** Parse a kernel byte/count limit: "max", "-1" or a huge value → null (unlimited). */
export function parseLimit(text: string | null): number | null {
  if (text === null) return null;
  const t = text.trim();
  if (t === "" || t === "max" || t === "-1") return null;
  const n = Number(t);
  if (!Number.isFinite(n) || n >= UNLIMITED_THRESHOLD) return null;
  return n;
}

/** Parse "key value" lines (pids.events, cpu.stat, memory.events, memory.oom_control, memory.stat, ...). */
export function parseKeyed(text: string | null): Map<string, number> {
  const out = new Map<string, number>();
  if (text === null) return out;
  for (const line of text.split("\n")) {
    const m = /^\s*(\S+)\s+(-?\d+)\s*$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Parse the weight files: "500", or "default 500\n8:0 200" (bfq / v2 io.weight). */
export function parseWeight(text: string | null): number | null {
  if (text === null) return null;
  for (const line of text.split("\n")) {
    const m = /^\s*(?:default\s+)?(\d+)\s*$/.exec(line);
    if (m) return Number(m[1]);
  }
  return null;
}

export const DEVICE_RE = /^\d+:\d+$/;

/** Sanity checks on what reaches the kernel (the engine validates ranges with zod before this). */
export function checkLimits(l: CgroupLimits): void {
  const bad = (what: string, v: unknown): never => {
    throw new EngineError("LIMIT_OUT_OF_RANGE", `cgroup limit ${what} = ${String(v)} is not valid`);
  };
  const whole = (what: string, v: number, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) bad(what, v);
  };
  whole("ram", l.ram, 1);
  whole("swap", l.swap, 0);
  whole("cpuunits", l.cpuunits, 1);
  whole("cpulimit", l.cpulimit, 0);
  whole("numproc", l.numproc, 0);
  whole("ioweight", l.ioweight, 1);
  whole("iolimit", l.iolimit, 0);
  whole("iopslimit", l.iopslimit, 0);
  checkCpus(l.cpus ?? []);
  if (l.ioDevice !== null && !DEVICE_RE.test(l.ioDevice)) {
    throw new EngineError("BAD_REQUEST", `I/O device "${l.ioDevice}" is not a "major:minor" block device number`);
  }
}

/** CPU numbers the kernel could hold (0..1023, whole). */
export function checkCpus(cpus: readonly number[]): void {
  for (const c of cpus) {
    if (!Number.isInteger(c) || c < 0 || c > 1023) {
      throw new EngineError("LIMIT_OUT_OF_RANGE", `cgroup limit cpus = ${cpus.join(",")} is not valid`);
    }
  }
}

/** Validate a cgroup path relative to a hierarchy ("ovz/101"): no absolute paths, "." or ".." segments. */
export function checkRel(rel: string): string {
  const parts = rel.split("/").filter((p) => p !== "");
  if (rel.startsWith("/") || parts.length === 0 || parts.some((p) => p === "." || p === "..")) {
    throw new EngineError("BAD_REQUEST", `bad cgroup path "${rel}": expected a relative path such as "ovz/101"`);
  }
  return parts.join("/");
}

// ------------------------------------------------------------------------------------------------------------
// cgroupfs helpers
// ------------------------------------------------------------------------------------------------------------

function errno(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException).code;
}

/** Read a control file; null when it does not exist. */
export async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return null;
    throw new EngineError("INTERNAL", `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Like readText, synchronously: for hot paths reading many tiny cgroup files (usage()). cgroupfs files are
 * generated from kernel memory (no disk wait); a sync read costs ~17 µs against ~220 µs via fs.promises.
 */
export function readTextSync(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR" || errno(e) === "ENODEV") return null;
    throw new EngineError("INTERNAL", `cannot read ${file}: ${(e as Error).message}`, { cause: e });
  }
}

export async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Write one value to a control file with a single write(2): O_WRONLY|O_TRUNC and never O_CREAT (a missing
 * file is an error, not something to create). Kernel refusals become EngineErrors naming file and value.
 */
export async function writeText(file: string, value: string, hint = ""): Promise<void> {
  let fh;
  try {
    fh = await open(file, constants.O_WRONLY | constants.O_TRUNC);
  } catch (e) {
    if (errno(e) === "ENOENT") {
      const dir = path.dirname(file);
      if (!(await isDir(dir))) {
        throw new EngineError("NOT_RUNNING", `cgroup ${dir} does not exist (is the container running?)`, { cause: e });
      }
      throw new EngineError("UNSUPPORTED", `this kernel has no ${path.basename(file)} in ${dir}`, { cause: e });
    }
    throw new EngineError("INTERNAL", `cannot open ${file}: ${(e as Error).message}`, { cause: e });
  }
  try {
    await fh.write(value);
  } catch (e) {
    const code = errno(e);
    const refused: ErrorCode =
      code === "EINVAL" || code === "EBUSY" || code === "ENOSPC" || code === "ERANGE" || code === "ENODEV"
        ? "LIMIT_OUT_OF_RANGE"
        : "INTERNAL";
    throw new EngineError(
      refused,
      `the kernel refused "${value.trim()}" for ${file} (${code ?? (e as Error).message})${hint ? `: ${hint}` : ""}`,
      { cause: e, details: { file, value, errno: code } },
    );
  } finally {
    await fh.close();
  }
}

/** The cgroup directory and all its descendant cgroups, parents before children. Missing → []. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      if (errno(e) === "ENOENT" || errno(e) === "ENOTDIR") return;
      throw e;
    }
    out.push(d);
    for (const ent of entries) if (ent.isDirectory()) await walk(path.join(d, ent.name));
  };
  await walk(dir);
  return out;
}

/** PIDs listed in `file` (cgroup.procs) of the cgroup and all its descendants, sorted and unique. */
export async function procsRecursive(dir: string, file = "cgroup.procs"): Promise<number[]> {
  const pids = new Set<number>();
  for (const d of await listTree(dir)) {
    const t = await readText(path.join(d, file));
    if (t === null) continue;
    for (const line of t.split("\n")) if (/^\d+$/.test(line.trim())) pids.add(Number(line.trim()));
  }
  return [...pids].sort((a, b) => a - b);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * rmdir a cgroup and its children depth-first, tolerant of ENOENT. Tasks that are just exiting (the
 * container was killed a moment ago) get `graceMs` to leave; after that a populated cgroup → BUSY.
 */
export async function removeTree(dirs: string[], rel: string, graceMs: number): Promise<void> {
  const deadline = Date.now() + graceMs;
  const busy = async (): Promise<{ dir: string; pids: number[] } | null> => {
    for (const d of dirs) {
      const pids = await procsRecursive(d);
      if (pids.length) return { dir: d, pids };
    }
    return null;
  };
  let b = await busy();
  while (b && Date.now() < deadline) {
    await sleep(50);
    b = await busy();
  }
  const busyError = (dir: string, pids: number[], cause?: unknown) =>
    new EngineError(
      "BUSY",
      `cannot remove cgroup ${rel}: ${dir} still has ${pids.length || "exiting"} task(s)` +
        `${pids.length ? ` (pids ${pids.slice(0, 10).join(", ")}${pids.length > 10 ? ", …" : ""})` : ""}` +
        "; stop the container first",
      { cause, details: { dir, pids } },
    );
  if (b) throw busyError(b.dir, b.pids);
  for (const d of dirs) {
    const tree = await listTree(d);
    for (const sub of tree.reverse()) {
      for (let attempt = 0; ; attempt++) {
        try {
          await rmdir(sub);
          break;
        } catch (e) {
          if (errno(e) === "ENOENT") break;
          if (errno(e) === "EBUSY") {
            if (attempt < 20) {
              await sleep(50);
              continue;
            }
            throw busyError(sub, await procsRecursive(sub), e);
          }
          throw new EngineError("INTERNAL", `cannot remove cgroup ${sub}: ${(e as Error).message}`, { cause: e });
        }
      }
    }
  }
}

/** Does `file` exist in the hierarchy root `dir` or in any of its first-level cgroups? (Non-root-only files.) */
export function probeFile(dir: string, file: string): boolean {
  if (existsSync(path.join(dir, file))) return true;
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return false;
  }
  for (const e of entries.sort()) {
    const sub = path.join(dir, e);
    try {
      if (statSync(sub).isDirectory() && existsSync(path.join(sub, file))) return true;
    } catch {
      /* raced with rmdir */
    }
  }
  return false;
}

/** A number from a control file (trimmed); null when missing or not a number. */
export function num(text: string | null): number | null {
  if (text === null) return null;
  const n = Number(text.trim());
  return Number.isFinite(n) ? n : null;
}
