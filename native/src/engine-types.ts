/**
 * What the engine's parts share: its drivers, the context of an operation, the shapes of its requests and
 * answers, and a few constants. A leaf: it imports nothing from the engine's parts, so every part (core,
 * lifecycle, snapshots, backups, checkpoint, migration…) can depend on it without an import cycle.
 */
import type { z } from "zod";
import type { CgroupDriver, CgroupReadback, CgroupUsage } from "./drivers/cgroup/types.js";
import type { RuntimeDriver } from "./drivers/runtime/types.js";
import type { StorageDriver, VolumeUsage } from "./drivers/storage/types.js";
import type { containerInfo } from "./protocol/schema.js";
import type { Limits, LimitsPatch } from "./settings.js";
import type { Features } from "./features.js";
import type { TemplateStoreApi } from "./templates/types.js";

export const IDMAP_SIZE = 65536;
export const ENGINE_VERSION = "0.1.0";

export interface Drivers {
  runtime: RuntimeDriver;
  cgroups: CgroupDriver;
  storage: StorageDriver;
  templates: TemplateStoreApi;
}

/** Where a slow operation reports to its caller (the protocol sends both as events). */
export interface OpContext {
  log(line: string): void;
  progress(percent: number, message?: string): void;
}
/** The context of an operation nobody watches. */
export const SILENT: OpContext = { log: () => {}, progress: () => {} };

/** A container as the protocol shows it (container.status, container.list…): the schema is the one definition. */
export type ContainerInfo = z.output<typeof containerInfo>;
export type ContainerState = ContainerInfo["state"];

export interface CreateRequest {
  ctid: number;
  template: string;
  hostname?: string;
  name?: string | null;
  limits?: LimitsPatch;
  /** enabled features (validated by the protocol's schema: known names only) */
  features?: Features;
  onboot?: boolean;
  bootorder?: number | null;
  net?: unknown;
}

export interface SetRequest {
  limits?: LimitsPatch;
  /** the whole new feature set; applies at the next start (none is live: features.ts) */
  features?: Features;
  hostname?: string;
  name?: string | null;
  onboot?: boolean;
  bootorder?: number | null;
}

/** One entry of container.usage: cumulative counters of a running container. */
export interface ContainerUsage extends CgroupUsage {
  ctid: number;
  initPid: number;
  /** the container's cgroup as /proc/<pid>/cgroup shows it, e.g. "/ovz/101" (processes at or below it are its own) */
  cgroup: string;
  sampledAt: number;
}

export interface LimitsReadback {
  configured: Limits;
  /** from the kernel; null when the container is stopped (no cgroup) */
  cgroup: CgroupReadback | null;
  disk: VolumeUsage;
  /** RLIMIT_NOFILE of the container's init, read from /proc; null when stopped */
  nofile: number | null;
  /** max= of the container's /dev/pts (its PTY limit), from its init's mountinfo; null when stopped */
  ptyMax: number | null;
}
