/**
 * Reading a v1 container cgroup back (cgroup v1 driver, v1.ts): its limits, beancounter-style counters and
 * the usage sample. `fileOf(controller, file)` names a file of the container's cgroup in one controller.
 */
import {
  CFS_PERIOD_US,
  num,
  parseKeyed,
  parseLimit,
  parseWeight,
  quotaToCpulimit,
  readText,
  readTextSync,
} from "./common.js";
import type { Beancounter, CgroupReadback, CgroupUsage } from "./types.js";
import { MEMSW, parseIoServiceRW, parseIoServiceTotal, parseThrottle, sharesToCpuunits } from "./v1-parse.js";

export type V1FileOf = (controller: string, file: string) => string;

/** The limits as the kernel holds them (raw: every file read, by "controller/file"). */
export async function readV1Limits(fileOf: V1FileOf, ioDevice: string | null): Promise<CgroupReadback> {
  const raw: Record<string, string> = {};
  const get = async (controller: string, file: string): Promise<string | null> => {
    const t = await readText(fileOf(controller, file));
    if (t !== null) raw[`${controller}/${file}`] = t.replace(/\n+$/, "");
    return t;
  };
  const limit = parseLimit(await get("memory", "memory.limit_in_bytes"));
  const memsw = parseLimit(await get("memory", MEMSW)); // null: unlimited, or no swap accounting
  const shares = num(await get("cpu", "cpu.shares")) ?? 1024;
  const period = num(await get("cpu", "cpu.cfs_period_us")) ?? CFS_PERIOD_US;
  const quota = num(await get("cpu", "cpu.cfs_quota_us"));
  const cpus = ((await get("cpuset", "cpuset.cpus")) ?? "").trim();
  const numproc = parseLimit(await get("pids", "pids.max"));
  let ioweight: number | null = null;
  for (const wf of ["blkio.bfq.weight", "blkio.weight"]) {
    const t = await get("blkio", wf);
    if (t !== null) {
      ioweight = parseWeight(t);
      break;
    }
  }
  let iolimit: CgroupReadback["iolimit"] = null;
  let iopslimit: CgroupReadback["iopslimit"] = null;
  if (ioDevice) {
    const pair = async (kind: "bps" | "iops") => {
      const rd = parseThrottle(await get("blkio", `blkio.throttle.read_${kind}_device`)).get(ioDevice);
      const wr = parseThrottle(await get("blkio", `blkio.throttle.write_${kind}_device`)).get(ioDevice);
      return rd === undefined && wr === undefined ? null : { read: rd ?? 0, write: wr ?? 0 };
    };
    iolimit = await pair("bps");
    iopslimit = await pair("iops");
  }
  return {
    ram: limit,
    swap: limit === null || memsw === null ? null : memsw - limit,
    cpuunits: sharesToCpuunits(shares),
    cpulimit: quotaToCpulimit(quota, period),
    cpus,
    numproc,
    ioweight,
    iolimit,
    iopslimit,
    raw,
  };
}

