/**
 * btrfs storage driver: templates and containers are subvolumes of one btrfs pool; a container is a
 * writable snapshot of a read-only template (copy-on-write: creating one costs milliseconds and no
 * space), and its disk limit is an exclusive qgroup limit, so data still shared with the template is
 * not charged to it. btrfs has no inode limits.
 *
 * Pool layout: <root>/templates/<name> (subvolume, read-only once sealed), <root>/containers/<ctid>
 * (subvolume), <root>/snapshots/<ctid>/<name> (read-only snapshots of a container, mode 0700: containers
 * cannot reach them) and, during a rollback or restore, <root>/containers/.staging-<ctid> and .previous-<ctid>
 * (see swap.ts). The pool is either an existing btrfs mount at `root`, a directory on a btrfs filesystem,
 * or a sparse loop image that init() creates, formats and mounts at `root`.
 *
 * Qgroup cleanup (measured on kernel 6.18, btrfs-progs 6.2): `btrfs subvolume delete` only unlinks the
 * subvolume; its qgroup 0/<id> stays (shown as <stale>) and `btrfs qgroup destroy` fails with EBUSY until
 * the cleaner thread has dropped the subvolume — which happens at the next transaction commit, up to 30 s
 * later. So we delete with --commit-after (wakes the cleaner), wait with `btrfs subvolume sync <id>`
 * (then a few ms), and destroy the qgroup; recent kernels remove the qgroup of a dropped subvolume
 * themselves, so "No such file or directory" from destroy means done.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EngineError, isEngineError, wrapError } from "../../errors.js";
import { run, type RunOptions, type RunResult } from "../../exec.js";
import { SNAPSHOT_NAME_RE } from "../../snapshot-names.js";
import {
  TEMPLATE_NAME_RE,
  blockDeviceOfMount,
  checkCtid,
  checkSnapshotPathName,
  checkTemplateName,
  CTID_DIR_RE,
  isNoSpaceText,
  mountContaining,
  pathExists,
  readMountInfo,
  realPathLoose,
  statfsSpace,
  type MountInfo,
} from "./common.js";
import * as swap from "./swap.js";
import type { StagingSource, StorageCaps, StorageDriver, VolumeUsage } from "./types.js";

export interface BtrfsStorageOptions {
  /** mount point of the pool, e.g. <stateDir>/pool */
  root: string;
  /** loop image to create, format and mount at `root` when `root` is not already a btrfs mount */
  image?: { path: string; sizeBytes: number };
  /**
   * qgroup numbers are only updated at transaction commit, so usage() syncs the filesystem first — at most
   * once per this many milliseconds (concurrent callers share one sync). 0 = every call. Default 1000.
   */
  usageSyncIntervalMs?: number;
}

/** statfs f_type of btrfs */
const BTRFS_SUPER_MAGIC = 0x9123683e;
/** inode number of the root directory of every btrfs subvolume (BTRFS_FIRST_FREE_OBJECTID) */
const SUBVOL_ROOT_INO = 256;

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

function toolMessage(r: RunResult): string {
  return (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-5).join("\n");
}

export class BtrfsStorage implements StorageDriver {
  readonly name = "btrfs" as const;
  readonly caps: StorageCaps = { quota: true, inodeQuota: false, cow: true };
  readonly root: string;
  private readonly templatesDir: string;
  private readonly containersDir: string;
  private readonly snapshotsDir: string;
  private readonly image: { path: string; sizeBytes: number } | undefined;
  private readonly usageSyncIntervalMs: number;
  private lastSync = 0;
  private syncing: Promise<void> | null = null;

