/** One container as `vzlist` sees it: a `CtRow` in the original's units (UBC pages, 1 KiB quota blocks). */
import type { CtRow, CtStatus } from "./types.js";
import { nonEmpty } from "./printf.js";

/** vzlist status words; the order is the original's enum (status sort order), ours appended. */
export const VZ_STATUS_ORDER: Record<CtStatus, number> = {
  running: 0,
  stopped: 1,
  mounted: 2,
  suspended: 3,
  creating: 4,
  error: 5,
};

/** "unlimited" as the originals print it (LONG_MAX on 64-bit). */
export const LONG_MAX = 9223372036854775807n;
export const PAGE = 4096;

export type UbcRes = "numproc" | "physpages" | "numfile" | "swappages";
/** held, maxheld, barrier, limit, failcnt — as /proc/user_beancounters (memory in pages). */
export interface Ubc {
  held: bigint | null;
  barrier: bigint;
  limit: bigint;
  failcnt: bigint;
}
export type DqRes = "diskspace" | "diskinodes";
/** usage, soft limit, hard limit — diskspace in 1 KiB blocks, diskinodes in inodes. */
export interface Dq {
  usage: bigint;
  soft: bigint;
  hard: bigint;
}

/** One container as vzlist sees it (values already in the original's units). */
export interface VzCt {
  row: CtRow;
  ctid: number;
  running: boolean;
  hostname: string | null;
  name: string | null;
  description: string | null;
  ostemplate: string | null;
  private: string | null;
  root: string | null;
  /** the address list the way vzlist keeps it: "a b " (each followed by a space), null when none */
  ipList: string | null;
  ubc: Record<UbcRes, Ubc>;
  dq: Record<DqRes, Dq>;
  cpulimit: number;
  cpuunits: number;
  cpus: number;
  cpumask: string | null;
  /** single-precision, as the original stores them; null unless running */
  la: [number, number, number] | null;
  uptime: number | null;
}

const big = (n: number): bigint => BigInt(Math.floor(n));

export function vzView(row: CtRow): VzCt {
  const running = row.status === "running";
  const l = row.limits;
  const held = (v: number | null, div = 1): bigint | null => (running && v != null ? big(v / div) : null);
  const fail = (res: string): bigint => big(row.failcnt[res] ?? 0);
  const same = (n: number) => ({ barrier: big(n), limit: big(n) });
  return {
    row,
    ctid: row.ctid,
    running,
    hostname: nonEmpty(row.hostname),
    name: nonEmpty(row.name),
    description: nonEmpty(row.description),
    ostemplate: nonEmpty(row.ostemplate),
    private: nonEmpty(row.private),
    root: nonEmpty(row.root),
    ipList: row.ips.length ? row.ips.map((ip) => `${ip} `).join("") : null,
    ubc: {
      numproc: { held: held(row.numproc), ...same(l.numproc), failcnt: fail("numproc") },
      // vswap: --ram sets PHYSPAGES=0:ram, --swap sets SWAPPAGES=0:swap (vzctl(8))
      physpages: { held: held(row.physpages, PAGE), barrier: 0n, limit: big(l.ram / PAGE), failcnt: fail("physpages") },
      numfile: { held: null, ...same(l.numfile), failcnt: fail("numfile") },
      swappages: {
        held: held(row.swappages, PAGE),
        barrier: 0n,
        limit: big(l.swap / PAGE),
        failcnt: fail("swappages"),
      },
    },
    dq: {
      diskspace: {
        usage: row.diskspace == null ? 0n : big(row.diskspace / 1024),
        soft: big(l.diskspace / 1024),
        hard: big(l.diskspace / 1024),
      },
      diskinodes: {
        usage: row.diskinodes == null ? 0n : big(row.diskinodes),
        soft: l.diskinodes === 0 ? LONG_MAX : big(l.diskinodes),
        hard: l.diskinodes === 0 ? LONG_MAX : big(l.diskinodes),
      },
    },
    cpulimit: l.cpulimit,
    cpuunits: l.cpuunits,
    cpus: l.cpus,
    cpumask: nonEmpty(l.cpumask),
    la:
      running && row.laverage
        ? [Math.fround(row.laverage[0]), Math.fround(row.laverage[1]), Math.fround(row.laverage[2])]
        : null,
    uptime: running && row.uptime != null ? Math.fround(row.uptime) : null,
  };
}
