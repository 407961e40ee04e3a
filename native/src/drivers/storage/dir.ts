/**
 * "dir" storage driver: plain directories, no quotas, no copy-on-write. Every container gets a FULL COPY of
 * its template (cp -a --reflink=auto: the copy shares blocks only on filesystems that support reflinks,
 * e.g. XFS with reflink=1; on ext4 every byte is copied). Meant for development hosts and filesystems
 * without btrfs; production pools use the btrfs driver.
 *
 * Layout under `root`: templates/<name>/ (a template), templates/.sealed-<name> (marker written when the
 * template is complete), containers/<ctid>/ (a container root filesystem), containers/.tmp-<ctid>/
 * (a copy in progress, renamed into place when complete), snapshots/<ctid>/<name>/ (a snapshot: again a FULL
 * copy, so a running container stays frozen for the whole copy), containers/.staging-<ctid>/ and
 * .previous-<ctid>/ during a rollback or restore (see swap.ts).
 * Shared helpers (name checks, mountinfo, statfs) are in common.ts; volume replacement is in swap.ts.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../../errors.js";
import { run } from "../../exec.js";
import {
  blockDeviceOfMount,
  checkCtid,
  checkSnapshotPathName,
  checkTemplateName,
  isNoSpaceText,
  mountContaining,
  pathExists,
  statfsSpace,
} from "./common.js";
import { PoolLayout } from "./pool-layout.js";
import * as swap from "./swap.js";
import type { StagingSource, StorageCaps, StorageDriver, VolumeUsage } from "./types.js";

export interface DirStorageOptions {
  /** directory holding templates/ and containers/ */
  root: string;
}

export class DirStorage extends PoolLayout implements StorageDriver {
  readonly name = "dir" as const;
  readonly caps: StorageCaps = { quota: false, inodeQuota: false, cow: false };

  constructor(opts: DirStorageOptions) {
    super(opts.root, "dir storage: root directory");
  }

  async init(): Promise<void> {
    await fs.mkdir(this.root, { recursive: true });
    await fs.mkdir(this.templatesDir, { recursive: true, mode: 0o700 });
    // Unprivileged containers' mapped root must be able to traverse to its rootfs.
    // root only: containers are reached through their gate (see native/src/gate.ts)
    await fs.mkdir(this.containersDir, { recursive: true, mode: 0o700 });
    await fs.chmod(this.containersDir, 0o700);
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
  }

  async teardown(): Promise<void> {
    /* nothing mounted */
  }

  private sealMarker(name: string): string {
    return path.join(this.templatesDir, `.sealed-${checkTemplateName(name)}`);
  }

  /** True only for a complete (sealed) template; a half-unpacked one reports false (delete it, then recreate). */
  async templateVolumeExists(name: string): Promise<boolean> {
    return (await pathExists(this.templatePath(name))) && (await pathExists(this.sealMarker(name)));
  }