  constructor(opts: BtrfsStorageOptions) {
    if (!opts.root) throw new EngineError("BAD_REQUEST", "btrfs storage: pool root not configured");
    this.root = path.resolve(opts.root);
    this.templatesDir = path.join(this.root, "templates");
    this.containersDir = path.join(this.root, "containers");
    this.snapshotsDir = path.join(this.root, "snapshots");
    if (opts.image) {
      const { sizeBytes } = opts.image;
      if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 256 * 1024 * 1024) {
        throw new EngineError("BAD_REQUEST", `btrfs pool image size must be at least 256 MiB, got ${sizeBytes}`);
      }
      this.image = { path: path.resolve(opts.image.path), sizeBytes };
    }
    this.usageSyncIntervalMs = opts.usageSyncIntervalMs ?? 1000;
  }

  // ------------------------------------------------------------------------------------------- tools

  /** Run btrfs; failures become HOST_TOOL_FAILED (or NO_SPACE for ENOSPC/EDQUOT) prefixed with `what`. */
  private async btrfs(args: string[], what: string, opts: RunOptions = {}): Promise<RunResult> {
    try {
      return await run("btrfs", args, opts);
    } catch (e) {
      throw this.toolError(e, what);
    }
  }

  private toolError(e: unknown, what: string): EngineError {
    const msg = e instanceof Error ? e.message : String(e);
    if (isNoSpaceText(msg)) {
      return new EngineError("NO_SPACE", `${what}: the storage pool is out of space (${msg})`, { cause: e });
    }
    return wrapError(e, what, "HOST_TOOL_FAILED");
  }

  private async isSubvolume(p: string): Promise<boolean> {
    try {
      const st = await fs.lstat(p);
      return st.isDirectory() && st.ino === SUBVOL_ROOT_INO;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw e;
    }
  }

  private async subvolumeId(p: string): Promise<number> {
    const r = await this.btrfs(["inspect-internal", "rootid", p], `reading the subvolume id of ${p}`);
    const id = Number(r.stdout.trim());
    if (!Number.isSafeInteger(id) || id <= 0) {
      throw new EngineError(
        "HOST_TOOL_FAILED",
        `btrfs inspect-internal rootid ${p} printed ${JSON.stringify(r.stdout)}`,
      );
    }
    return id;
  }

  private async isReadOnly(p: string): Promise<boolean> {
    const r = await this.btrfs(["property", "get", "-ts", p, "ro"], `reading the ro flag of ${p}`);
    return /\bro=true\b/.test(r.stdout);
  }

  /** The btrfs mount exactly at the pool root (topmost when stacked), or null. */
  private async poolMount(mounts?: MountInfo[]): Promise<MountInfo | null> {
    const root = await realPathLoose(this.root);
    const at = (mounts ?? (await readMountInfo())).filter((m) => m.mountPoint === root);
    const top = at[at.length - 1];
    return top && top.fsType === "btrfs" ? top : null;
  }

  /** Loop devices attached to the image file (`losetup -j`), e.g. ["/dev/loop3"]. */
  private async imageLoopDevices(): Promise<string[]> {
    if (!this.image || !(await pathExists(this.image.path))) return [];
    const r = await run("losetup", ["-j", this.image.path]);
    return r.stdout
      .split("\n")
      .map((l) => l.split(":")[0]?.trim() ?? "")
      .filter((d) => d.startsWith("/dev/"));
  }

  // -------------------------------------------------------------------------------------- lifecycle

  async init(): Promise<void> {
    const mounts = await readMountInfo();
    if (!(await this.poolMount(mounts))) {
      const root = await realPathLoose(this.root);
      const other = mounts.filter((m) => m.mountPoint === root).pop();
      if (other) {
        throw new EngineError(
          "UNSUPPORTED",
          `the storage pool ${this.root} is a ${other.fsType} mount, not btrfs; unmount it or point the pool elsewhere`,
        );
      }
      if (this.image) {
        await this.mountImage();
      } else {
        await fs.mkdir(this.root, { recursive: true });
        const st = await fs.statfs(this.root);
        if (st.type !== BTRFS_SUPER_MAGIC) {
          throw new EngineError(
            "UNSUPPORTED",
            `the storage pool ${this.root} is not on btrfs and no pool image is configured; mount a btrfs volume there or configure a pool image`,
          );
        }
      }
    }
    // A no-op when quotas are already on.
    await this.btrfs(["quota", "enable", this.root], `enabling quotas on the storage pool ${this.root}`);
    if (await this.isImagePool()) {
      // Our own pool: garbage-collect qgroups left by a crash between subvolume delete and qgroup destroy.
      // Fails harmlessly (EBUSY) for subvolumes the cleaner has not dropped yet.
      await run("btrfs", ["qgroup", "clear-stale", this.root], { allowFailure: true });
      // Pools mounted by older versions honoured setuid: make them nosuid,nodev too (see gate.ts).
      await run("mount", ["-o", "remount,nosuid,nodev", this.root], { allowFailure: true });
    }
    await fs.mkdir(this.templatesDir, { recursive: true, mode: 0o700 });
    // root only: containers are reached through their gate (see native/src/gate.ts)
    await fs.mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.containersDir, 0o700);
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }

  /** Is the pool mounted from our image (via one of its loop devices)? */
  private async isImagePool(): Promise<boolean> {
    const m = await this.poolMount();
    return !!m && (await this.imageLoopDevices()).includes(m.source);
  }

  private async mountImage(): Promise<void> {
    const img = this.image;
    if (!img) return;
    await fs.mkdir(path.dirname(img.path), { recursive: true });
    await fs.mkdir(this.root, { recursive: true });
    const fh = await fs.open(img.path, "a", 0o600);
    try {
      const probe = await run("blkid", ["-p", "-o", "value", "-s", "TYPE", img.path], { allowFailure: true });
      const fsType = probe.code === 0 ? probe.stdout.trim() : "";
      if (probe.code !== 0 && probe.code !== 2) {
        throw new EngineError(
          "HOST_TOOL_FAILED",
          `blkid ${img.path} failed (exit ${probe.code}): ${toolMessage(probe)}`,
        );
      }
      if (fsType !== "" && fsType !== "btrfs") {
        throw new EngineError(
          "UNSUPPORTED",
          `the pool image ${img.path} holds a ${fsType} filesystem, not btrfs; refusing to format it — remove it or configure another image path`,
        );
      }
      if (fsType === "") {
        // New (or never formatted) image: make it sparse at the configured size, then format it.
        const st = await fh.stat();
        if (st.size < img.sizeBytes) await fh.truncate(img.sizeBytes);
        await fh.close();
        try {
          await run("mkfs.btrfs", ["-q", "-L", "ovz-pool", img.path]);
        } catch (e) {
          throw this.toolError(e, `formatting the pool image ${img.path}`);
        }
      }
    } finally {
      await fh.close().catch(() => {});
    }
    const devs = await this.imageLoopDevices();
    // Reuse a loop device already attached to the image (mounted elsewhere, or left attached); else attach
    // one with autoclear (-o loop), so unmounting detaches it.
    // nosuid,nodev: setuid files of containers count only behind their gate (native/src/gate.ts)
    const args = devs[0]
      ? ["-t", "btrfs", "-o", "nosuid,nodev", devs[0], this.root]
      : ["-t", "btrfs", "-o", "loop,nosuid,nodev", img.path, this.root];
    try {
      await run("mount", args);
    } catch (e) {
      throw wrapError(e, `mounting the pool image ${img.path} at ${this.root}`, "HOST_TOOL_FAILED");
    }
    if (!(await this.poolMount())) {
      throw new EngineError("INTERNAL", `mounted ${img.path} at ${this.root} but no btrfs mount is visible there`);
    }
  }

  async teardown(): Promise<void> {
    if (!this.image) return; // a pool we did not mount is not ours to unmount
    for (let i = 0; i < 8; i++) {
      if (!(await this.isImagePool())) break;
      const r = await run("umount", [this.root], { allowFailure: true });
      if (r.code !== 0) {
        const msg = toolMessage(r);
        throw new EngineError(
          /busy/i.test(msg) ? "BUSY" : "HOST_TOOL_FAILED",
          `unmounting the storage pool ${this.root}: ${msg}`,
        );
      }
    }
    // Detach loop devices of the image that are no longer mounted anywhere (autoclear usually did already).
    for (let i = 0; i < 20; i++) {
      const devs = await this.imageLoopDevices();
      if (devs.length === 0) return;
      const mounted = new Set((await readMountInfo()).map((m) => m.source));
      const free = devs.filter((d) => !mounted.has(d));
      if (free.length === 0) return; // still mounted elsewhere: not ours
      for (const d of free) await run("losetup", ["-d", d], { allowFailure: true });
      await sleep(50);
    }
    const left = await this.imageLoopDevices();
    if (left.length) {
      throw new EngineError(
        "HOST_TOOL_FAILED",
        `loop device(s) ${left.join(", ")} of ${this.image.path} could not be detached`,
      );
    }
  }

  // -------------------------------------------------------------------------------------- templates

  templatePath(name: string): string {
    return path.join(this.templatesDir, checkTemplateName(name));
  }

  /**
   * True only for a complete, sealed (read-only) template volume. A half-made one (crash while unpacking)
   * reports false; createTemplateVolume refuses it with TEMPLATE_EXISTS until deleteTemplateVolume clears it.
   */
  async templateVolumeExists(name: string): Promise<boolean> {
    const p = this.templatePath(name);
    return (await this.isSubvolume(p)) && (await this.isReadOnly(p));
  }

  async createTemplateVolume(name: string): Promise<string> {
    const p = this.templatePath(name);
    if (await pathExists(p)) {
      throw new EngineError("TEMPLATE_EXISTS", `template volume ${name} already exists; delete it first`);
    }
    const r = await run("btrfs", ["subvolume", "create", p], { allowFailure: true });
    if (r.code !== 0) {
      const msg = toolMessage(r);
      if (/exists/i.test(msg))
        throw new EngineError("TEMPLATE_EXISTS", `template volume ${name} already exists; delete it first`);
      throw this.toolError(new Error(`btrfs subvolume create ${p} failed: ${msg}`), `creating template volume ${name}`);
    }
    return p;
  }

  async sealTemplateVolume(name: string): Promise<void> {
    const p = this.templatePath(name);
    if (!(await this.isSubvolume(p))) {
      throw new EngineError("TEMPLATE_NOT_FOUND", `template volume ${name} does not exist (or is not a subvolume)`);
    }
    await this.btrfs(["property", "set", "-ts", p, "ro", "true"], `sealing template volume ${name}`);
  }

  async deleteTemplateVolume(name: string): Promise<void> {
    const p = this.templatePath(name);
    await this.removeAny(p, true);
  }

  async listTemplateVolumes(): Promise<string[]> {
    const ents = await fs.readdir(this.templatesDir, { withFileTypes: true }).catch(() => []);
    return ents
      .filter((e) => e.isDirectory() && TEMPLATE_NAME_RE.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  // ------------------------------------------------------------------------------------- containers

  containerPath(ctid: number): string {
    return path.join(this.containersDir, String(checkCtid(ctid)));
  }

  /** True if anything is at the container's path — also a half-made volume, which deleteContainerVolume clears. */
  async containerVolumeExists(ctid: number): Promise<boolean> {
    return pathExists(this.containerPath(ctid));
  }

  async createContainerVolume(ctid: number, template: string): Promise<string> {
    const dst = this.containerPath(ctid);
    const src = this.templatePath(template);
    if (!(await this.isSubvolume(src))) {
      if (await pathExists(src)) {
        throw new EngineError(
          "TEMPLATE_INVALID",
          `template volume ${template} is not a btrfs subvolume (half-made?); delete and recreate it`,
        );
      }
      throw new EngineError(
        "TEMPLATE_NOT_FOUND",
        `template volume ${template} does not exist; unpack the template first`,
      );
    }
    if (!(await this.isReadOnly(src))) {
      throw new EngineError(
        "TEMPLATE_INVALID",
        `template volume ${template} is not sealed (incomplete unpack?); delete and recreate it`,
      );
    }
    // Must check: `btrfs subvolume snapshot` into an existing directory would create <dst>/<template> inside it.
    if (await pathExists(dst)) {
      throw new EngineError("CTID_IN_USE", `volume for container ${ctid} already exists at ${dst}; delete it first`);
    }
    const r = await run("btrfs", ["subvolume", "snapshot", src, dst], { allowFailure: true });
    if (r.code !== 0) {
      const msg = toolMessage(r);
      if (/exists/i.test(msg))
        throw new EngineError("CTID_IN_USE", `volume for container ${ctid} already exists at ${dst}`);
      throw this.toolError(
        new Error(`btrfs subvolume snapshot failed: ${msg}`),
        `creating the volume of container ${ctid}`,
      );
    }
    return dst;
  }

  async deleteContainerVolume(ctid: number): Promise<void> {
    await this.removeAny(this.containerPath(ctid), false);
    await swap.discardStaging(this.swapPaths(ctid));
  }

  async listContainerVolumes(): Promise<number[]> {
    const ents = await fs.readdir(this.containersDir, { withFileTypes: true }).catch(() => []);
    return ents
      .filter((e) => e.isDirectory() && CTID_DIR_RE.test(e.name))
      .map((e) => Number(e.name))
      .sort((a, b) => a - b);
  }

  // -------------------------------------------------------------------------------------- snapshots

  private snapshotDir(ctid: number): string {
    return path.join(this.snapshotsDir, String(checkCtid(ctid)));
  }

  snapshotPath(ctid: number, name: string): string {
    return path.join(this.snapshotDir(ctid), checkSnapshotPathName(name));
  }

  /** BTRFS_IOC_SYNC: flushes delalloc and commits, so a snapshot right after has little left to flush. */
  async flushContainerVolume(ctid: number): Promise<void> {
    await run("btrfs", ["filesystem", "sync", this.containerPath(ctid)], {
      allowFailure: true,
      timeoutMs: 120_000,
    }).catch(() => {});
  }

  async createSnapshot(ctid: number, name: string): Promise<void> {
    const dst = this.snapshotPath(ctid, name);
    const src = await this.mustBeContainerVolume(ctid);
    if (await pathExists(dst))
      throw new EngineError(
        "BAD_REQUEST",
        `container ${ctid} already has a snapshot named "${name}"; pick another name`,
      );
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.snapshotDir(ctid), { recursive: true, mode: 0o700 });
    // -r: read-only, so nothing (not even root by mistake) changes a snapshot after the fact. Atomic: it exists whole
    // or not at all.
    const r = await run("btrfs", ["subvolume", "snapshot", "-r", src, dst], { allowFailure: true });
    if (r.code !== 0) {
      throw this.toolError(
        new Error(`btrfs subvolume snapshot -r failed: ${toolMessage(r)}`),
        `snapshotting container ${ctid}`,
      );
    }
  }

  async deleteSnapshot(ctid: number, name: string): Promise<void> {
    await this.removeAny(this.snapshotPath(ctid, name), true);
  }

  async deleteSnapshots(ctid: number): Promise<void> {
    const dir = this.snapshotDir(ctid);
    const ents = await fs.readdir(dir).catch(() => [] as string[]);
    for (const e of ents) await this.removeAny(path.join(dir, e), true);
    await fs.rm(dir, { recursive: true, force: true });
  }

  async listSnapshots(ctid: number): Promise<string[]> {
    const ents = await fs.readdir(this.snapshotDir(ctid), { withFileTypes: true }).catch(() => []);
    return ents
      .filter((e) => e.isDirectory() && SNAPSHOT_NAME_RE.test(e.name))
      .map((e) => e.name)
      .sort();
  }

  /** Exclusive bytes of each snapshot's qgroup: what deleting it would free. One qgroup listing for all. */
  async snapshotSizes(ctid: number): Promise<Map<string, number | null>> {
    const out = new Map<string, number | null>();
    const names = await this.listSnapshots(ctid);
    if (!names.length) return out;
    const ids = new Map<string, number>();
    for (const n of names) ids.set(n, await this.subvolumeId(this.snapshotPath(ctid, n)));
    await this.syncForUsage();
    const r = await run("btrfs", ["qgroup", "show", "-re", "--raw", this.root], { allowFailure: true });
    const rows = r.code === 0 ? parseQgroupShow(r.stdout) : new Map<string, QgroupRow>();
    for (const n of names) out.set(n, rows.get(`0/${ids.get(n)}`)?.exclusive ?? null);
    return out;
  }

  // ------------------------------------------------------------------------ volume replacement (swap.ts)

  stagingPath(ctid: number): string {
    return path.join(this.containersDir, `.staging-${checkCtid(ctid)}`);
  }

  private swapPaths(ctid: number): swap.SwapPaths {
    return {
      ctid,
      current: this.containerPath(ctid),
      staging: this.stagingPath(ctid),
      previous: path.join(this.containersDir, `.previous-${checkCtid(ctid)}`),
      remove: (p) => this.removeAny(p, true),
    };
  }

  async createStagingVolume(ctid: number, from: StagingSource): Promise<string> {
    const p = this.stagingPath(ctid);
    await this.removeAny(p, true); // a stale one from an interrupted operation
    let r: RunResult;
    if ("snapshot" in from) {
      const src = this.snapshotPath(ctid, from.snapshot);
      if (!(await this.isSubvolume(src)))
        throw new EngineError("NOT_FOUND", `container ${ctid} has no snapshot named "${from.snapshot}"`);
      r = await run("btrfs", ["subvolume", "snapshot", src, p], { allowFailure: true }); // writable CoW copy
    } else if ("template" in from) {
      const src = this.templatePath(from.template);
      if (!(await this.isSubvolume(src)) || !(await this.isReadOnly(src))) {
        throw new EngineError(
          "TEMPLATE_NOT_FOUND",
          `template volume ${from.template} does not exist or is not sealed; unpack the template first`,
        );
      }
      r = await run("btrfs", ["subvolume", "snapshot", src, p], { allowFailure: true }); // writable CoW copy of the template
    } else if ("container" in from) {
      const src = await this.mustBeContainerVolume(from.container);
      // a writable snapshot: shares every extent with the source until either side writes
      r = await run("btrfs", ["subvolume", "snapshot", src, p], { allowFailure: true });
    } else {
      r = await run("btrfs", ["subvolume", "create", p], { allowFailure: true });
    }
    if (r.code !== 0)
      throw this.toolError(new Error(`btrfs: ${toolMessage(r)}`), `preparing a new volume for container ${ctid}`);
    return p;
  }

  retireCurrent(ctid: number): Promise<void> {
    return swap.retireCurrent(this.swapPaths(ctid));
  }
  promoteStaging(ctid: number): Promise<void> {
    return swap.promoteStaging(this.swapPaths(ctid));
  }
  revertStaging(ctid: number): Promise<void> {
    return swap.revertStaging(this.swapPaths(ctid));
  }
  discardStaging(ctid: number): Promise<void> {
    return swap.discardStaging(this.swapPaths(ctid));
  }

  // ------------------------------------------------------------------------------------------ migration

  private incomingDir(ctid: number): string {
    return path.join(this.containersDir, `.incoming-${checkCtid(ctid)}`);
  }

  sendCommand(ctid: number, name: string, parent: string | null): { cmd: string; args: string[] } {
    const parentArgs = parent ? ["-p", this.snapshotPath(ctid, parent)] : [];
    return { cmd: "btrfs", args: ["send", "-q", ...parentArgs, this.snapshotPath(ctid, name)] };
  }

  async receiveCommand(ctid: number, name: string): Promise<{ cmd: string; args: string[] }> {
    const dir = this.incomingDir(ctid);
    await fs.mkdir(dir, { recursive: true, mode: 0o700 });
    // a stale one from an aborted try; received subvolumes stay read-only (btrfs refuses to flip those) and delete as
    // they are
    await this.removeAny(path.join(dir, checkSnapshotPathName(name)), false);
    // -e: end at the stream's end marker, so a truncated stream is an error rather than a half volume
    return { cmd: "btrfs", args: ["receive", "-q", "-e", dir] };
  }

  async adoptReceived(ctid: number, name: string): Promise<void> {
    const src = path.join(this.incomingDir(ctid), checkSnapshotPathName(name));
    if (!(await this.isSubvolume(src)))
      throw new EngineError(
        "NOT_FOUND",
        `no received volume "${name}" for container ${ctid}; the transfer did not complete`,
      );
    const dst = this.containerPath(ctid);
    if (await pathExists(dst))
      throw new EngineError("CTID_IN_USE", `container ID ${ctid} already has a volume on this node`);
    // a writable CoW snapshot of the received (read-only) one: no copy
    const r = await run("btrfs", ["subvolume", "snapshot", src, dst], { allowFailure: true });
    if (r.code !== 0)
      throw this.toolError(
        new Error(`btrfs subvolume snapshot failed: ${toolMessage(r)}`),
        `adopting the volume of container ${ctid}`,
      );
  }

  async discardReceived(ctid: number): Promise<void> {
    const dir = this.incomingDir(ctid);
    for (const e of await fs.readdir(dir).catch(() => [] as string[])) await this.removeAny(path.join(dir, e), false);
    await fs.rm(dir, { recursive: true, force: true });
  }

  // ------------------------------------------------------------------------------------------ delete

  /** Remove whatever is at `p`: a subvolume (with nested ones and its qgroup) or a half-made plain tree. Idempotent. */
  private async removeAny(p: string, clearRo: boolean): Promise<void> {
    let st;
    try {
      st = await fs.lstat(p);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
      throw e;
    }
    if (st.isDirectory() && st.ino === SUBVOL_ROOT_INO) {
      await this.deleteSubvolume(p, clearRo);
      return;
    }
    if (st.isDirectory()) {
      // A plain directory (crash before/while the volume was made). rm -r would rmdir empty nested subvolumes
      // and leave their qgroups behind, so delete those properly first.
      for (const sub of await findNestedSubvolumes(p, st.dev)) await this.deleteSubvolume(sub, true);
    }
    await fs.rm(p, { recursive: true, force: true });
  }

  private async deleteSubvolume(p: string, clearRo: boolean): Promise<void> {
    const id = await this.subvolumeId(p);
    if (clearRo && (await this.isReadOnly(p))) {
      await this.btrfs(["property", "set", "-ts", p, "ro", "false"], `clearing the ro flag of ${p}`);
    }
    const del = () => run("btrfs", ["subvolume", "delete", "--commit-after", p], { allowFailure: true });
    let r = await del();
    if (r.code !== 0 && /not empty/i.test(toolMessage(r))) {
      // Subvolumes nested inside (a container may create them: subvolume creation needs no privilege).
      const st = await fs.lstat(p);
      for (const sub of await findNestedSubvolumes(p, st.dev)) await this.deleteSubvolume(sub, true);
      r = await del();
    }
    if (r.code !== 0) {
      if (!(await pathExists(p))) return; // deleted concurrently
      throw this.toolError(new Error(`btrfs subvolume delete ${p} failed: ${toolMessage(r)}`), `deleting volume ${p}`);
    }
    await this.destroyQgroup(id);
  }

  /** Make sure qgroup 0/<id> of a deleted subvolume is gone (see the file comment for why this waits). */
  private async destroyQgroup(id: number): Promise<void> {
    // Wait until the cleaner has dropped the subvolume: a few ms after --commit-after, longer for huge volumes.
    const dropped = await run("btrfs", ["subvolume", "sync", this.root, String(id)], {
      allowFailure: true,
      timeoutMs: 60_000,
    }).then(
      () => true,
      (e: unknown) => {
        if (isEngineError(e, "TIMEOUT")) return false;
        throw e;
      },
    );
    let last = "";
    for (let attempt = 0; attempt < 4; attempt++) {
      const r = await run("btrfs", ["qgroup", "destroy", `0/${id}`, this.root], { allowFailure: true });
      if (r.code === 0) return;
      last = toolMessage(r);
      // Kernel removed it itself once the subvolume was dropped (6.x), or quotas are off: nothing to do.
      if (/no such file|not exist|ENOENT|not enabled/i.test(last)) return;
      if (!/busy/i.test(last)) break;
      // Still being dropped after a minute (a very large volume): the kernel removes the qgroup when the drop
      // finishes, and init() clears stale qgroups (image pools) on kernels that do not. Not worth failing the delete
      // for.
      if (!dropped) return;
      await run("btrfs", ["filesystem", "sync", this.root], { allowFailure: true });
      await sleep(100 * (attempt + 1));
    }
    throw new EngineError(
      "HOST_TOOL_FAILED",
      `subvolume ${id} was deleted but its qgroup 0/${id} could not be removed (${last}); run "btrfs qgroup clear-stale ${this.root}"`,
      { details: { qgroup: `0/${id}` } },
    );
  }

  // ------------------------------------------------------------------------------------------ quotas

  private async mustBeContainerVolume(ctid: number): Promise<string> {
    const p = this.containerPath(ctid);
    if (!(await this.isSubvolume(p))) throw new EngineError("NOT_FOUND", `volume of container ${ctid} does not exist`);
    return p;
  }

  async setQuota(ctid: number, q: { bytes: number | null; inodes: number | null }): Promise<void> {
    checkCtid(ctid);
    if (q.inodes !== null && q.inodes > 0) {
      throw new EngineError(
        "UNSUPPORTED",
        "btrfs has no inode limits; set diskinodes to 0 or use a storage driver with project quota (XFS/ext4)",
      );
    }
    if (q.bytes !== null && (!Number.isSafeInteger(q.bytes) || q.bytes <= 0)) {
      throw new EngineError(
        "LIMIT_OUT_OF_RANGE",
        `disk space limit must be a positive number of bytes, got ${q.bytes}`,
      );
    }
    const p = await this.mustBeContainerVolume(ctid);
    const size = q.bytes === null ? "none" : String(q.bytes);
    // Name the qgroup explicitly and issue the ioctl on the pool root rather than inside the container's
    // subvolume, so the call does not depend on (or reserve metadata in) the possibly full container.
    const args = ["qgroup", "limit", "-e", size, `0/${await this.subvolumeId(p)}`, this.root];
    const what = `setting the disk limit of container ${ctid}`;
    const first = await run("btrfs", args, { allowFailure: true });
    if (first.code === 0) return;
    // Seen once in ~100 test runs (cause not identified; the stderr was lost): a limit change failing right
    // after the container hit EDQUOT. Retry once after committing the filesystem, then report with the state
    // of the qgroup so the cause is visible.
    await run("btrfs", ["filesystem", "sync", this.root], { allowFailure: true });
    const second = await run("btrfs", args, { allowFailure: true });
    if (second.code === 0) return;
    const show = await run("btrfs", ["qgroup", "show", "-re", "--raw", "-f", p], { allowFailure: true });
    throw this.toolError(
      new Error(
        `btrfs ${args.join(" ")} failed (exit ${second.code}): ${toolMessage(second)} ` +
          `(first attempt: ${toolMessage(first)}; qgroup state: ${toolMessage(show).replace(/\s+/g, " ")})`,
      ),
      what,
    );
  }

  /** Commit the filesystem so qgroup numbers are current; shared by concurrent callers, rate-limited. */
  private async syncForUsage(): Promise<void> {
    if (this.syncing) return this.syncing;
    if (this.usageSyncIntervalMs > 0 && Date.now() - this.lastSync < this.usageSyncIntervalMs) return;
    const started = Date.now();
    this.syncing = run("btrfs", ["filesystem", "sync", this.root], { allowFailure: true })
      .then(() => {
        this.lastSync = started;
      })
      .finally(() => {
        this.syncing = null;
      });
    return this.syncing;
  }

  async usage(ctid: number): Promise<VolumeUsage> {
    const p = await this.mustBeContainerVolume(ctid);
    const id = await this.subvolumeId(p);
    await this.syncForUsage();
    const r = await this.btrfs(
      ["qgroup", "show", "-re", "--raw", "-f", p],
      `reading the disk usage of container ${ctid}`,
    );
    const row = parseQgroupShow(r.stdout).get(`0/${id}`);
    if (!row || row.exclusive === null) {
      throw new EngineError(
        "HOST_TOOL_FAILED",
        `no qgroup 0/${id} for container ${ctid} (are quotas enabled on ${this.root}?)`,
      );
    }
    return { bytes: row.exclusive, limitBytes: row.maxExclusive, inodes: null, limitInodes: null };
  }

  async space(): Promise<{ totalBytes: number; freeBytes: number }> {
    return statfsSpace(this.root);
  }

  async blockDevice(): Promise<string | null> {
    const m = (await this.poolMount()) ?? (await mountContaining(this.root));
    return m ? blockDeviceOfMount(m) : null;
  }
}

/**
 * Subvolumes below `dir` (not descending into them): directories with inode 256 on another st_dev.
 * Other mounts (different st_dev, other inode) are skipped.
 */
async function findNestedSubvolumes(dir: string, dev: number): Promise<string[]> {
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
