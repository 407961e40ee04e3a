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
 *
 * The parts: btrfs-pool.ts (mounting the pool), btrfs-quota.ts (qgroup limits and usage), btrfs-delete.ts
 * (deleting a subvolume and its qgroup), btrfs-tools.ts (running btrfs, subvolume probes).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../../errors.js";
import { run, type RunResult } from "../../exec.js";
import { blockDeviceOfMount, checkSnapshotPathName, mountContaining, pathExists, statfsSpace } from "./common.js";
import { removeAny } from "./btrfs-delete.js";
import { BtrfsPool } from "./btrfs-pool.js";
import { checkQuotaRequest, exclusiveSizes, limitQgroup, qgroupUsage, UsageSync } from "./btrfs-quota.js";
import { btrfs, isReadOnly, isSubvolume, toolError, toolMessage } from "./btrfs-tools.js";
import { PoolLayout } from "./pool-layout.js";
import * as swap from "./swap.js";
import type { StagingSource, StorageCaps, StorageDriver, VolumeUsage } from "./types.js";

export { parseQgroupShow, type QgroupRow } from "./btrfs-tools.js";

export interface BtrfsStorageOptions {
  /** mount point of the pool, e.g. <stateDir>/pool */
  root: string;
  /** loop image to create, format and mount at `root` when `root` is not already a btrfs mount */
  image?: { path: string; sizeBytes: number; sizeIsDefault?: boolean };
  /**
   * qgroup numbers are only updated at transaction commit, so usage() syncs the filesystem first — at most
   * once per this many milliseconds (concurrent callers share one sync). 0 = every call. Default 1000.
   */
  usageSyncIntervalMs?: number;
}

export class BtrfsStorage extends PoolLayout implements StorageDriver {
  readonly name = "btrfs" as const;
  readonly caps: StorageCaps = { quota: true, inodeQuota: false, cow: true };
  private readonly pool: BtrfsPool;
  private readonly usageSync: UsageSync;

  constructor(opts: BtrfsStorageOptions) {
    super(opts.root, "btrfs storage: pool root");
    this.pool = new BtrfsPool(this.root, opts.image);
    this.usageSync = new UsageSync(this.root, opts.usageSyncIntervalMs ?? 1000);
  }

  // -------------------------------------------------------------------------------------- lifecycle

