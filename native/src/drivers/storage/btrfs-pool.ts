/**
 * The pool of the btrfs storage driver (btrfs.ts): an existing btrfs mount at `root`, a directory on a btrfs
 * filesystem, or a sparse loop image that init() creates, formats and mounts at `root`; quotas enabled.
 */
import { preferBfq } from "./io-scheduler.js";
import fs from "node:fs/promises";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { EngineError, wrapError } from "../../errors.js";
import { run } from "../../exec.js";
import { fmtBytes } from "../../checks.js";
import { pathExists, readMountInfo, realPathLoose, statfsSpace, type MountInfo } from "./common.js";
import { BTRFS_SUPER_MAGIC, btrfs, toolError, toolMessage } from "./btrfs-tools.js";

export class BtrfsPool {
  readonly root: string;
  readonly image: { path: string; sizeBytes: number; sizeIsDefault?: boolean } | undefined;

  constructor(root: string, image: { path: string; sizeBytes: number; sizeIsDefault?: boolean } | undefined) {
    this.root = root;
    if (image) {
      const { sizeBytes } = image;
      if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 256 * 1024 * 1024) {
        throw new EngineError("BAD_REQUEST", `btrfs pool image size must be at least 256 MiB, got ${sizeBytes}`);
      }
      this.image = { path: path.resolve(image.path), sizeBytes, sizeIsDefault: image.sizeIsDefault };
    }
  }

  /** The btrfs mount exactly at the pool root (topmost when stacked), or null. */
  async poolMount(mounts?: MountInfo[]): Promise<MountInfo | null> {
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

  /** Mount (or check) the pool and enable quotas; the driver then makes its directories. */
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
    await btrfs(["quota", "enable", this.root], `enabling quotas on the storage pool ${this.root}`);
    if (await this.isImagePool()) {
      // Our own pool: garbage-collect qgroups left by a crash between subvolume delete and qgroup destroy.
      // Fails harmlessly (EBUSY) for subvolumes the cleaner has not dropped yet.
      await run("btrfs", ["qgroup", "clear-stale", this.root], { allowFailure: true });
      // Pools mounted by older versions honoured setuid: make them nosuid,nodev too (see gate.ts).
      await run("mount", ["-o", "remount,nosuid,nodev", this.root], { allowFailure: true });
    }
  }

  /** Is the pool mounted from our image (via one of its loop devices)? */
  async isImagePool(): Promise<boolean> {
    const m = await this.poolMount();
    return !!m && (await this.imageLoopDevices()).includes(m.source);
  }

  /**
   * A sparse image larger than the free space of the filesystem under it fails with I/O errors once it fills:
   * refused up front, with the size that would fit — or, when the size is only the default (no OVZ_POOL_SIZE),
   * made 80% of the free space instead. Returns the size to make. `allocated` is what the image already holds.
   */
  private async checkImageFits(
    img: { path: string; sizeBytes: number; sizeIsDefault?: boolean },
    allocated: number,
  ): Promise<number> {
    const { freeBytes } = await statfsSpace(path.dirname(img.path));
    const room = freeBytes + allocated;
    if (img.sizeBytes <= room) return img.sizeBytes;
    const MiB = 1024 * 1024;
    // the default size is a wish, not the admin's choice: 80% of the room, in whole GiB, at least 1 GiB
    const fit = Math.floor((room * 0.8) / (1024 * MiB)) * 1024 * MiB;
    if (img.sizeIsDefault && fit >= 1024 * MiB) return fit;
    const fits = room >= 1024 * MiB ? `${Math.floor(room / (1024 * MiB))}G` : `${Math.floor(room / MiB)}M`;
    throw new EngineError(
      "NO_SPACE",
      `the pool image ${img.path} would be ${fmtBytes(img.sizeBytes)}, but the filesystem that holds it has only ` +
        `${fmtBytes(room)} free: set OVZ_POOL_SIZE to at most ${fits} or free space there`,
    );
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
        if (st.size < img.sizeBytes) {
          const size = await this.checkImageFits(img, st.blocks * 512).catch(async (e: unknown) => {
            if (st.size === 0) await fs.rm(img.path, { force: true }); // the empty file open() just made
            throw e;
          });
          await fh.truncate(size);
        }
        await fh.close();
        try {
          await run("mkfs.btrfs", ["-q", "-L", "ovz-pool", img.path]);
        } catch (e) {
          throw toolError(e, `formatting the pool image ${img.path}`);
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
    // our own loop device: BFQ, so the containers' I/O weights take effect (io-scheduler.ts)
    for (const d of await this.imageLoopDevices()) await preferBfq(d);
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
}
