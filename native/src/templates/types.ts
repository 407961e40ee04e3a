/**
 * Template store: distro root filesystems kept as tarballs (the OpenVZ/Proxmox template format,
 * tar.zst or tar.gz, numeric owners) plus a JSON metadata file, and unpacked once into a sealed
 * storage volume that containers snapshot.
 */
export type InitKind = "busybox" | "systemd" | "sysvinit" | "unknown";

export interface TemplateMeta {
  /** [a-z0-9][a-z0-9._-]*, e.g. "busybox", "debian-12" */
  name: string;
  distro: string; // "busybox", "debian", ...
  release: string; // "1.35", "12", ...
  arch: string; // "amd64"
  init: InitKind;
  /** Signal the runtime sends for a clean halt: busybox SIGUSR2, systemd SIGRTMIN+3, sysvinit SIGPWR. */
  haltSignal: string;
  source: "built" | "imported";
  /** size of the packed tarball in bytes */
  sizeBytes: number;
  sha256: string;
  createdAt: string; // ISO time
}

export type LogFn = (line: string) => void;

export interface TemplateStoreApi {
  list(): Promise<TemplateMeta[]>;
  /** Throws EngineError TEMPLATE_NOT_FOUND with the list of available names. */
  get(name: string): Promise<TemplateMeta>;
  /** Build the tiny busybox template from the host's busybox-static (fast; for tests). */
  buildBusybox(name?: string, log?: LogFn): Promise<TemplateMeta>;
  /** Build debian-12 with debootstrap minbase + systemd-sysv + iproute2, packed as tar.zst. */
  buildDebian(opts?: { name?: string; suite?: string; mirror?: string }, log?: LogFn): Promise<TemplateMeta>;
  /** Import a rootfs tarball (.tar.gz/.tgz/.tar.zst/.tar.xz/.tar). Validates it and detects the init. */
  importTarball(file: string, opts?: { name?: string }, log?: LogFn): Promise<TemplateMeta>;
  /** Import a tarball that `receive` writes into the store's temp path (an upload); validated like importTarball. */
  importReceived(name: string, receive: (tmpTar: string) => Promise<void>, log?: LogFn): Promise<TemplateMeta>;
  /** Unpack the tarball into the storage driver's template volume and seal it, if not already there. */
  ensureVolume(name: string, log?: LogFn): Promise<void>;
  /** Delete tarball, metadata and volume. `inUseBy` lists ctids using it: non-empty → TEMPLATE_IN_USE. */
  delete(name: string, inUseBy: number[]): Promise<void>;
}
