/**
 * What the fake engine reads back from a container (container.limits, container.beancounters), shaped as
 * the real engine's (native/src/engine.ts readLimits/beancounters, drivers/cgroup counters): live values
 * only while the container has processes, the configured limits where the real one reads the kernel's.
 */
import type { Result } from "../../native/src/protocol/schema.js";
import { effectiveCpulimit, type Limits } from "../../native/src/settings.js";
import { FAKE_HOST } from "./fake-checks.js";

type Info = Result<"container.status">;

/** Every fake container's disk usage. */
const DISK_USED = 1024 * 1024;

/** Running, or frozen (suspended without a checkpoint): the real engine's "not STOPPED". */
function hasProcesses(c: Info): boolean {
  return c.state === "running" || (c.state === "suspended" && !c.checkpoint);
}

/** What the real engine reads back from a running container's cgroup, as configured. */
function cgroupReadback(l: Limits): NonNullable<Result<"container.limits">["cgroup"]> {
  const io = (n: number) => (n > 0 ? { read: n, write: n } : null);
  return {
    ram: l.ram,
    swap: l.swap,
    cpuunits: l.cpuunits,
    cpulimit: effectiveCpulimit(l),
    cpus: l.cpumask ?? `0-${FAKE_HOST.cpus - 1}`,
    numproc: l.numproc,
    ioweight: l.ioweight,
    iolimit: io(l.iolimit),
    iopslimit: io(l.iopslimit),
    raw: {},
  };
}

/** container.limits: the live values (cgroup, the init's open files limit, its devpts) only while it has processes. */
export function limitsReadback(c: Info): Result<"container.limits"> {
  const live = hasProcesses(c);
  return {
    configured: c.limits,
    cgroup: live ? cgroupReadback(c.limits) : null,
    disk: { bytes: DISK_USED, limitBytes: c.limits.diskspace, inodes: null, limitInodes: null },
    nofile: live ? c.limits.numfile : null,
    ptyMax: live ? c.limits.numpty : null,
  };
}

/** container.beancounters: cgroup counters while it has processes, then the disk, then open files. */
export function beancounters(c: Info, startedAt: number | undefined): Result<"container.beancounters"> {
  const l = c.limits;
  const live = hasProcesses(c);
  const row = (resource: string, held: number, limit: number | null, unit: string) => ({
    resource,
    held,
    maxheld: held,
    limit,
    failcnt: 0,
    unit,
  });
  const sec = Math.max(0, (Date.now() - (startedAt ?? Date.now())) / 1000);
  const counters = [
    { ...row("memory", 4 * 1024 * 1024, l.ram, "bytes"), maxheld: 8 * 1024 * 1024 },
    row("swap", 0, l.swap, "bytes"),
    { ...row("numproc", 3, l.numproc, "count"), maxheld: 5 },
    row("cpu", Math.round(sec * 20_000), null, "usec"),
    row("blkio", 0, null, "bytes"),
  ];
  return [
    ...(live ? counters : []),
    row("diskspace", DISK_USED, l.diskspace, "bytes"),
    ...(live ? [row("numfile", 12, l.numfile, "files")] : []),
  ];
}
