/**
 * Cgroup driver: turns a container's resource limits into cgroup files (v1 or v2), changes them live,
 * reads them back from the kernel, and reports beancounter-style usage/limit/failure counters.
 * The runtime (LXC) creates the container's cgroup; this driver only reads/writes inside it.
 */
export interface CgroupLimits {
  /** bytes */
  ram: number;
  /** bytes of swap on top of ram (v1: memsw = ram + swap) */
  swap: number;
  /** OpenVZ cpu units, 8..500000 (1000 = normal) */
  cpuunits: number;
  /** percent of one CPU, 0 = no cap */
  cpulimit: number;
  /**
   * CPU list, e.g. [0,1]; empty = all host CPUs. null = not part of these limits: lxcKeys renders no
   * cpuset key and apply() leaves the cpuset alone (the engine places it with setCpus, cpu-placement.ts).
   */
  cpus: number[] | null;
  numproc: number;
  /** 10..1000 */
  ioweight: number;
  /** bytes/s each for read and write, 0 = no cap */
  iolimit: number;
  /** ops/s each for read and write, 0 = no cap */
  iopslimit: number;
  /** "major:minor" of the block device to throttle; null = no I/O throttle possible */
  ioDevice: string | null;
}

/** Values read back from the kernel, converted to our units. null = unlimited / not set. */
export interface CgroupReadback {
  ram: number | null;
  swap: number | null;
  cpuunits: number;
  cpulimit: number; // 0 = no cap
  cpus: string; // as the kernel prints it, e.g. "0-1"
  numproc: number | null;
  ioweight: number | null;
  iolimit: { read: number; write: number } | null;
  iopslimit: { read: number; write: number } | null;
  /** Raw file contents keyed by "controller/file" (v1) or "file" (v2), for tests and debugging. */
  raw: Record<string, string>;
}

/** One row of the OpenVZ-style /proc/user_beancounters view. */
export interface Beancounter {
  resource: "memory" | "swap" | "numproc" | "cpu" | "blkio" | "numfile" | "diskspace" | "diskinodes";
  /** current usage, in `unit` */
  held: number;
  /** peak usage since start, when the kernel tracks it (else equals held) */
  maxheld: number;
  /** limit in `unit`; null = unlimited */
  limit: number | null;
  /** how many times the limit was hit (memory failcnt, pids events max, cpu nr_throttled, ...) */
  failcnt: number;
  unit: "bytes" | "count" | "usec" | "files";
}

/**
 * Cumulative usage of a running container's cgroup, read from cgroup files only (no process spawns): cheap
 * enough to sample hundreds of containers every few seconds (pstat, the panel's usage graphs).
 */
export interface CgroupUsage {
  /** CPU time of all tasks, ns (v1 cpuacct.usage; v2 cpu.stat usage_usec × 1000) */
  cpuNs: number;
  /**
   * memory charged to the cgroup, page cache included: what counts against the RAM limit (v1 memory.usage_in_bytes; v2
   * memory.current)
   */
  memBytes: number;
  /** peak of memBytes since the cgroup was created; null when the kernel does not track it (v2 without memory.peak) */
  memMaxBytes: number | null;
  /** the RAM limit in force (v1 memory.limit_in_bytes; v2 memory.max); null = unlimited */
  memLimitBytes: number | null;
  /** swap in use; null without swap accounting (v1 memory.stat total_swap; v2 memory.swap.current) */
  swapBytes: number | null;
  /** tasks (processes and threads) in the cgroup (pids.current) */
  nproc: number;
  /**
   * bytes read/written by block I/O issued from the cgroup, all devices (v1 blkio.throttle.io_service_bytes_recursive;
   * v2 io.stat)
   */
  ioReadBytes: number;
  ioWriteBytes: number;
  /** processes the kernel's OOM killer killed in the cgroup (v2 memory.events oom_kill; v1 memory.oom_control) */
  oomKills: number;
  /** forks refused at the process limit (pids.events max): OpenVZ's numproc failcnt */
  forkFails: number;
}

/** A cgroup's freezer: v1 freezer.state; v2 cgroup.freeze (asked) with cgroup.events' frozen (reached). */
export type FreezerState = "THAWED" | "FREEZING" | "FROZEN";

/** What a container's cgroup says about it, for the runtime's states(): read from cgroupfs only. */
export interface CgroupPresence {
  /** processes in the cgroup and below it (v1: the pids hierarchy, else memory; v2: the unified tree) */
  pids: number[];
  freezer: FreezerState;
}

export interface CgroupDriver {
  readonly version: 1 | 2;
  /** Absolute path of `rel` (e.g. "ovz/101") for one controller (v1) or in the unified tree (v2). */
  path(rel: string, controller?: string): string;
  /** Config lines for LXC so limits apply from the first instant (lxc.cgroup.* or lxc.cgroup2.*). */
  lxcKeys(limits: CgroupLimits): Array<[key: string, value: string]>;
  /** Apply limits live to an existing cgroup. Handles the v1 memsw ordering rules. */
  apply(rel: string, limits: CgroupLimits, previous?: CgroupLimits): Promise<void>;
  read(rel: string, ioDevice: string | null): Promise<CgroupReadback>;
  /** Set only the cpuset of a running container (empty = all of its parent's CPUs); NOT_RUNNING without its cgroup. */
  setCpus(rel: string, cpus: readonly number[]): Promise<void>;
  /** The CPUs the container's cpuset names now ([] = not restricted); null when the cgroup does not exist. */
  readCpus(rel: string): Promise<number[] | null>;
  counters(rel: string): Promise<Beancounter[]>;
  /** Cumulative usage counters; null when the cgroup does not exist (container not running). Never spawns. */
  usage(rel: string): Promise<CgroupUsage | null>;
  /** Processes and freezer state of the cgroup; null when it does not exist. Never spawns. */
  presence(rel: string): Promise<CgroupPresence | null>;
  /** Does the cgroup or one below it hold a process? false when it does not exist. Never spawns. */
  populated(rel: string): Promise<boolean>;
  /** PIDs in the cgroup (all tasks, recursively). */
  pids(rel: string): Promise<number[]>;
  /** true if the cgroup directory exists in any controller. */
  exists(rel: string): Promise<boolean>;
  /** Remove the cgroup (and empty children) in every controller; tolerant of missing dirs. */
  remove(rel: string): Promise<void>;
}
