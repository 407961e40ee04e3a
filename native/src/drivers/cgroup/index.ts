/** The one place where the cgroup driver (v1 or v2) is chosen for this host. */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { EngineError } from "../../errors.js";
import type { CgroupDriver } from "./types.js";
import { CgroupV1 } from "./v1.js";
import { CgroupV2 } from "./v2.js";

export { CgroupV1 } from "./v1.js";
export { CgroupV2 } from "./v2.js";
export type { Beancounter, CgroupDriver, CgroupLimits, CgroupReadback, CgroupUsage } from "./types.js";

/**
 * v2 when `<mountRoot>/cgroup.controllers` exists and offers the memory controller (pure v2 host);
 * otherwise v1 (legacy or hybrid: a cgroup2 mount at /sys/fs/cgroup/unified without controllers does not count).
 * Throws UNSUPPORTED when neither has a memory controller: containers could not be limited at all.
 */
export function detectCgroupDriver(mountRoot = "/sys/fs/cgroup"): CgroupDriver {
  let controllers: string[] = [];
  try {
    controllers = readFileSync(path.join(mountRoot, "cgroup.controllers"), "utf8").trim().split(/\s+/);
  } catch {
    /* not a cgroup2 mount */
  }
  if (controllers.includes("memory")) return new CgroupV2({ mountRoot });
  if (existsSync(path.join(mountRoot, "memory", "cgroup.procs"))) return new CgroupV1({ mountRoot });
  throw new EngineError(
    "UNSUPPORTED",
    `no memory cgroup controller under ${mountRoot} (neither cgroup v2 with "memory" in cgroup.controllers nor a v1 memory hierarchy); ` +
      "container limits cannot be enforced on this host",
  );
}
