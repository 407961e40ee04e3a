/**
 * Storage driver: where template and container root filesystems live. Containers are copy-on-write
 * snapshots of a template volume when the driver can (btrfs); quota-capable drivers cap disk space
 * (and inodes, where the filesystem supports it). All methods are idempotent where noted, because
 * crash recovery may call them for resources that are half made or already gone.
 */
export interface StorageCaps {
  /** disk space limits */
  quota: boolean;
  /** inode limits (btrfs: no; XFS/ext4 project quota: yes) */
  inodeQuota: boolean;
  /** containers are CoW snapshots of templates (no copy per container) */
  cow: boolean;
}

export interface VolumeUsage {
  /** bytes charged to this container (btrfs: exclusive bytes of its qgroup) */
  bytes: number;
  limitBytes: number | null;
  inodes: number | null;
  limitInodes: number | null;
}

export interface StorageDriver {
  readonly name: "btrfs" | "dir";
  readonly caps: StorageCaps;
  /** Root directory of the pool (mounted). */
  readonly root: string;

  /** Create/mount the pool if needed (btrfs: loop image when no btrfs volume is given), enable quotas. Idempotent. */
  init(): Promise<void>;
  /** Unmount the pool and detach its loop device if this driver attached one (tests, shutdown). Idempotent. */
  teardown(): Promise<void>;

  templatePath(name: string): string;
  templateVolumeExists(name: string): Promise<boolean>;
  /** Create an empty writable template volume to unpack into; returns its path. Fails if it exists. */
  createTemplateVolume(name: string): Promise<string>;
  /** Make the template volume read-only (after unpacking). */
  sealTemplateVolume(name: string): Promise<void>;
  /** Delete a template volume. Idempotent. */
  deleteTemplateVolume(name: string): Promise<void>;
  listTemplateVolumes(): Promise<string[]>;

  containerPath(ctid: number): string;
  containerVolumeExists(ctid: number): Promise<boolean>;
  /** Create the container's root filesystem from a sealed template volume (CoW snapshot where possible). */
  createContainerVolume(ctid: number, template: string): Promise<string>;
  /** Delete the container's volume and its quota group. Idempotent (no error if absent). */
  deleteContainerVolume(ctid: number): Promise<void>;
  listContainerVolumes(): Promise<number[]>;

  /** Set (or clear with null) the disk space / inode limits. Throws UNSUPPORTED if the driver cannot. */
  setQuota(ctid: number, q: { bytes: number | null; inodes: number | null }): Promise<void>;
  usage(ctid: number): Promise<VolumeUsage>;
  /** Pool capacity, to refuse a create that cannot fit. */
  space(): Promise<{ totalBytes: number; freeBytes: number }>;
  /** "major:minor" of the block device under the pool, for I/O throttling; null if unknown. */
  blockDevice(): Promise<string | null>;
}