/** Beancounter-style rows: memory, swap, numproc, cpu, blkio (those the hierarchy has). */
export async function readV1Counters(fileOf: V1FileOf): Promise<Beancounter[]> {
  const rd = (controller: string, file: string) => readText(fileOf(controller, file));
  const rows: Beancounter[] = [];

  const usage = num(await rd("memory", "memory.usage_in_bytes")) ?? 0;
  const maxUsage = num(await rd("memory", "memory.max_usage_in_bytes")) ?? usage;
  const limit = parseLimit(await rd("memory", "memory.limit_in_bytes"));
  const memFail = num(await rd("memory", "memory.failcnt")) ?? 0;
  const memswFail = num(await rd("memory", "memory.memsw.failcnt")) ?? 0;
  const oomKills = parseKeyed(await rd("memory", "memory.oom_control")).get("oom_kill") ?? 0;
  rows.push({
    resource: "memory",
    held: usage,
    maxheld: Math.max(maxUsage, usage),
    limit,
    // memory.failcnt misses limit hits when memsw == limit (see header); an OOM kill is a hit too.
    failcnt: Math.max(memFail, memswFail, oomKills),
    unit: "bytes",
  });

  const memswUsage = num(await rd("memory", "memory.memsw.usage_in_bytes"));
  if (memswUsage !== null) {
    const stat = parseKeyed(await rd("memory", "memory.stat"));
    const swapHeld = stat.get("total_swap") ?? stat.get("swap") ?? Math.max(0, memswUsage - usage);
    const memsw = parseLimit(await rd("memory", MEMSW));
    rows.push({
      resource: "swap",
      held: swapHeld,
      maxheld: swapHeld, // the kernel tracks no swap peak in v1
      limit: memsw === null || limit === null ? null : memsw - limit,
      failcnt: memswFail,
      unit: "bytes",
    });
  }

  const pidsCur = num(await rd("pids", "pids.current"));
  if (pidsCur !== null) {
    rows.push({
      resource: "numproc",
      held: pidsCur,
      maxheld: Math.max(num(await rd("pids", "pids.peak")) ?? pidsCur, pidsCur),
      limit: parseLimit(await rd("pids", "pids.max")),
      failcnt: parseKeyed(await rd("pids", "pids.events")).get("max") ?? 0,
      unit: "count",
    });
  }

  const cpuNs = num(await rd("cpuacct", "cpuacct.usage"));
  if (cpuNs !== null) {
    const usec = Math.floor(cpuNs / 1000);
    rows.push({
      resource: "cpu",
      held: usec,
      maxheld: usec,
      limit: null,
      failcnt: parseKeyed(await rd("cpu", "cpu.stat")).get("nr_throttled") ?? 0,
      unit: "usec",
    });
  }

  const io =
    (await rd("blkio", "blkio.throttle.io_service_bytes_recursive")) ??
    (await rd("blkio", "blkio.throttle.io_service_bytes"));
  if (io !== null) {
    const bytes = parseIoServiceTotal(io);
    rows.push({ resource: "blkio", held: bytes, maxheld: bytes, limit: null, failcnt: 0, unit: "bytes" });
  }
  return rows;
}

/** One usage sample, or null without a memory cgroup (not running). */
export function readV1Usage(fileOf: V1FileOf): CgroupUsage | null {
  // ~6 tiny files per container, read synchronously (see readTextSync): ~0.1 ms per container, no spawns
  const rd = (controller: string, file: string) => readTextSync(fileOf(controller, file));
  const mem = rd("memory", "memory.usage_in_bytes");
  if (mem === null) return null; // no memory cgroup: not running
  const memMax = rd("memory", "memory.max_usage_in_bytes");
  const stat = parseKeyed(rd("memory", "memory.stat"));
  // "total_swap" (hierarchical) / "swap" exist only with swap accounting (memsw)
  const swap = stat.get("total_swap") ?? stat.get("swap") ?? null;
  const cpu = rd("cpuacct", "cpuacct.usage");
  const pids = rd("pids", "pids.current");
  const io = parseIoServiceRW(
    rd("blkio", "blkio.throttle.io_service_bytes_recursive") ?? rd("blkio", "blkio.throttle.io_service_bytes"),
  );
  const memBytes = num(mem) ?? 0;
  return {
    oomKills: parseKeyed(rd("memory", "memory.oom_control")).get("oom_kill") ?? 0,
    forkFails: parseKeyed(rd("pids", "pids.events")).get("max") ?? 0,
    cpuNs: num(cpu) ?? 0,
    memBytes,
    memMaxBytes: memMax === null ? null : Math.max(num(memMax) ?? 0, memBytes),
    memLimitBytes: parseLimit(rd("memory", "memory.limit_in_bytes")),
    swapBytes: swap,
    nproc: num(pids) ?? 0,
    ioReadBytes: io.read,
    ioWriteBytes: io.write,
  };
}
