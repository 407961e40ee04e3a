/**
 * What the storage drivers share (the role of incus' storage/drivers/driver_common.go): validation of the
 * names pool paths are built from, mountinfo parsing, the block device under a mount, statfs space, and
 * small file-system predicates. Drivers import this, never each other.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../../errors.js";
import { SNAPSHOT_NAME_RE } from "../../snapshot-names.js";
import { TEMPLATE_NAME_RE } from "../../identity.js";

export { TEMPLATE_NAME_RE };
/** A container's volume directory name: its ctid. */
export const CTID_DIR_RE = /^[1-9][0-9]{0,15}$/;

/** Throws BAD_REQUEST unless `name` is a valid template name; returns it. Paths are only built from checked names. */
export function checkTemplateName(name: unknown): string {
  if (typeof name !== "string" || !TEMPLATE_NAME_RE.test(name)) {
    throw new EngineError(
      "BAD_REQUEST",
      `invalid template name ${JSON.stringify(name)}: ` +
        "use 1-64 characters a-z 0-9 . _ - starting with a letter or digit",
    );
  }
  return name;
}

/** The engine's own temporary snapshots (e.g. ".backup-<id>") start with a dot, so they never clash with a user's. */
const INTERNAL_SNAPSHOT_RE = /^\.[a-z]+-[A-Za-z0-9._-]{1,100}$/;

/**
 * Throws BAD_REQUEST unless `name` is a user snapshot name or an engine-internal one; returns it. Paths are
 * only built from checked names.
 */
export function checkSnapshotPathName(name: unknown): string {
  if (typeof name !== "string" || !(SNAPSHOT_NAME_RE.test(name) || INTERNAL_SNAPSHOT_RE.test(name))) {
    throw new EngineError(
      "BAD_REQUEST",
      `invalid snapshot name ${JSON.stringify(name)}: use 1-64 letters, digits, . _ - starting with a letter or digit`,
    );
  }
  return name;
}

/** Throws BAD_REQUEST unless `ctid` is a positive integer; returns it. */
export function checkCtid(ctid: unknown): number {
  if (typeof ctid !== "number" || !Number.isSafeInteger(ctid) || ctid <= 0) {
    throw new EngineError("BAD_REQUEST", `invalid container ID ${JSON.stringify(ctid)}: must be a positive integer`);
  }
  return ctid;
}

/** Does anything (file, dir, symlink) exist at `p`? Other errors than ENOENT propagate. */
export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw e;
  }
}

export function isNoSpaceText(text: string): boolean {
  return /no space left|ENOSPC|disk quota exceeded|EDQUOT/i.test(text);
}

export interface MountInfo {
  mountId: number;
  /** "major:minor" of st_dev of files on this mount (anonymous 0:N for btrfs) */
  devNum: string;
  /** root of the mount within its filesystem */
  fsRoot: string;
  mountPoint: string;
  fsType: string;
  source: string;
}

/** Decode the octal escapes (\040 space, \011 tab, \012 newline, \134 backslash) used in /proc mount tables. */
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Parse /proc/self/mountinfo (mount order: a later entry for the same mount point is on top). */
export async function readMountInfo(): Promise<MountInfo[]> {
  const text = await fs.readFile("/proc/self/mountinfo", "utf8");
  const out: MountInfo[] = [];
  for (const line of text.split("\n")) {
    if (!line) continue;
    const f = line.split(" ");
    const sep = f.indexOf("-", 6);
    if (sep < 0 || f.length < sep + 3) continue;
    out.push({
      mountId: Number(f[0]),
      devNum: f[2] ?? "",
      fsRoot: unescapeMount(f[3] ?? ""),
      mountPoint: unescapeMount(f[4] ?? ""),
      fsType: f[sep + 1] ?? "",
      source: unescapeMount(f[sep + 2] ?? ""),
    });
  }
  return out;
}

/** Resolve symlinks as far as the path exists (the pool root may not exist yet). */
export async function realPathLoose(p: string): Promise<string> {
  const abs = path.resolve(p);
  try {
    return await fs.realpath(abs);
  } catch {
    const parent = path.dirname(abs);
    if (parent === abs) return abs;
    return path.join(await realPathLoose(parent), path.basename(abs));
  }
}

/** The mount that contains `p` (longest mount-point prefix; the topmost one when stacked). */
export async function mountContaining(p: string): Promise<MountInfo | null> {
  const target = await realPathLoose(p);
  let best: MountInfo | null = null;
  for (const m of await readMountInfo()) {
    const mp = m.mountPoint;
    const inside = target === mp || mp === "/" || target.startsWith(mp.endsWith("/") ? mp : mp + "/");
    if (!inside) continue;
    if (!best || mp.length >= best.mountPoint.length) best = m;
  }
  return best;
}

/**
 * "major:minor" of the whole-disk block device under a mount, for cgroup io.max / io.weight (which refuse
 * partitions), or null when the mount is not backed by a block device we can identify.
 */
export async function blockDeviceOfMount(m: MountInfo): Promise<string | null> {
  let sysDir: string | null = null;
  if (m.source.startsWith("/dev/")) {
    try {
      const dev = await fs.realpath(m.source);
      const st = await fs.stat(dev);
      if (st.isBlockDevice()) sysDir = `/sys/class/block/${path.basename(dev)}`;
    } catch {
      sysDir = null;
    }
  }
  if (!sysDir && /^\d+:\d+$/.test(m.devNum) && !m.devNum.startsWith("0:")) sysDir = `/sys/dev/block/${m.devNum}`;
  if (!sysDir) return null;
  try {
    const real = await fs.realpath(sysDir);
    // A partition's sysfs directory lives inside its disk's directory.
    const isPartition = await pathExists(path.join(real, "partition"));
    const devFile = isPartition ? path.join(path.dirname(real), "dev") : path.join(real, "dev");
    const mm = (await fs.readFile(devFile, "utf8")).trim();
    return /^\d+:\d+$/.test(mm) ? mm : null;
  } catch {
    return null;
  }
}

/** Pool capacity from statfs: what unprivileged writers could still use (f_bavail). */
export async function statfsSpace(p: string): Promise<{ totalBytes: number; freeBytes: number }> {
  const s = await fs.statfs(p);
  return { totalBytes: s.blocks * s.bsize, freeBytes: s.bavail * s.bsize };
}
