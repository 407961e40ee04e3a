/**
 * Which container a host process belongs to, OpenVZ-style (CTID 0 = the host): every process whose cgroup
 * is at or below the cgroup of a running container's init belongs to that container. One controller is
 * used for the whole mapping (pids, else memory, else the v2 unified tree; see mappingController), and the
 * same one for the inits and the processes, so v1, hybrid and v2 hosts all work.
 */
import path from "node:path";
import { mappingController, parseCgroupFile, parseStatus, readOr } from "./proc.js";

export interface CtCgroup {
  ctid: number;
  /** controller key (see parseCgroupFile) and the init's cgroup path in it, e.g. "pids" + "/ovz/101" */
  controller: string;
  base: string;
}

/** True when `p` is `base` or a cgroup below it ("/ovz/101" covers "/ovz/101/init.scope", not "/ovz/1010"). */
export function isAtOrBelow(p: string, base: string): boolean {
  if (p === base) return true;
  return p.startsWith(base.endsWith("/") ? base : `${base}/`);
}

/**
 * The container cgroups from each running container's init (its parsed /proc/<init>/cgroup) and, when the
 * engine reports it (container.usage `cgroup`), the container's own cgroup: an init may sit in a sub-cgroup of
 * it (systemd moves itself to <ct>/init.scope and its services to <ct>/system.slice/...), so the init's own
 * path alone would leave those services out. The engine's path is used only when the init is at or below it.
 * An init at the root cgroup ("/") would claim every process on the host; such an entry is left out and reported.
 */
export function containerCgroups(
  inits: Array<{ ctid: number; cgroups: Map<string, string> | null; cgroup?: string }>,
): {
  map: CtCgroup[];
  skipped: Array<{ ctid: number; reason: string }>;
} {
  const map: CtCgroup[] = [];
  const skipped: Array<{ ctid: number; reason: string }> = [];
  for (const { ctid, cgroups, cgroup } of inits) {
    if (!cgroups) {
      skipped.push({ ctid, reason: "its init exited" });
      continue;
    }
    const controller = mappingController(cgroups);
    const initPath = controller === null ? undefined : cgroups.get(controller);
    const base =
      initPath !== undefined && cgroup && cgroup !== "/" && isAtOrBelow(initPath, cgroup) ? cgroup : initPath;
    if (controller === null || base === undefined)
      skipped.push({ ctid, reason: "its init has no pids, memory or unified cgroup" });
    else if (base === "/" || base === "") skipped.push({ ctid, reason: "its init is in the root cgroup" });
    else map.push({ ctid, controller, base });
  }
  // most specific first, so a cgroup nested below another container's (not made by this engine) maps to the inner one
  map.sort((a, b) => b.base.length - a.base.length);
  return { map, skipped };
}

/** CTID of a process from its parsed /proc/<pid>/cgroup; 0 = a host process. */
export function ctidOf(cgroups: Map<string, string>, map: readonly CtCgroup[]): number {
  for (const c of map) {
    const p = cgroups.get(c.controller);
    if (p !== undefined && isAtOrBelow(p, c.base)) return c.ctid;
  }
  return 0;
}

/**
 * Is `pid` still the init of the container whose cgroup is `base` (as /proc/<pid>/cgroup shows it, e.g.
 * "/ovz/101")? Pid 1 in its own namespace and in that cgroup or below: catches exit and pid reuse.
 */
export async function isInitIn(pid: number, base: string, procRoot = "/proc"): Promise<boolean> {
  const [status, cgroup] = await Promise.all([
    readOr(path.join(procRoot, String(pid), "status")),
    readOr(path.join(procRoot, String(pid), "cgroup")),
  ]);
  if (status === null || cgroup === null) return false;
  const ns = parseStatus(status).nspid;
  if (ns.length < 2 || ns[ns.length - 1] !== 1) return false;
  const cg = parseCgroupFile(cgroup);
  const c = mappingController(cg);
  return c !== null && isAtOrBelow(cg.get(c)!, base);
}
