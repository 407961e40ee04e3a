/**
 * What the engine's parts (lifecycle, snapshots, backup/, checkpoint, migrate, reinstall, clone) need from its
 * core (engine-core.ts): its drivers and stores plus the shared steps (per-container lock, journaled removal,
 * failpoints, idmap slots, runtime config). wire.ts hands the core to each part as this interface.
 */
import type { EngineConfig } from "./config.js";
import type { ContainerInfo, Drivers, OpContext } from "./engine-types.js";
import type { Journal } from "./journal.js";
import type { LxcfsView } from "./lxcfs.js";
import type { NetManager } from "./net/index.js";
import type { ContainerRecord, RecordStore } from "./records.js";
import type { Limits } from "./settings.js";
import type { Revert } from "./revert.js";

export interface EngineInternals {
  readonly config: EngineConfig;
  readonly drivers: Drivers;
  readonly records: RecordStore;
  readonly journal: Journal;
  readonly net: NetManager;
  /** The containers' own view of /proc (lxcfs): prepare() it before a container's config is written for a start. */
  readonly view: LxcfsView;
  /** The engine's log (the daemon's stderr). */
  log(line: string): void;
  /** A revert stack whose failed undos are logged to the operation and the engine. */
  revert(ctx?: OpContext): Revert;
  /** A best-effort clean-up step: a failure is logged, never thrown. */
  bestEffort(what: string, step: Promise<unknown>): Promise<void>;
  /** Serialise operations on one container. */
  withLock<T>(ctid: number, fn: () => Promise<T>): Promise<T>;
  /** The container's record, or NOT_FOUND. */
  mustGet(ctid: number): Promise<ContainerRecord>;
  /** Crash-test fault injection (OVZ_CRASH_AT). */
  failpoint(name: string): Promise<void>;
  /** Remove everything the host holds for a container, its record included (idempotent). */
  removeHostResources(ctid: number): Promise<void>;
  /**
   * A free idmap slot (or exactly `want`, refused when taken), reserved until release() (so concurrent creates
   * do not take it).
   */
  reserveSlot(want?: number): Promise<{ slot: number; release(): void }>;
  /** Write the LXC config; `view` overrides the lxcfs mount (null = the host's view), as a restore needs. */
  writeRuntimeConfig(rec: ContainerRecord, opts?: { view?: string | null }): Promise<void>;
  /** NOT_RUNNING while the systemd unit that delegates the containers' cgroups is down (config.cgroupDelegate). */
  requireDelegatedCgroup(): Promise<void>;
  /** CTID_IN_USE when a record, runtime config or volume exists under this ctid. */
  assertCtidFree(ctid: number): Promise<void>;
  /** NO_SPACE when the pool cannot hold a new container with these limits (as a create checks). */
  checkDiskSpace(limits: Limits): Promise<void>;
  validateLimits(base: Limits, patch: unknown): Limits;
  newContainerDefaults(): Limits;
  info(rec: ContainerRecord): Promise<ContainerInfo>;
}
