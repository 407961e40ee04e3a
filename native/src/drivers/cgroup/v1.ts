/**
 * cgroup v1 driver (one hierarchy per controller: /sys/fs/cgroup/{memory,cpu,cpuacct,cpuset,pids,blkio,...}).
 *
 * The container's cgroup is `<mountRoot>/<controller>/<rel>` in every controller (LXC creates it from
 * `lxc.cgroup.dir.container = <rel>`). This driver renders `lxc.cgroup.*` keys, changes limits live, reads
 * them back and reports beancounter-style counters.
 *
 * Kernel rules this file deals with (all verified on the 6.18 host):
 * - memory.limit_in_bytes must stay <= memory.memsw.limit_in_bytes at every instant: when the new memsw is
 *   at least the CURRENT kernel limit, write memsw first, else write the limit first. The current values are
 *   read from the kernel — `previous` may be stale (crash between apply and persist, manual lxc-cgroup, ...).
 * - Limits are rounded down to the page size by the kernel; "unlimited" reads back as 9223372036854771712.
 * - A new cpuset cgroup starts with empty cpuset.cpus/mems (cgroup.clone_children=0) and cannot take tasks
 *   until both are set. A child's cpus must always be a subset of its parent's (EBUSY otherwise), so changing
 *   the container's CPUs while it has nested cgroups needs a widen-top-down / narrow-bottom-up sequence.
 * - Since the page_counter failcnt rework (≈6.15), memory.memsw.failcnt is never incremented, and when
 *   memsw == limit (swap 0) the memsw counter is hit first, so memory.failcnt stays 0 even on an OOM kill.
 *   The memory failcnt we report therefore also takes memory.oom_control's oom_kill count into account.
 * - blkio.throttle.*_device take one "maj:min value" rule per write(2); value 0 deletes the rule. Rules only
 *   work on whole disks (a partition's maj:min is refused with ENODEV).
 */
import { existsSync, readdirSync } from "node:fs";
import { readdir, realpath } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../../errors.js";
import { formatCpuList, parseCpuList } from "../../settings.js";
import {
  CFS_PERIOD_US,
  checkCpus,
  checkLimits,
  checkRel,
  cpulimitToQuota,
  DEVICE_RE,
  isDir,
  listTree,
  num,
  probeFile,
  procsRecursive,
  readText,
  removeTree,
  writeText,
} from "./common.js";
import type { Beancounter, CgroupDriver, CgroupLimits, CgroupPresence, CgroupReadback, CgroupUsage } from "./types.js";
import { cpuunitsToShares, MEMSW, sameSet } from "./v1-parse.js";
import { readV1Counters, readV1Limits, readV1Usage } from "./v1-read.js";

export {
  cpuunitsToShares,
  parseIoServiceRW,
  parseIoServiceTotal,
  parseThrottle,
  sharesToCpuunits,
} from "./v1-parse.js";

// ------------------------------------------------------------------------------------------------------------
// The driver
// ------------------------------------------------------------------------------------------------------------

export interface CgroupV1Options {
  /** Where the v1 hierarchies are mounted (default /sys/fs/cgroup). */
  mountRoot?: string;
  /** remove(): how long to wait for just-killed tasks to leave before failing with BUSY (default 1000 ms). */
  removeGraceMs?: number;
}

export class CgroupV1 implements CgroupDriver {
  readonly version = 1 as const;
  readonly mountRoot: string;
  private readonly removeGraceMs: number;

  constructor(opts: CgroupV1Options = {}) {
    this.mountRoot = opts.mountRoot ?? "/sys/fs/cgroup";
    this.removeGraceMs = opts.removeGraceMs ?? 1000;
  }

  path(rel: string, controller = "memory"): string {
    return path.join(this.mountRoot, controller, checkRel(rel));
  }

  private file(rel: string, controller: string, file: string): string {
    return path.join(this.path(rel, controller), file);
  }

  /** Does this host account swap (memsw files exist)? Then memsw limits are rendered and applied. */
  hasSwapAccounting(): boolean {
    return existsSync(path.join(this.mountRoot, "memory", MEMSW));
  }

