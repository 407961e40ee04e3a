/**
 * cgroup v2 driver (one unified tree: the container's cgroup is `<mountRoot>/<rel>`).
 *
 * File formats (Documentation/admin-guide/cgroup-v2.rst):
 *   memory.max, memory.swap.max, pids.max   "<n>" or "max"   (memory.swap.max is swap only, not ram+swap)
 *   cpu.weight                              1..10000 (= cpuunits/10)
 *   cpu.max                                 "<quota> <period>" or "max <period>"
 *   cpuset.cpus                             "0-1,3"; empty = inherit the parent's CPUs
 *   io.weight / io.bfq.weight               "default <n>" (+ optional "maj:min <n>" lines)
 *   io.max                                  "maj:min rbps=<n>|max wbps=.. riops=.. wiops=.." (all max = rule removed)
 *   memory.events / memory.swap.events / pids.events / cpu.stat   "key value" lines
 *   io.stat                                 "maj:min rbytes=.. wbytes=.. rios=.. wios=.. dbytes=.. dios=.."
 * There are no ordering rules between memory.max and memory.swap.max, and a nested cgroup's cpuset may
 * differ from its parent's (the effective set is intersected), so v2 needs none of v1's write sequencing.
 * This host runs v1, so this driver is only exercised against a fake tree (test/unit/cgroup-v2.test.ts).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { EngineError } from "../../errors.js";
import { formatCpuList, parseCpuList } from "../../settings.js";
import {
  CFS_PERIOD_US,
  checkCpus,
  checkLimits,
  checkRel,
  clamp,
  cpulimitToQuota,
  isDir,
  num,
  parseKeyed,
  parseLimit,
  parseWeight,
  probeFile,
  procsRecursive,
  quotaToCpulimit,
  readText,
  readTextSync,
  removeTree,
  writeText,
} from "./common.js";
import type { Beancounter, CgroupDriver, CgroupLimits, CgroupPresence, CgroupReadback, CgroupUsage } from "./types.js";

export interface CgroupV2Options {
  /** Where cgroup2 is mounted (default /sys/fs/cgroup). */
  mountRoot?: string;
  /** remove(): how long to wait for just-killed tasks to leave before failing with BUSY (default 1000 ms). */
  removeGraceMs?: number;
}

/** OpenVZ cpuunits → v2 cpu.weight: clamp(round(units/10), 1, 10000). */
export function cpuunitsToWeight(units: number): number {
  return clamp(Math.round(units / 10), 1, 10000);
}

export function weightToCpuunits(weight: number): number {
  return weight * 10;
}

/** "quota period" / "max period" → [quota|null, period]. */
export function parseCpuMax(text: string | null): [number | null, number] {
  const [q, p] = (text ?? "").trim().split(/\s+/);
  const period = Number(p);
  return [
    q === undefined || q === "max" || q === "" ? null : Number(q),
    Number.isFinite(period) && period > 0 ? period : CFS_PERIOD_US,
  ];
}

/** The io.max rule of one device: {rbps, wbps, riops, wiops}, each null for "max"; undefined when absent. */
export function parseIoMax(
  text: string | null,
  dev: string,
): Record<"rbps" | "wbps" | "riops" | "wiops", number | null> | undefined {
  for (const line of (text ?? "").split("\n")) {
    const [d, ...kv] = line.trim().split(/\s+/);
    if (d !== dev) continue;
    const out = { rbps: null, wbps: null, riops: null, wiops: null } as Record<
      "rbps" | "wbps" | "riops" | "wiops",
      number | null
    >;
    for (const item of kv) {
      const [k, v] = item.split("=");
      if (k === "rbps" || k === "wbps" || k === "riops" || k === "wiops")
        out[k] = v === "max" || v === undefined ? null : Number(v);
    }
    return out;
  }
  return undefined;
}

/** Sum of rbytes+wbytes over all devices in io.stat. */
export function parseIoStatBytes(text: string | null): number {
  let sum = 0;
  for (const line of (text ?? "").split("\n")) {
    for (const m of line.matchAll(/\b([rw]bytes)=(\d+)/g)) sum += Number(m[2]);
  }
  return sum;
}

/** Read and write bytes in io.stat, summed over all devices. */
export function parseIoStatRW(text: string | null): { read: number; write: number } {
  const out = { read: 0, write: 0 };
  for (const line of (text ?? "").split("\n")) {
    for (const m of line.matchAll(/\b([rw])bytes=(\d+)/g)) out[m[1] === "r" ? "read" : "write"] += Number(m[2]);
  }
  return out;
}

