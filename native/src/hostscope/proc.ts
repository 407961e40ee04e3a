/**
 * Reading processes from /proc for the host-scope tools (vzps) and the engine (a container's init pid).
 * Parsers are pure (fixture-tested); readers take the proc root as a parameter so tests can point them at a
 * fake tree. Nothing here spawns a process.
 */
import { readFileSync } from "node:fs";
import { readdir } from "node:fs/promises";
import path from "node:path";

/** Clock ticks per second of the times in /proc/<pid>/stat (USER_HZ: 100 on every mainstream Linux ABI). */
export const CLK_TCK = 100;

/** The fields of /proc/<pid>/stat the tools use (see proc(5); the command may contain spaces and parentheses). */
export interface ProcStat {
  pid: number;
  comm: string;
  state: string;
  ppid: number;
  pgrp: number;
  session: number;
  ttyNr: number;
  tpgid: number;
  /** clock ticks */
  utime: number;
  stime: number;
  nice: number;
  threads: number;
  /** clock ticks after boot */
  starttime: number;
  /** bytes */
  vsize: number;
  /** pages */
  rss: number;
}

export function parseStat(text: string): ProcStat | null {
  const open = text.indexOf("(");
  const close = text.lastIndexOf(")");
  if (open < 0 || close < open) return null;
  const pid = Number(text.slice(0, open).trim());
  const f = text
    .slice(close + 2)
    .trim()
    .split(/\s+/); // f[0] = field 3 (state)
  const at = (field: number) => Number(f[field - 3]);
  if (!Number.isInteger(pid) || f.length < 22) return null;
  return {
    pid,
    comm: text.slice(open + 1, close),
    state: f[0]!,
    ppid: at(4),
    pgrp: at(5),
    session: at(6),
    ttyNr: at(7),
    tpgid: at(8),
    utime: at(14),
    stime: at(15),
    nice: at(19),
    threads: at(20),
    starttime: at(22),
    vsize: at(23),
    rss: at(24),
  };
}

/** The fields of /proc/<pid>/status the tools use. Memory values in KiB (0 for kernel threads). */
export interface ProcStatus {
  /** real, effective, saved, fs */
  uid: [number, number, number, number];
  /** pid in each pid namespace, outermost (the reader's) first; the last is the pid the process sees for itself */
  nspid: number[];
  vmSizeKb: number;
  vmRssKb: number;
  vmLckKb: number;
}

export function parseStatus(text: string): ProcStatus {
  const out: ProcStatus = { uid: [0, 0, 0, 0], nspid: [], vmSizeKb: 0, vmRssKb: 0, vmLckKb: 0 };
  for (const line of text.split("\n")) {
    const i = line.indexOf(":");
    if (i < 0) continue;
    const key = line.slice(0, i);
    const vals = line
      .slice(i + 1)
      .trim()
      .split(/\s+/);
    if (key === "Uid") out.uid = [0, 1, 2, 3].map((k) => Number(vals[k] ?? 0)) as ProcStatus["uid"];
    else if (key === "NSpid") out.nspid = vals.filter(Boolean).map(Number);
    else if (key === "VmSize") out.vmSizeKb = Number(vals[0]) || 0;
    else if (key === "VmRSS") out.vmRssKb = Number(vals[0]) || 0;
    else if (key === "VmLck") out.vmLckKb = Number(vals[0]) || 0;
  }
  return out;
}

/**
 * /proc/<pid>/cgroup → path per controller. v1 lines "4:memory:/ovz/101", "2:cpu,cpuacct:/x" (each
 * controller of a co-mounted hierarchy gets the path), "9:name=systemd:/x"; the v2 line "0::/x" → key "".
 */
export function parseCgroupFile(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = /^\d+:([^:]*):(.*)$/.exec(line);
    if (!m) continue;
    const p = m[2]!.replace(/ \(deleted\)$/, "");
    if (m[1] === "") out.set("", p);
    else for (const c of m[1]!.split(",")) out.set(c, p);
  }
  return out;
}