  /** Which blkio weight file child cgroups have here: BFQ's, legacy CFQ's, or none. */
  ioWeightFile(): "blkio.bfq.weight" | "blkio.weight" | null {
    const dir = path.join(this.mountRoot, "blkio");
    // blkio.bfq.weight only exists below the root; the root's blkio.bfq.* stat files show BFQ is loaded.
    let rootFiles: string[] = [];
    try {
      rootFiles = readdirSync(dir);
    } catch {
      return null;
    }
    if (rootFiles.some((f) => f.startsWith("blkio.bfq.")) || probeFile(dir, "blkio.bfq.weight"))
      return "blkio.bfq.weight";
    if (probeFile(dir, "blkio.weight")) return "blkio.weight";
    return null;
  }

  lxcKeys(limits: CgroupLimits): Array<[key: string, value: string]> {
    checkLimits(limits);
    const keys: Array<[string, string]> = [];
    const k = (file: string, value: string | number) => keys.push([`lxc.cgroup.${file}`, String(value)]);
    // Limit before memsw: at start both are unlimited, so limit <= memsw holds after each write
    // (LXC also sorts memsw after limit_in_bytes).
    k("memory.limit_in_bytes", limits.ram);
    if (this.hasSwapAccounting()) k(MEMSW, limits.ram + limits.swap);
    k("cpu.shares", cpuunitsToShares(limits.cpuunits));
    k("cpu.cfs_period_us", CFS_PERIOD_US);
    k("cpu.cfs_quota_us", cpulimitToQuota(limits.cpulimit));
    // Empty or null = all CPUs: LXC initialises the container's cpuset from its parent.
    if (limits.cpus?.length) k("cpuset.cpus", formatCpuList(limits.cpus));
    k("pids.max", limits.numproc > 0 ? limits.numproc : "max");
    const wf = this.ioWeightFile();
    if (wf) k(wf, limits.ioweight);
    if (limits.ioDevice) {
      const dev = limits.ioDevice;
      if (limits.iolimit > 0) {
        k("blkio.throttle.read_bps_device", `${dev} ${limits.iolimit}`);
        k("blkio.throttle.write_bps_device", `${dev} ${limits.iolimit}`);
      }
      if (limits.iopslimit > 0) {
        k("blkio.throttle.read_iops_device", `${dev} ${limits.iopslimit}`);
        k("blkio.throttle.write_iops_device", `${dev} ${limits.iopslimit}`);
      }
    }
    return keys;
  }

  private async requireCgroup(rel: string): Promise<void> {
    const dir = this.path(rel, "memory");
    if (!(await isDir(dir))) {
      throw new EngineError(
        "NOT_RUNNING",
        `cgroup ${rel} does not exist (${dir} is missing; is the container running?)`,
      );
    }
  }

  async apply(rel: string, limits: CgroupLimits, previous?: CgroupLimits): Promise<void> {
    checkLimits(limits);
    const r = checkRel(rel);
    await this.requireCgroup(r);
    await this.applyMemory(r, limits);

    await writeText(this.file(r, "cpu", "cpu.shares"), String(cpuunitsToShares(limits.cpuunits)));
    await writeText(this.file(r, "cpu", "cpu.cfs_period_us"), String(CFS_PERIOD_US));
    await writeText(
      this.file(r, "cpu", "cpu.cfs_quota_us"),
      String(cpulimitToQuota(limits.cpulimit)),
      "the CPU limit may exceed a limit set on a parent or nested cgroup",
    );

    if (limits.cpus !== null) await this.applyCpuset(r, limits.cpus);

    await writeText(this.file(r, "pids", "pids.max"), limits.numproc > 0 ? String(limits.numproc) : "max");

    const blkio = this.path(r, "blkio");
    for (const wf of ["blkio.bfq.weight", "blkio.weight"]) {
      if (existsSync(path.join(blkio, wf))) {
        await writeText(path.join(blkio, wf), String(limits.ioweight));
        break;
      }
    }

    const rules: Array<[string, "iolimit" | "iopslimit"]> = [
      ["blkio.throttle.read_bps_device", "iolimit"],
      ["blkio.throttle.write_bps_device", "iolimit"],
      ["blkio.throttle.read_iops_device", "iopslimit"],
      ["blkio.throttle.write_iops_device", "iopslimit"],
    ];
    const oldDev = previous?.ioDevice;
    if (oldDev && oldDev !== limits.ioDevice && DEVICE_RE.test(oldDev)) {
      // The pool moved to another device: drop the rules on the old one (it may be gone: ignore errors).
      for (const [f] of rules) await writeText(path.join(blkio, f), `${oldDev} 0`).catch(() => {});
    }
    if (limits.ioDevice) {
      for (const [f, key] of rules) {
        await writeText(
          path.join(blkio, f),
          `${limits.ioDevice} ${limits[key]}`,
          `is ${limits.ioDevice} a whole disk (not a partition) on this host?`,
        );
      }
    }
  }