/** The io.max line for a device: 0 = no cap = "max". */
export function ioMaxLine(dev: string, bps: number, iops: number): string {
  const v = (n: number) => (n > 0 ? String(n) : "max");
  return `${dev} rbps=${v(bps)} wbps=${v(bps)} riops=${v(iops)} wiops=${v(iops)}`;
}

export function cpuMaxValue(cpulimit: number): string {
  const q = cpulimitToQuota(cpulimit);
  return `${q > 0 ? q : "max"} ${CFS_PERIOD_US}`;
}

export class CgroupV2 implements CgroupDriver {
  readonly version = 2 as const;
  readonly mountRoot: string;
  private readonly removeGraceMs: number;

  constructor(opts: CgroupV2Options = {}) {
    this.mountRoot = opts.mountRoot ?? "/sys/fs/cgroup";
    this.removeGraceMs = opts.removeGraceMs ?? 1000;
  }

  path(rel: string, _controller?: string): string {
    return path.join(this.mountRoot, checkRel(rel));
  }

  /** Controllers the root offers (cgroup.controllers). */
  controllers(): Set<string> {
    try {
      return new Set(readFileSync(path.join(this.mountRoot, "cgroup.controllers"), "utf8").trim().split(/\s+/));
    } catch {
      return new Set();
    }
  }

  lxcKeys(limits: CgroupLimits): Array<[key: string, value: string]> {
    checkLimits(limits);
    const ctl = this.controllers();
    const keys: Array<[string, string]> = [];
    const k = (file: string, value: string | number) => keys.push([`lxc.cgroup2.${file}`, String(value)]);
    // LXC aborts the start if a key names a file the cgroup lacks, so only render what this host has.
    k("memory.max", limits.ram);
    if (probeFile(this.mountRoot, "memory.swap.max")) k("memory.swap.max", limits.swap);
    if (ctl.has("cpu")) {
      k("cpu.weight", cpuunitsToWeight(limits.cpuunits));
      k("cpu.max", cpuMaxValue(limits.cpulimit));
    }
    if (ctl.has("cpuset") && limits.cpus?.length) k("cpuset.cpus", formatCpuList(limits.cpus));
    if (ctl.has("pids")) k("pids.max", limits.numproc > 0 ? limits.numproc : "max");
    if (ctl.has("io")) {
      if (probeFile(this.mountRoot, "io.weight") || existsSync(path.join(this.mountRoot, "io.cost.qos"))) {
        k("io.weight", `default ${limits.ioweight}`);
      }
      // BFQ reads its own weight file (present while a disk uses BFQ: the engine's pool device, see btrfs-pool)
      if (probeFile(this.mountRoot, "io.bfq.weight")) k("io.bfq.weight", `default ${limits.ioweight}`);
      if (limits.ioDevice && (limits.iolimit > 0 || limits.iopslimit > 0)) {
        k("io.max", ioMaxLine(limits.ioDevice, limits.iolimit, limits.iopslimit));
      }
    }
    return keys;
  }

  private async requireCgroup(rel: string): Promise<string> {
    const dir = this.path(rel);
    if (!(await isDir(dir))) {
      throw new EngineError(
        "NOT_RUNNING",
        `cgroup ${rel} does not exist (${dir} is missing; is the container running?)`,
      );
    }
    return dir;
  }

  async apply(rel: string, limits: CgroupLimits, previous?: CgroupLimits): Promise<void> {
    checkLimits(limits);
    const dir = await this.requireCgroup(checkRel(rel));
    const f = (name: string) => path.join(dir, name);
    const has = (name: string) => existsSync(f(name));

    await writeText(
      f("memory.max"),
      String(limits.ram),
      "the container uses more memory than that and the kernel could not reclaim enough; choose a higher value",
    );
    if (has("memory.swap.max")) await writeText(f("memory.swap.max"), String(limits.swap));

    await writeText(f("cpu.weight"), String(cpuunitsToWeight(limits.cpuunits)));
    await writeText(f("cpu.max"), cpuMaxValue(limits.cpulimit));

    if (limits.cpus !== null) await this.writeCpus(dir, limits.cpus);

    await writeText(f("pids.max"), limits.numproc > 0 ? String(limits.numproc) : "max");

    if (has("io.weight")) await writeText(f("io.weight"), `default ${limits.ioweight}`);
    if (has("io.bfq.weight")) await writeText(f("io.bfq.weight"), `default ${limits.ioweight}`);

    const oldDev = previous?.ioDevice;
    if (oldDev && oldDev !== limits.ioDevice && /^\d+:\d+$/.test(oldDev)) {
      await writeText(f("io.max"), ioMaxLine(oldDev, 0, 0)).catch(() => {});
    }
    if (limits.ioDevice) {
      await writeText(
        f("io.max"),
        ioMaxLine(limits.ioDevice, limits.iolimit, limits.iopslimit),
        `is ${limits.ioDevice} a whole disk (not a partition) on this host?`,
      );
    }
  }