  async createTemplateVolume(name: string): Promise<string> {
    const p = this.templatePath(name);
    await fs.rm(this.sealMarker(name), { force: true });
    try {
      await fs.mkdir(p, { mode: 0o755 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") {
        throw new EngineError("TEMPLATE_EXISTS", `template volume ${name} already exists; delete it first`);
      }
      throw e;
    }
    return p;
  }

  async sealTemplateVolume(name: string): Promise<void> {
    const p = this.templatePath(name);
    if (!(await pathExists(p))) throw new EngineError("TEMPLATE_NOT_FOUND", `template volume ${name} does not exist`);
    await fs.writeFile(this.sealMarker(name), "", { mode: 0o600 });
  }

  async deleteTemplateVolume(name: string): Promise<void> {
    const p = this.templatePath(name);
    await fs.rm(this.sealMarker(name), { force: true });
    await fs.rm(p, { recursive: true, force: true });
  }

  private tmpPath(ctid: number): string {
    return path.join(this.containersDir, `.tmp-${checkCtid(ctid)}`);
  }

  async containerVolumeExists(ctid: number): Promise<boolean> {
    return pathExists(this.containerPath(ctid));
  }

  /** Full copy of the template (no CoW on this driver), made under a temporary name and renamed into place. */
  async createContainerVolume(ctid: number, template: string): Promise<string> {
    const dst = this.containerPath(ctid);
    const src = this.templatePath(template);
    if (!(await pathExists(src))) {
      throw new EngineError(
        "TEMPLATE_NOT_FOUND",
        `template volume ${template} does not exist; unpack the template first`,
      );
    }
    if (!(await pathExists(this.sealMarker(template)))) {
      throw new EngineError(
        "TEMPLATE_INVALID",
        `template volume ${template} is not sealed (incomplete unpack?); delete and recreate it`,
      );
    }
    if (await pathExists(dst)) {
      throw new EngineError("CTID_IN_USE", `volume for container ${ctid} already exists at ${dst}; delete it first`);
    }
    const tmp = this.tmpPath(ctid);
    await fs.rm(tmp, { recursive: true, force: true });
    // This is a full copy of the template: every container costs the template's size.
    await copyTree(src, tmp, `copying template ${template} for container ${ctid}`);
    try {
      await fs.rename(tmp, dst);
    } catch (e) {
      await fs.rm(tmp, { recursive: true, force: true }).catch(() => {});
      throw new EngineError("CTID_IN_USE", `volume for container ${ctid} appeared while copying`, { cause: e });
    }
    return dst;
  }

  async deleteContainerVolume(ctid: number): Promise<void> {
    await fs.rm(this.tmpPath(ctid), { recursive: true, force: true });
    await fs.rm(this.containerPath(ctid), { recursive: true, force: true });
    await swap.discardStaging(this.swapPaths(ctid));
  }

  // ---------------------------------------------------------------------------------------- snapshots

  /** Nothing to gain: the snapshot is a copy through the page cache. */
  async flushContainerVolume(): Promise<void> {}

  /**
   * A full copy (cp -a --reflink=auto: shares blocks only where the filesystem has reflinks), made under a temporary
   * name.
   */
  async createSnapshot(ctid: number, name: string): Promise<void> {
    const dst = this.snapshotPath(ctid, name);
    const src = this.containerPath(ctid);
    if (!(await pathExists(src))) throw new EngineError("NOT_FOUND", `volume of container ${ctid} does not exist`);
    if (await pathExists(dst))
      throw new EngineError(
        "BAD_REQUEST",
        `container ${ctid} already has a snapshot named "${name}"; pick another name`,
      );
    await fs.mkdir(this.snapshotsDir, { recursive: true, mode: 0o700 });
    await fs.mkdir(this.snapshotDir(ctid), { recursive: true, mode: 0o700 });
    const tmp = path.join(this.snapshotDir(ctid), `.tmp-${name}`);
    await fs.rm(tmp, { recursive: true, force: true });
    await copyTree(src, tmp, `snapshotting container ${ctid}`);
    await fs.rename(tmp, dst);
  }

  async deleteSnapshot(ctid: number, name: string): Promise<void> {
    await fs.rm(this.snapshotPath(ctid, name), { recursive: true, force: true });
  }

  async deleteSnapshots(ctid: number): Promise<void> {
    await fs.rm(this.snapshotDir(ctid), { recursive: true, force: true });
  }

  /** Not cheap here (du over a full copy): unknown. */
  async snapshotSizes(ctid: number): Promise<Map<string, number | null>> {
    return new Map((await this.listSnapshots(ctid)).map((n) => [n, null]));
  }

  // ------------------------------------------------------------------------ volume replacement (swap.ts)

  async createStagingVolume(ctid: number, from: StagingSource): Promise<string> {
    const p = this.stagingPath(ctid);
    await fs.rm(p, { recursive: true, force: true });
    if ("snapshot" in from) {
      const src = this.snapshotPath(ctid, from.snapshot);
      if (!(await pathExists(src)))
        throw new EngineError("NOT_FOUND", `container ${ctid} has no snapshot named "${from.snapshot}"`);
      await copyTree(src, p, `copying snapshot "${from.snapshot}" of container ${ctid}`);
    } else if ("template" in from) {
      const src = this.templatePath(from.template);
      if (!(await pathExists(this.sealMarker(from.template)))) {
        throw new EngineError(
          "TEMPLATE_NOT_FOUND",
          `template volume ${from.template} does not exist or is not sealed; unpack the template first`,
        );
      }
      await copyTree(src, p, `copying template ${from.template} for container ${ctid}`);
    } else if ("container" in from) {
      const src = this.containerPath(from.container);
      if (!(await pathExists(src)))
        throw new EngineError("NOT_FOUND", `volume of container ${from.container} does not exist`);
      // a full copy; blocks are shared only where the filesystem has reflinks (cp --reflink=auto)
      await copyTree(src, p, `copying the volume of container ${from.container} for container ${ctid}`);
    } else {
      await fs.mkdir(p, { mode: 0o755 });
    }
    return p;
  }

  protected removeVolume(p: string): Promise<void> {
    return fs.rm(p, { recursive: true, force: true });
  }

  // ---- migration: full trees as tar streams (no incremental form without a CoW filesystem)

  sendCommand(ctid: number, name: string, _parent: string | null): { cmd: string; args: string[] } {
    return { cmd: "tar", args: [...TAR_FLAGS, "-C", this.snapshotPath(ctid, name), "-cf", "-", "."] };
  }

  async receiveCommand(ctid: number, name: string): Promise<{ cmd: string; args: string[] }> {
    const dst = path.join(this.incomingDir(ctid), checkSnapshotPathName(name));
    await fs.rm(dst, { recursive: true, force: true });
    await fs.mkdir(dst, { recursive: true, mode: 0o755 });
    return { cmd: "tar", args: [...TAR_FLAGS, "-C", dst, "-xf", "-"] };
  }

  async adoptReceived(ctid: number, name: string): Promise<void> {
    const src = path.join(this.incomingDir(ctid), checkSnapshotPathName(name));
    if (!(await pathExists(src)))
      throw new EngineError(
        "NOT_FOUND",
        `no received volume "${name}" for container ${ctid}; the transfer did not complete`,
      );
    if (await pathExists(this.containerPath(ctid)))
      throw new EngineError("CTID_IN_USE", `container ID ${ctid} already has a volume on this node`);
    await fs.rename(src, this.containerPath(ctid));
  }

  async discardReceived(ctid: number): Promise<void> {
    await fs.rm(this.incomingDir(ctid), { recursive: true, force: true });
  }

  async setQuota(ctid: number, q: { bytes: number | null; inodes: number | null }): Promise<void> {
    checkCtid(ctid);
    if (q.bytes !== null || q.inodes !== null) {
      throw new EngineError(
        "UNSUPPORTED",
        "the dir storage driver cannot limit disk space or inodes; use the btrfs storage driver for disk quotas",
      );
    }
  }

  async usage(ctid: number): Promise<VolumeUsage> {
    const p = this.containerPath(ctid);
    if (!(await pathExists(p))) throw new EngineError("NOT_FOUND", `volume of container ${ctid} does not exist`);
    const r = await run("du", ["-sbx", "--", p], { allowFailure: true });
    const bytes = Number(r.stdout.split(/\s/)[0]);
    // du exits 1 when a file vanished mid-walk (running container); its total is still good enough.
    if (!Number.isFinite(bytes) || r.stdout.trim() === "") {
      throw new EngineError("HOST_TOOL_FAILED", `du ${p} failed: ${r.stderr.trim()}`);
    }
    return { bytes, limitBytes: null, inodes: null, limitInodes: null };
  }

  async space(): Promise<{ totalBytes: number; freeBytes: number }> {
    return statfsSpace(this.root);
  }

  async blockDevice(): Promise<string | null> {
    const m = await mountContaining(this.root);
    return m ? blockDeviceOfMount(m) : null;
  }
}

/**
 * GNU tar flags that keep a root filesystem exact: numeric ids, xattrs (ACLs and capabilities as raw xattrs), sparse
 * files.
 */
const TAR_FLAGS = ["--numeric-owner", "--xattrs", "--xattrs-include=*", "--sparse", "--same-permissions"];

/** cp -a --reflink=auto src → dst (dst must not exist); a failed copy is removed. */
async function copyTree(src: string, dst: string, what: string): Promise<void> {
  const r = await run("cp", ["-a", "--reflink=auto", "-T", "--", src, dst], { allowFailure: true });
  if (r.code === 0) return;
  await fs.rm(dst, { recursive: true, force: true }).catch(() => {});
  const msg = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-3).join("\n");
  if (isNoSpaceText(msg)) throw new EngineError("NO_SPACE", `${what}: not enough space: ${msg}`);
  throw new EngineError("HOST_TOOL_FAILED", `${what} failed: ${msg}`);
}