  /** memory.limit_in_bytes + memsw with the ordering the kernel requires, from the CURRENT kernel values. */
  private async applyMemory(rel: string, limits: CgroupLimits): Promise<void> {
    const limitFile = this.file(rel, "memory", "memory.limit_in_bytes");
    const memswFile = this.file(rel, "memory", MEMSW);
    const lowerHint =
      "the container uses more memory than that and the kernel could not reclaim enough; free memory in the container or choose a higher value";
    const curMemsw = await readText(memswFile);
    if (curMemsw === null) {
      // No swap accounting on this host (swapaccount=0): swap cannot be limited separately.
      await writeText(limitFile, String(limits.ram), lowerHint);
      return;
    }
    const newLimit = limits.ram;
    const newMemsw = limits.ram + limits.swap;
    const curLimit = num(await readText(limitFile)) ?? Number.POSITIVE_INFINITY;
    // Invariant limit <= memsw after every single write. memsw first is valid iff newMemsw >= current limit;
    // otherwise newLimit <= newMemsw < curLimit <= curMemsw, so limit first is valid.
    if (newMemsw >= curLimit) {
      await writeText(memswFile, String(newMemsw), lowerHint);
      await writeText(limitFile, String(newLimit), lowerHint);
    } else {
      await writeText(limitFile, String(newLimit), lowerHint);
      await writeText(memswFile, String(newMemsw), lowerHint);
    }
  }

  /** First non-empty `file` of the ancestors of `dir` in the cpuset hierarchy. */
  private async inheritedCpuset(dir: string, file: "cpuset.cpus" | "cpuset.mems"): Promise<string> {
    const root = path.join(this.mountRoot, "cpuset");
    for (let d = path.dirname(dir); d.startsWith(root); d = path.dirname(d)) {
      const t = (await readText(path.join(d, file)))?.trim();
      if (t) return t;
      if (d === root) break;
    }
    const eff = (
      await readText(path.join(root, file === "cpuset.cpus" ? "cpuset.effective_cpus" : "cpuset.effective_mems"))
    )?.trim();
    if (eff) return eff;
    throw new EngineError("INTERNAL", `cannot find the host's ${file} above ${dir}`);
  }

  /**
   * Set the container's cpuset.cpus. Nested cgroups must stay subsets of their parents at every instant, so:
   * compute each descendant's new set (a child that had all of its parent's CPUs follows the parent; others
   * keep their CPUs that remain allowed, or get all the parent's if none remain), then widen top-down to
   * old∪new, then narrow bottom-up to new. No set is ever empty, so cgroups with tasks are always valid.
   */
  private async applyCpuset(rel: string, cpus: readonly number[]): Promise<void> {
    const dir = this.path(rel, "cpuset");
    if (!(await isDir(dir))) {
      throw new EngineError("NOT_RUNNING", `cgroup ${dir} does not exist (is the container running?)`);
    }
    const target = parseCpuList(cpus.length ? formatCpuList(cpus) : await this.inheritedCpuset(dir, "cpuset.cpus"));
    const mems = (await readText(path.join(dir, "cpuset.mems")))?.trim();
    if (!mems) await writeText(path.join(dir, "cpuset.mems"), await this.inheritedCpuset(dir, "cpuset.mems"));

    const tree = await listTree(dir); // parents first
    const old = new Map<string, number[]>();
    for (const d of tree) old.set(d, parseCpuList((await readText(path.join(d, "cpuset.cpus"))) ?? ""));
    const next = new Map<string, number[]>([[dir, target]]);
    for (const d of tree.slice(1)) {
      const o = old.get(d)!;
      const op = old.get(path.dirname(d)) ?? [];
      const np = next.get(path.dirname(d)) ?? target;
      if (o.length === 0)
        next.set(d, []); // never initialised, holds no tasks: leave alone
      else if (sameSet(o, op)) next.set(d, np);
      else {
        const keep = o.filter((c) => np.includes(c));
        next.set(d, keep.length ? keep : np);
      }
    }
    const hint = "the CPUs must exist on this host and be allowed in the parent cgroup";
    const current = new Map(old);
    for (const d of tree) {
      const u = [...new Set([...old.get(d)!, ...next.get(d)!])].sort((a, b) => a - b);
      if (next.get(d)!.length && !sameSet(u, current.get(d)!)) {
        await writeText(path.join(d, "cpuset.cpus"), formatCpuList(u), hint);
        current.set(d, u);
      }
    }
    for (const d of [...tree].reverse()) {
      const n = next.get(d)!;
      if (n.length && !sameSet(n, current.get(d)!))
        await writeText(path.join(d, "cpuset.cpus"), formatCpuList(n), hint);
    }
  }