  /** A nested cgroup's cpuset may differ from its parent's (v2 intersects), so one write is enough. */
  private async writeCpus(dir: string, cpus: readonly number[]): Promise<void> {
    const file = path.join(dir, "cpuset.cpus");
    if (cpus.length) await writeText(file, formatCpuList(cpus), "the CPUs must exist on this host");
    // Empty = use the parent's CPUs (the kernel keeps following the parent).
    else if (existsSync(file)) await writeText(file, "\n");
  }

  async setCpus(rel: string, cpus: readonly number[]): Promise<void> {
    checkCpus(cpus);
    await this.writeCpus(await this.requireCgroup(checkRel(rel)), cpus);
  }

  async readCpus(rel: string): Promise<number[] | null> {
    const dir = this.path(checkRel(rel));
    if (!(await isDir(dir))) return null;
    return parseCpuList((await readText(path.join(dir, "cpuset.cpus"))) ?? "");
  }

  async read(rel: string, ioDevice: string | null): Promise<CgroupReadback> {
    const dir = await this.requireCgroup(checkRel(rel));
    const raw: Record<string, string> = {};
    const get = async (file: string): Promise<string | null> => {
      const t = await readText(path.join(dir, file));
      if (t !== null) raw[file] = t.replace(/\n+$/, "");
      return t;
    };
    const ram = parseLimit(await get("memory.max"));
    const swap = parseLimit(await get("memory.swap.max"));
    const weight = Number((await get("cpu.weight")) ?? "100");
    const [quota, period] = parseCpuMax(await get("cpu.max"));
    let cpus = ((await get("cpuset.cpus")) ?? "").trim();
    if (!cpus) cpus = ((await get("cpuset.cpus.effective")) ?? "").trim();
    const numproc = parseLimit(await get("pids.max"));
    let ioweight = parseWeight(await get("io.weight"));
    if (ioweight === null) ioweight = parseWeight(await get("io.bfq.weight"));
    let iolimit: CgroupReadback["iolimit"] = null;
    let iopslimit: CgroupReadback["iopslimit"] = null;
    if (ioDevice) {
      const rule = parseIoMax(await get("io.max"), ioDevice);
      if (rule) {
        if (rule.rbps !== null || rule.wbps !== null) iolimit = { read: rule.rbps ?? 0, write: rule.wbps ?? 0 };
        if (rule.riops !== null || rule.wiops !== null) iopslimit = { read: rule.riops ?? 0, write: rule.wiops ?? 0 };
      }
    }
    return {
      ram,
      swap,
      cpuunits: weightToCpuunits(Number.isFinite(weight) ? weight : 100),
      cpulimit: quotaToCpulimit(quota, period),
      cpus,
      numproc,
      ioweight,
      iolimit,
      iopslimit,
      raw,
    };
  }

