/** The cgroup driver table and the one place the cgroup driver (v1 or v2) is chosen for this host. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { EngineError } from "../../errors.js";
import type { DriverEntry } from "../registry.js";
import type { CgroupDriver } from "./types.js";
import { CgroupV1 } from "./v1.js";
import { CgroupV2 } from "./v2.js";

export { CgroupV1 } from "./v1.js";
export { CgroupV2 } from "./v2.js";
export type {
  Beancounter,
  CgroupDriver,
  CgroupLimits,
  CgroupPresence,
  CgroupReadback,
  CgroupUsage,
  FreezerState,
} from "./types.js";

export interface CgroupDriverEntry extends DriverEntry<{ mountRoot: string }, CgroupDriver> {
  /** Does the cgroup mount at `mountRoot` have this version's memory controller? */
  detect(mountRoot: string): boolean;
}

/** Checked in this order by detectCgroupDriver: v2 first, since a hybrid host also has v1 hierarchies. */
export const CGROUP_DRIVERS = {
  v2: {
    describe: "cgroup v2 (one unified tree)",
    detect: (mountRoot) => {
      let controllers: string[] = [];
      try {
        controllers = readFileSync(path.join(mountRoot, "cgroup.controllers"), "utf8").trim().split(/\s+/);
      } catch {
        /* not a cgroup2 mount */
      }
      return controllers.includes("memory");
    },
    create: (o) => new CgroupV2(o),
  },
  v1: {
    describe: "cgroup v1 (one hierarchy per controller)",
    detect: (mountRoot) => existsSync(path.join(mountRoot, "memory", "cgroup.procs")),
    create: (o) => new CgroupV1(o),
  },
} as const satisfies Record<string, CgroupDriverEntry>;

export type CgroupDriverName = keyof typeof CGROUP_DRIVERS;

/**
 * v2 when `<mountRoot>/cgroup.controllers` exists and offers the memory controller (pure v2 host);
 * otherwise v1 (legacy or hybrid: a cgroup2 mount at /sys/fs/cgroup/unified without controllers does not count).
 * Throws UNSUPPORTED when neither has a memory controller: containers could not be limited at all.
 */
export function detectCgroupDriver(mountRoot = "/sys/fs/cgroup"): CgroupDriver {
  const entries: readonly CgroupDriverEntry[] = Object.values(CGROUP_DRIVERS);
  const entry = entries.find((e) => e.detect(mountRoot));
  if (entry) return entry.create({ mountRoot });
  throw new EngineError(
    "UNSUPPORTED",
    `no memory cgroup controller under ${mountRoot} ` +
      `(neither cgroup v2 with "memory" in cgroup.controllers nor a v1 memory hierarchy); ` +
      "container limits cannot be enforced on this host",
  );
}
