/**
 * The storage driver table and the one place a storage driver is built (from EngineConfig.storage). Its keys
 * are exactly the values OVZ_STORAGE accepts (config.ts). A new driver: one module here and one row below.
 */
import { EngineError } from "../../errors.js";
import { type DriverEntry, driverNames, isDriverName } from "../registry.js";
import { BtrfsStorage } from "./btrfs.js";
import { DirStorage } from "./dir.js";
import type { StorageDriver } from "./types.js";

export interface StorageOptions {
  /** pool root: btrfs mount point (or directory on btrfs), or the dir driver's directory */
  root: string;
  /** drivers with `poolImage`: loop image to create and mount at `root` when it is not already mounted */
  image?: { path: string; sizeBytes: number; sizeIsDefault?: boolean };
}

export interface StorageDriverEntry extends DriverEntry<StorageOptions, StorageDriver> {
  /** Can the driver make its pool in a loop image (then OVZ_POOL_IMAGE / OVZ_POOL_SIZE apply)? */
  readonly poolImage: boolean;
}

export const STORAGE_DRIVERS = {
  btrfs: {
    describe: "btrfs subvolumes: copy-on-write containers and snapshots, disk quotas (qgroups)",
    poolImage: true,
    create: (o) => new BtrfsStorage({ root: o.root, image: o.image }),
  },
  dir: {
    describe: "plain directories: a full copy per container and snapshot, no disk quotas",
    poolImage: false,
    create: (o) => new DirStorage({ root: o.root }),
  },
} as const satisfies Record<string, StorageDriverEntry>;

export type StorageDriverName = keyof typeof STORAGE_DRIVERS;

export interface StorageConfig extends StorageOptions {
  driver: StorageDriverName;
}

export function isStorageDriverName(name: unknown): name is StorageDriverName {
  return isDriverName(STORAGE_DRIVERS, name);
}

export function createStorage(cfg: StorageConfig): StorageDriver {
  const driver: unknown = cfg.driver;
  if (!isStorageDriverName(driver)) {
    throw new EngineError(
      "BAD_REQUEST",
      `unknown storage driver ${JSON.stringify(driver)}; use ${driverNames(STORAGE_DRIVERS)}`,
    );
  }
  const entry: StorageDriverEntry = STORAGE_DRIVERS[driver];
  return entry.create({ root: cfg.root, image: cfg.image });
}

export { BtrfsStorage } from "./btrfs.js";
export { DirStorage } from "./dir.js";
export type { StorageCaps, StorageDriver, VolumeUsage } from "./types.js";