  async counters(rel: string): Promise<Beancounter[]> {
    const dir = await this.requireCgroup(checkRel(rel));
    const rd = (file: string) => readText(path.join(dir, file));
    const rows: Beancounter[] = [];

    const cur = num(await rd("memory.current")) ?? 0;
    const ev = parseKeyed(await rd("memory.events"));
    rows.push({
      resource: "memory",
      held: cur,
      maxheld: Math.max(num(await rd("memory.peak")) ?? cur, cur),
      limit: parseLimit(await rd("memory.max")),
      // "max" counts every time usage hit memory.max; an OOM ("oom") always follows such a hit, so it is a
      // subset — max() rather than a sum, which would count one failure twice.
      failcnt: Math.max(ev.get("max") ?? 0, ev.get("oom") ?? 0),
      unit: "bytes",
    });

    const swapCur = num(await rd("memory.swap.current"));
    if (swapCur !== null) {
      rows.push({
        resource: "swap",
        held: swapCur,
        maxheld: Math.max(num(await rd("memory.swap.peak")) ?? swapCur, swapCur),
        limit: parseLimit(await rd("memory.swap.max")),
        failcnt: parseKeyed(await rd("memory.swap.events")).get("max") ?? 0,
        unit: "bytes",
      });
    }

    const pidsCur = num(await rd("pids.current"));
    if (pidsCur !== null) {
      rows.push({
        resource: "numproc",
        held: pidsCur,
        maxheld: Math.max(num(await rd("pids.peak")) ?? pidsCur, pidsCur),
        limit: parseLimit(await rd("pids.max")),
        failcnt: parseKeyed(await rd("pids.events")).get("max") ?? 0,
        unit: "count",
      });
    }

    const cpuStat = await rd("cpu.stat");
    if (cpuStat !== null) {
      const st = parseKeyed(cpuStat);
      const usec = st.get("usage_usec") ?? 0;
      rows.push({
        resource: "cpu",
        held: usec,
        maxheld: usec,
        limit: null,
        failcnt: st.get("nr_throttled") ?? 0,
        unit: "usec",
      });
    }

    const ioStat = await rd("io.stat");
    if (ioStat !== null) {
      const bytes = parseIoStatBytes(ioStat);
      rows.push({ resource: "blkio", held: bytes, maxheld: bytes, limit: null, failcnt: 0, unit: "bytes" });
    }
    return rows;
  }

  async usage(rel: string): Promise<CgroupUsage | null> {
    const dir = this.path(checkRel(rel));
    // a few tiny files, read synchronously (see readTextSync): no spawns, ~0.1 ms per container
    const rd = (file: string) => readTextSync(path.join(dir, file));
    // cgroup.procs is in every v2 cgroup whatever its controllers: tells "gone" from "no memory controller"
    if (!existsSync(path.join(dir, "cgroup.procs"))) return null;
    const cur = rd("memory.current");
    const peak = rd("memory.peak");
    const swap = rd("memory.swap.current");
    const pids = rd("pids.current");
    const cpuStat = rd("cpu.stat");
    const ioStat = rd("io.stat");
    const memBytes = num(cur) ?? 0;
    const peakBytes = num(peak);
    const io = parseIoStatRW(ioStat);
    return {
      oomKills: parseKeyed(rd("memory.events")).get("oom_kill") ?? 0,
      forkFails: parseKeyed(rd("pids.events")).get("max") ?? 0,
      cpuNs: (parseKeyed(cpuStat).get("usage_usec") ?? 0) * 1000,
      memBytes,
      memMaxBytes: peakBytes === null ? null : Math.max(peakBytes, memBytes),
      memLimitBytes: parseLimit(rd("memory.max")),
      swapBytes: num(swap),
      nproc: num(pids) ?? 0,
      ioReadBytes: io.read,
      ioWriteBytes: io.write,
    };
  }

  async pids(rel: string): Promise<number[]> {
    return procsRecursive(this.path(rel));
  }

  async presence(rel: string): Promise<CgroupPresence | null> {
    const dir = this.path(checkRel(rel));
    if (!(await isDir(dir))) return null;
    const pids = await procsRecursive(dir);
    // cgroup.events "frozen 1": all tasks frozen (an ancestor's freeze too); cgroup.freeze 1 alone: not yet
    const frozen = parseKeyed(readTextSync(path.join(dir, "cgroup.events"))).get("frozen") === 1;
    const asked = readTextSync(path.join(dir, "cgroup.freeze"))?.trim() === "1";
    return { pids, freezer: frozen ? "FROZEN" : asked ? "FREEZING" : "THAWED" };
  }

  async populated(rel: string): Promise<boolean> {
    // "populated 1": a process in this cgroup or below (kept current by the kernel); no file: no cgroup
    return parseKeyed(readTextSync(path.join(this.path(checkRel(rel)), "cgroup.events"))).get("populated") === 1;
  }

  async exists(rel: string): Promise<boolean> {
    return isDir(this.path(rel));
  }

  async remove(rel: string): Promise<void> {
    const r = checkRel(rel);
    const dir = this.path(r);
    await removeTree((await isDir(dir)) ? [dir] : [], r, this.removeGraceMs);
  }
}
