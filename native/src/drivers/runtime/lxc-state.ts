/**
 * Container states from the cgroups, for LxcRuntime.states(): what lxc-info would say, without a process per
 * container. LXC puts a container's processes in its cgroup (lxc.cgroup.dir.container) and the container's
 * monitor (the daemonized lxc-start) in the monitor cgroup (lxc.cgroup.dir.monitor); the freezer of the
 * container's cgroup is what lxc-freeze sets. Measured on the hybrid v1 host with LXC 5.0.2: while running,
 * both cgroups hold their process; after a stop, neither exists; a freeze shows in v1 freezer.state.
 *
 * The cgroups decide only the clear cases:
 * - neither cgroup holds a process → STOPPED;
 * - the monitor runs and the container's cgroup holds its init (pid 1 in its own pid namespace, in that cgroup,
 *   and already the container's init, not LXC's child still setting up) → RUNNING, FREEZING or FROZEN as the
 *   freezer says.
 * Anything else (starting, stopping, an init without a monitor, e.g. after a restore by CRIU) is unclear: the
 * caller asks lxc-info about that one container.
 */
import { findInitPid, mapLimit, readOr } from "../../hostscope/proc.js";
import { isInitIn } from "../../hostscope/ctmap.js";
import type { CgroupDriver } from "../cgroup/types.js";
import type { RunView, RuntimeState } from "./types.js";

export const LXC_STATES: readonly RuntimeState[] = [
  "STOPPED",
  "STARTING",
  "RUNNING",
  "STOPPING",
  "ABORTING",
  "FREEZING",
  "FROZEN",
  "THAWED",
];

export const STOPPED_VIEW: RunView = Object.freeze({ state: "STOPPED", initPid: null });

/** The process name of LXC's child until it executes the container's init. */
const LXC_CHILD_COMM = "lxc-start";

export class CgroupStates {
  /** the init pid per container seen running, re-verified at every use (exit, pid reuse) */
  private readonly inits = new Map<number, number>();

  constructor(
    private readonly cgroups: CgroupDriver,
    private readonly dirs: (ctid: number) => { container: string; monitor: string },
    private readonly procRoot = "/proc",
  ) {}

  /** Every ctid's view; `unclear` is asked (one at a time) for those the cgroups cannot tell. */
  async views(ctids: readonly number[], unclear: (ctid: number) => Promise<RunView>): Promise<Map<number, RunView>> {
    const out = new Map<number, RunView>();
    const rest: number[] = [];
    // a few files per container, at most 16 containers in flight (bounded open descriptors)
    await mapLimit(ctids, 16, async (ctid) => {
      const v = await this.view(ctid);
      if (v) out.set(ctid, v);
      else rest.push(ctid);
    });
    for (const ctid of rest) out.set(ctid, await unclear(ctid));
    return out;
  }

  /** The view from the cgroups; null when they cannot tell. */
  async view(ctid: number): Promise<RunView | null> {
    const { container, monitor } = this.dirs(ctid);
    const [ct, monitorRuns] = await Promise.all([this.cgroups.presence(container), this.cgroups.populated(monitor)]);
    const busy = ct !== null && ct.pids.length > 0;
    if (!busy && !monitorRuns) {
      this.inits.delete(ctid);
      return STOPPED_VIEW;
    }
    if (!busy || !monitorRuns) return null;
    const initPid = await this.initOf(ctid, `/${container}`, ct.pids);
    if (initPid === null) return null;
    return { state: ct.freezer === "THAWED" ? "RUNNING" : ct.freezer, initPid };
  }

  /** The container's init among `pids` (the cached one when it still is), or null. */
  private async initOf(ctid: number, base: string, pids: number[]): Promise<number | null> {
    const cached = this.inits.get(ctid);
    if (cached !== undefined && pids.includes(cached) && (await isInitIn(cached, base, this.procRoot))) return cached;
    this.inits.delete(ctid);
    const pid = await findInitPid(pids, this.procRoot);
    if (pid === null || !(await isInitIn(pid, base, this.procRoot))) return null;
    // LXC's child is pid 1 of the new namespace before it executes the init: the container is still starting
    const comm = (await readOr(`${this.procRoot}/${pid}/comm`))?.trim();
    if (comm === undefined || comm === LXC_CHILD_COMM) return null;
    this.inits.set(ctid, pid);
    return pid;
  }
}

/**
 * `lxc-info -s -p -H` output → a view. With two fields lxc-info labels them even under -H ("State:   RUNNING",
 * "PID:   1234"); with one it prints the bare value. Anything it does not say clearly counts as STOPPED.
 */
export function parseLxcInfo(stdout: string): RunView {
  const st = /^(?:State:\s*)?([A-Z]+)\s*$/m.exec(stdout)?.[1] as RuntimeState | undefined;
  if (!st || !LXC_STATES.includes(st) || st === "STOPPED") return STOPPED_VIEW;
  const n = Number(/^(?:PID:\s*)?(\d+)\s*$/m.exec(stdout)?.[1]);
  return { state: st, initPid: Number.isInteger(n) && n > 0 ? n : null };
}
