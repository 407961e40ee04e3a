/**
 * The small filesystem helpers the template code shares: temp names that a later run can recognise as
 * leftovers, durable (fsynced) writes, unmounting everything under a build dir, and removing a tree without
 * leaving its filesystem.
 */
import { randomBytes } from "node:crypto";
import { constants as fsc } from "node:fs";
import { lstat, open, readdir, readFile, rename, rm } from "node:fs/promises";
import { join, resolve as resolvePath } from "node:path";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import type { LogFn } from "./types.js";

const noLog: LogFn = () => {};

/** Kinds of temporary entries the template code creates next to its final files. */
export type TempKind = "tar" | "json" | "build" | "unpack" | "copy";

const TEMP_RE = /^\.tmp\.(\d+)\.([0-9a-f]+)\.(tar|json|build|unpack|copy)\.(.+)$/;

/** Temp paths in use by this process: never taken for crash leftovers. */
const ACTIVE_TEMPS = new Set<string>();

/**
 * `<dir>/.tmp.<pid>.<random>.<kind>.<name>`: same directory as the final file, so rename is atomic.
 * The path counts as in use by this process until releaseTemp().
 */
export function tempPath(dir: string, kind: TempKind, name: string): string {
  const p = join(resolvePath(dir), `.tmp.${process.pid}.${randomBytes(4).toString("hex")}.${kind}.${name}`);
  ACTIVE_TEMPS.add(p);
  return p;
}

export function releaseTemp(path: string): void {
  ACTIVE_TEMPS.delete(path);
}

export function parseTempName(file: string): { pid: number; kind: TempKind; name: string } | null {
  const m = TEMP_RE.exec(file);
  if (!m) return null;
  return { pid: Number(m[1]), kind: m[3] as TempKind, name: m[4]! };
}

export function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** fsync a file or directory (directories: so a rename is durable). */
export async function fsyncPath(path: string): Promise<void> {
  const fh = await open(path, fsc.O_RDONLY);
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Write a file atomically: tmp in the same dir, fsync, rename, fsync the dir. */
export async function writeFileAtomic(dir: string, name: string, data: string, mode = 0o644): Promise<void> {
  const tmp = tempPath(dir, "json", name);
  try {
    const fh = await open(tmp, "wx", mode);
    try {
      await fh.writeFile(data);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
    await fsyncPath(dir);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    releaseTemp(tmp);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Mounts and tree removal

function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or under `dir` in our mount namespace, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const base = resolvePath(dir);
  const text = await readFile("/proc/self/mountinfo", "utf8");
  const out: string[] = [];
  for (const line of text.split("\n")) {
    const f = line.split(" ");
    if (f.length < 5) continue;
    const mp = unescapeMountPath(f[4]!);
    if (mp === base || mp.startsWith(base + "/")) out.push(mp);
  }
  return [...new Set(out)].sort((a, b) => b.length - a.length);
}

/** Unmount everything mounted at or under `dir` (debootstrap leaves proc/sys mounted when it fails). */
export async function unmountUnder(dir: string, log: LogFn = noLog): Promise<void> {
  for (let round = 0; round < 5; round++) {
    const mps = await mountsUnder(dir);
    if (mps.length === 0) return;
    for (const mp of mps) {
      log(`unmounting leftover mount ${mp}`);
      const r = await run("umount", [mp], { allowFailure: true });
      if (r.code !== 0) await run("umount", ["-l", mp], { allowFailure: true });
    }
  }
  const left = await mountsUnder(dir);
  if (left.length > 0)
    throw new EngineError("HOST_TOOL_FAILED", `Could not unmount ${left.join(", ")}; unmount them by hand`);
}

/** rm -rf a build tree after unmounting anything under it; never crosses into another filesystem. */
export async function removeTree(dir: string, log: LogFn = noLog): Promise<void> {
  try {
    await lstat(dir);
  } catch {
    return;
  }
  await unmountUnder(dir, log);
  await run("rm", ["-rf", "--one-file-system", "--", dir]);
}

/**
 * Remove leftovers of crashed runs in `dir`: temp entries whose process is gone, or that belong to this
 * process but are not in `active`. Returns the entries it found (the caller handles "unpack" markers).
 */
export async function staleTemps(
  dir: string,
  active: ReadonlySet<string> = ACTIVE_TEMPS,
): Promise<{ path: string; kind: TempKind; name: string }[]> {
  dir = resolvePath(dir);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const out: { path: string; kind: TempKind; name: string }[] = [];
  for (const n of names) {
    const t = parseTempName(n);
    if (!t) continue;
    const path = join(dir, n);
    if (active.has(path)) continue;
    if (t.pid !== process.pid && pidAlive(t.pid)) continue;
    out.push({ path, kind: t.kind, name: t.name });
  }
  return out;
}

export async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