  async setCpus(rel: string, cpus: readonly number[]): Promise<void> {
    checkCpus(cpus);
    await this.applyCpuset(checkRel(rel), cpus);
  }

  async readCpus(rel: string): Promise<number[] | null> {
    const t = await readText(this.file(checkRel(rel), "cpuset", "cpuset.cpus"));
    return t === null ? null : parseCpuList(t);
  }
  async read(rel: string, ioDevice: string | null): Promise<CgroupReadback> {
    const r = checkRel(rel);
    await this.requireCgroup(r);
    return readV1Limits((controller, file) => this.file(r, controller, file), ioDevice);
  }

  async counters(rel: string): Promise<Beancounter[]> {
    const r = checkRel(rel);
    await this.requireCgroup(r);
    return readV1Counters((controller, file) => this.file(r, controller, file));
  }

  async usage(rel: string): Promise<CgroupUsage | null> {
    const r = checkRel(rel);
    return readV1Usage((controller, file) => this.file(r, controller, file));
  }

  async pids(rel: string): Promise<number[]> {
    return procsRecursive(await this.tasksDir(checkRel(rel)));
  }

  /** The hierarchy every task of the cgroup is in: pids, else memory. */
  private async tasksDir(r: string): Promise<string> {
    const pidsDir = this.path(r, "pids");
    return (await isDir(pidsDir)) ? pidsDir : this.path(r, "memory");
  }

  async presence(rel: string): Promise<CgroupPresence | null> {
    const r = checkRel(rel);
    const dir = await this.tasksDir(r);
    if (!(await isDir(dir))) return null;
    const pids = await procsRecursive(dir);
    const st = (await readText(this.file(r, "freezer", "freezer.state")))?.trim();
    return { pids, freezer: st === "FROZEN" || st === "FREEZING" ? st : "THAWED" };
  }

  async populated(rel: string): Promise<boolean> {
    return (await this.pids(rel)).length > 0;
  }

  /** Every mounted hierarchy under mountRoot (controllers, name=systemd, the hybrid "unified"), deduplicated. */
  async hierarchies(): Promise<string[]> {
    let names: string[];
    try {
      names = (await readdir(this.mountRoot)).sort();
    } catch (e) {
      throw new EngineError(
        "UNSUPPORTED",
        `cgroup mount root ${this.mountRoot} is not readable: ${(e as Error).message}`,
        { cause: e },
      );
    }
    const seen = new Set<string>();
    const out: string[] = [];
    for (const n of names) {
      const p = path.join(this.mountRoot, n);
      if (!existsSync(path.join(p, "cgroup.procs"))) continue;
      const real = await realpath(p).catch(() => p);
      if (seen.has(real)) continue; // cpu -> cpu,cpuacct symlinks
      seen.add(real);
      out.push(p);
    }
    return out;
  }

  async exists(rel: string): Promise<boolean> {
    const r = checkRel(rel);
    for (const h of await this.hierarchies()) if (await isDir(path.join(h, r))) return true;
    return false;
  }

  async remove(rel: string): Promise<void> {
    const r = checkRel(rel);
    const dirs: string[] = [];
    for (const h of await this.hierarchies()) if (await isDir(path.join(h, r))) dirs.push(path.join(h, r));
    await removeTree(dirs, r, this.removeGraceMs);
  }
}
