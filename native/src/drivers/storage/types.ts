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

/**
 * What a staging volume starts as: a writable copy of a snapshot or of a (sealed) template, of another
 * container's current volume (clone; the caller keeps that container still, e.g. frozen), or empty.
 */
export type StagingSource = { snapshot: string } | { template: string } | { container: number } | { empty: true };

export interface StorageDriver {
  /** the driver's key in STORAGE_DRIVERS (storage/index.ts), e.g. "btrfs" */
  readonly name: string;
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

  // ---- snapshots: <root>/snapshots/<ctid>/<name>, read-only point-in-time copies of a container volume.
  // Names are checked by the caller (user names: SNAPSHOT_NAME_RE; the engine's own temporary snapshots
  // start with "."); listSnapshots() returns only user names.

  snapshotPath(ctid: number, name: string): string;
  /**
   * Write the container's dirty data out (before a freeze, so the frozen instant only covers what is written after).
   * Best effort.
   */
  flushContainerVolume(ctid: number): Promise<void>;
  /**
   * Snapshot the container's volume (btrfs: read-only CoW snapshot, milliseconds; dir: full copy). Fails if it exists.
   */
  createSnapshot(ctid: number, name: string): Promise<void>;
  /** Delete one snapshot (and its qgroup). Idempotent. */
  deleteSnapshot(ctid: number, name: string): Promise<void>;
  /**
   * Delete every snapshot of a container, the engine's temporary ones included, and its snapshot directory. Idempotent.
   */
  deleteSnapshots(ctid: number): Promise<void>;
  /** User snapshot names present on disk (the source of truth; metadata lives in the engine's state dir). */
  listSnapshots(ctid: number): Promise<string[]>;
  /** Bytes held only by each snapshot (freed by deleting it), when the driver can tell cheaply; else null per name. */
  snapshotSizes(ctid: number): Promise<Map<string, number | null>>;

  // ---- volume replacement (rollback, restore): a new volume is built at a staging path, then swapped in.
  // Three names per container: current (containerPath), staging (being built) and previous (the volume
  // that was swapped out, kept until the operation commits). Every step is idempotent so a journal can
  // finish or undo it after a crash.

  stagingPath(ctid: number): string;
  /**
   * Build the staging volume: empty (restore), or a writable copy of a snapshot (rollback), of a template (reinstall)
   * or of another container's volume (clone; CoW where the driver can). Replaces a stale one.
   */
  createStagingVolume(ctid: number, from: StagingSource): Promise<string>;
  /** current → previous. No-op when there is no current volume. Fails if a previous volume is still there. */
  retireCurrent(ctid: number): Promise<void>;
  /** staging → current (retiring current first if still there). No-op when staging is gone and current exists. */
  promoteStaging(ctid: number): Promise<void>;
  /** Undo a swap: previous → current (dropping a promoted staging volume), then delete staging. Idempotent. */
  revertStaging(ctid: number): Promise<void>;
  /** Delete staging and previous volumes (after a commit, or leftovers). Idempotent. */
  discardStaging(ctid: number): Promise<void>;

  // ---- migration (migrate.ts): a volume travels as a stream of a read-only snapshot (createSnapshot with an
  // engine name starting with "."), incremental against an earlier one where the driver can (btrfs send -p).
  // The receiving engine keeps what arrives in an incoming area until adoptReceived() makes it the volume.

  /**
   * The host command that writes snapshot `name` to stdout (incremental against snapshot `parent` when the driver can).
   */
  sendCommand(ctid: number, name: string, parent: string | null): { cmd: string; args: string[] };
  /** Prepare the incoming area; the host command that reads such a stream from stdin into it as `name`. */
  receiveCommand(ctid: number, name: string): Promise<{ cmd: string; args: string[] }>;
  /**
   * The received `name` becomes the container's (writable) volume. Fails if a volume exists. Call discardReceived()
   * after.
   */
  adoptReceived(ctid: number, name: string): Promise<void>;
  /** Remove the incoming area of a container. Idempotent. */
  discardReceived(ctid: number): Promise<void>;
}
