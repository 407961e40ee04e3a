/**
 * The one place the engine's drivers are chosen. Each subsystem's table lives in its own index.ts
 * (CGROUP_DRIVERS, STORAGE_DRIVERS, RUNTIME_DRIVERS; see registry.ts for the shape); this module only composes
 * them, and no driver imports it back.
 */
import { detectCgroupDriver } from "./cgroup/index.js";
import type { CgroupDriver } from "./cgroup/types.js";
import { RUNTIME_DRIVERS, type RuntimeDriverName } from "./runtime/index.js";
import type { RuntimeDriver } from "./runtime/types.js";
import { createStorage, type StorageConfig } from "./storage/index.js";
import type { StorageDriver } from "./storage/types.js";

/** The part of EngineConfig that decides the drivers. */
export interface DriverConfig {
  storage: StorageConfig;
  lxcPath: string;
  /** the parent cgroup of the containers' cgroups (OVZ_CGROUP_PARENT) */
  cgroupParent: string;
}

/** A container's cgroup (LXC's lxc.cgroup.dir.container) and its LXC monitor's, relative to each hierarchy. */
export function containerCgroupDirs(parent: string, ctid: number): { container: string; monitor: string } {
  return { container: `${parent}/${ctid}`, monitor: `${parent}.monitor/${ctid}` };
}

export interface ChosenDrivers {
  cgroups: CgroupDriver;
  storage: StorageDriver;
  runtime: RuntimeDriver;
}

/** LXC is the only runtime; not configurable. */
const RUNTIME: RuntimeDriverName = "lxc";

/** cgroup v1 or v2 as detected on this host, the configured storage driver, and the runtime. */
export function chooseDrivers(cfg: DriverConfig): ChosenDrivers {
  const cgroups = detectCgroupDriver();
  const storage = createStorage({ driver: cfg.storage.driver, root: cfg.storage.root, image: cfg.storage.image });
  const runtime = RUNTIME_DRIVERS[RUNTIME].create({
    lxcPath: cfg.lxcPath,
    cgroupVersion: cgroups.version,
    cgroups,
    cgroupDirs: (ctid) => containerCgroupDirs(cfg.cgroupParent, ctid),
  });
  return { cgroups, storage, runtime };
}