  async init(): Promise<void> {
    await this.pool.init();
    await fs.mkdir(this.templatesDir, { recursive: true, mode: 0o700 });
    // root only: containers are reached through their gate (see native/src/gate.ts)
    await fs.mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.containersDir, 0o700);
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }

  teardown(): Promise<void> {
    return this.pool.teardown();
  }

  // -------------------------------------------------------------------------------------- templates

  /**
   * True only for a complete, sealed (read-only) template volume. A half-made one (crash while unpacking)
   * reports false; createTemplateVolume refuses it with TEMPLATE_EXISTS until deleteTemplateVolume clears it.
   */
  async templateVolumeExists(name: string): Promise<boolean> {
    const p = this.templatePath(name);
    return (await isSubvolume(p)) && (await isReadOnly(p));
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
      throw toolError(new Error(`btrfs subvolume create ${p} failed: ${msg}`), `creating template volume ${name}`);
    }
    return p;
  }

  async sealTemplateVolume(name: string): Promise<void> {
    const p = this.templatePath(name);
    if (!(await isSubvolume(p))) {
      throw new EngineError("TEMPLATE_NOT_FOUND", `template volume ${name} does not exist (or is not a subvolume)`);
    }
    await btrfs(["property", "set", "-ts", p, "ro", "true"], `sealing template volume ${name}`);
  }

  async deleteTemplateVolume(name: string): Promise<void> {
    const p = this.templatePath(name);
    await this.removeAny(p, true);
  }

  // ------------------------------------------------------------------------------------- containers

  /** True if anything is at the container's path — also a half-made volume, which deleteContainerVolume clears. */
  async containerVolumeExists(ctid: number): Promise<boolean> {
    return pathExists(this.containerPath(ctid));
  }

  async createContainerVolume(ctid: number, template: string): Promise<string> {
    const dst = this.containerPath(ctid);
    const src = this.templatePath(template);
    if (!(await isSubvolume(src))) {
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
    if (!(await isReadOnly(src))) {
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
      throw toolError(new Error(`btrfs subvolume snapshot failed: ${msg}`), `creating the volume of container ${ctid}`);
    }
    return dst;
  }

  async deleteContainerVolume(ctid: number): Promise<void> {
    await this.removeAny(this.containerPath(ctid), false);
    await swap.discardStaging(this.swapPaths(ctid));
  }

  // -------------------------------------------------------------------------------------- snapshots

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
      throw toolError(
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

  /** Exclusive bytes of each snapshot's qgroup: what deleting it would free. One qgroup listing for all. */
  async snapshotSizes(ctid: number): Promise<Map<string, number | null>> {
    const names = await this.listSnapshots(ctid);
    return exclusiveSizes(this.root, this.usageSync, names, (n) => this.snapshotPath(ctid, n));
  }

  // ------------------------------------------------------------------------ volume replacement (swap.ts)

  async createStagingVolume(ctid: number, from: StagingSource): Promise<string> {
    const p = this.stagingPath(ctid);
    await this.removeAny(p, true); // a stale one from an interrupted operation
    let r: RunResult;
    if ("snapshot" in from) {
      const src = this.snapshotPath(ctid, from.snapshot);
      if (!(await isSubvolume(src)))
        throw new EngineError("NOT_FOUND", `container ${ctid} has no snapshot named "${from.snapshot}"`);
      r = await run("btrfs", ["subvolume", "snapshot", src, p], { allowFailure: true }); // writable CoW copy
    } else if ("template" in from) {
      const src = this.templatePath(from.template);
      if (!(await isSubvolume(src)) || !(await isReadOnly(src))) {
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
      throw toolError(new Error(`btrfs: ${toolMessage(r)}`), `preparing a new volume for container ${ctid}`);
    return p;
  }

  protected removeVolume(p: string): Promise<void> {
    return this.removeAny(p, true);
  }

  // ------------------------------------------------------------------------------------------ migration

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
    if (!(await isSubvolume(src)))
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
      throw toolError(
        new Error(`btrfs subvolume snapshot failed: ${toolMessage(r)}`),
        `adopting the volume of container ${ctid}`,
      );
  }

  async discardReceived(ctid: number): Promise<void> {
    const dir = this.incomingDir(ctid);
    for (const e of await fs.readdir(dir).catch(() => [] as string[])) await this.removeAny(path.join(dir, e), false);
    await fs.rm(dir, { recursive: true, force: true });
  }

  private removeAny(p: string, clearRo: boolean): Promise<void> {
    return removeAny(this.root, p, clearRo);
  }

  // ------------------------------------------------------------------------------------------ quotas

  private async mustBeContainerVolume(ctid: number): Promise<string> {
    const p = this.containerPath(ctid);
    if (!(await isSubvolume(p))) throw new EngineError("NOT_FOUND", `volume of container ${ctid} does not exist`);
    return p;
  }

  async setQuota(ctid: number, q: { bytes: number | null; inodes: number | null }): Promise<void> {
    checkQuotaRequest(ctid, q);
    const p = await this.mustBeContainerVolume(ctid);
    await limitQgroup(this.root, ctid, p, q.bytes);
  }

  async usage(ctid: number): Promise<VolumeUsage> {
    const p = await this.mustBeContainerVolume(ctid);
    return qgroupUsage(this.root, ctid, p, this.usageSync);
  }

  async space(): Promise<{ totalBytes: number; freeBytes: number }> {
    return statfsSpace(this.root);
  }

  async blockDevice(): Promise<string | null> {
    const m = (await this.pool.poolMount()) ?? (await mountContaining(this.root));
    return m ? blockDeviceOfMount(m) : null;
  }
}