/**
 * Which controller's path identifies a container: pids (every task is in it), else memory, else the v2
 * unified tree. Returns the key for parseCgroupFile's map, or null when none is present.
 */
export function mappingController(cgroups: Map<string, string>): string | null {
  for (const c of ["pids", "memory", ""]) if (cgroups.has(c)) return c;
  return null;
}

/** Host user/group names from /etc/passwd content: uid → name. */
export function parsePasswd(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const line of text.split("\n")) {
    const f = line.split(":");
    if (f.length >= 3 && /^\d+$/.test(f[2]!) && !out.has(Number(f[2]))) out.set(Number(f[2]), f[0]!);
  }
  return out;
}

/** /proc/stat "btime": boot time in seconds since the epoch. */
export function parseBootTime(text: string): number {
  const m = /^btime\s+(\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

/** /proc/meminfo MemTotal in bytes. */
export function parseMemTotal(text: string): number {
  const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(text);
  return m ? Number(m[1]) * 1024 : 0;
}

/** One process as the tools see it. */
export interface ProcInfo extends ProcStat {
  status: ProcStatus;
  cgroups: Map<string, string>;
  /** argv from /proc/<pid>/cmdline; empty for kernel threads and zombies */
  argv: string[];
}

/**
 * A /proc file's text, or null when it cannot be read (the process exited, ...). Read synchronously on purpose:
 * proc files are generated from kernel memory and never wait for a disk, and a synchronous read costs ~17 µs
 * against ~220 µs through fs.promises (open/fstat/read/close each a thread-pool round trip; measured on this
 * host). Callers still await, so a loop over many processes yields between them.
 */
export async function readOr(file: string): Promise<string | null> {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null; // the process exited while we looked (ENOENT/ESRCH), or a permission problem
  }
}

/** Numeric entries of the proc root, ascending. */
export async function listPids(procRoot = "/proc"): Promise<number[]> {
  return (await readdir(procRoot))
    .filter((n) => /^\d+$/.test(n))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Read one process; null when it is gone (it exited between the listing and the read). */
export async function readProc(pid: number, procRoot = "/proc"): Promise<ProcInfo | null> {
  const dir = path.join(procRoot, String(pid));
  const [stat, status, cgroup, cmdline] = await Promise.all([
    readOr(path.join(dir, "stat")),
    readOr(path.join(dir, "status")),
    readOr(path.join(dir, "cgroup")),
    readOr(path.join(dir, "cmdline")),
  ]);
  if (stat === null || status === null) return null;
  const st = parseStat(stat);
  if (!st) return null;
  const argv = (cmdline ?? "").split("\0");
  while (argv.length && argv[argv.length - 1] === "") argv.pop();
  return { ...st, status: parseStatus(status), cgroups: parseCgroupFile(cgroup ?? ""), argv };
}

/** NSpid of a process (outermost first); [] when it is gone. */
export async function readNsPid(pid: number, procRoot = "/proc"): Promise<number[]> {
  const text = await readOr(path.join(procRoot, String(pid), "status"));
  return text === null ? [] : parseStatus(text).nspid;
}

/**
 * The init of a container among the pids of its cgroup: the process that is pid 1 in its own pid namespace,
 * taking the outermost such namespace (a nested container's init is pid 1 one level deeper).
 */
export async function findInitPid(pids: readonly number[], procRoot = "/proc"): Promise<number | null> {
  let best: { pid: number; depth: number } | null = null;
  for (const pid of pids) {
    const ns = await readNsPid(pid, procRoot);
    if (ns.length >= 2 && ns[ns.length - 1] === 1 && (!best || ns.length < best.depth)) {
      best = { pid, depth: ns.length };
      if (ns.length === 2) break; // one level below the reader's namespace: cannot be more outer
    }
  }
  return best?.pid ?? null;
}

/** fn over items with at most `limit` in flight (keeps open file descriptors bounded on big hosts). */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
