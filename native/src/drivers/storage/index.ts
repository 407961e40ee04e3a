/**
 * The one place a storage driver is chosen (from EngineConfig.storage).
 */
import { EngineError } from "../../errors.js";
import { BtrfsStorage } from "./btrfs.js";
import { DirStorage } from "./dir.js";
import type { StorageDriver } from "./types.js";

export interface StorageConfig {
  driver: "btrfs" | "dir";
  /** pool root: btrfs mount point (or directory on btrfs), or the dir driver's directory */
  root: string;
  /** btrfs only: loop image to create and mount at `root` when it is not already a btrfs mount */
  image?: { path: string; sizeBytes: number };
}

export function createStorage(cfg: StorageConfig): StorageDriver {
  switch (cfg.driver) {
    case "btrfs":
      return new BtrfsStorage({ root: cfg.root, image: cfg.image });
    case "dir":
      return new DirStorage({ root: cfg.root });
    default:
      throw new EngineError("BAD_REQUEST", `unknown storage driver ${JSON.stringify((cfg as { driver: unknown }).driver)}; use btrfs or dir`);
  }
}

export { BtrfsStorage } from "./btrfs.js";
export { DirStorage } from "./dir.js";
export type { StorageCaps, StorageDriver, VolumeUsage } from "./types.js";
