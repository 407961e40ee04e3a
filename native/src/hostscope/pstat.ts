/**
 * pstat, the pure part: options, rates from two container.usage samples (CPU% where 100 = one core,
 * bytes/s of block I/O), sorting and the table. native/src/tools/pstat.ts does the sampling and the screen.
 */
import { fmtBytes, fmtPercent, renderTable, type Align } from "./format.js";
import { parseCtidList, UsageError } from "./vzps.js";

export { UsageError };

/** One entry of container.usage (see native/src/protocol/schema.ts). */
export interface UsageSample {
  ctid: number;
  initPid: number;
  cpuNs: number;
  memBytes: number;
  memMaxBytes: number | null;
  swapBytes: number | null;
  nproc: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  /** ms since the epoch */
  sampledAt: number;
}

/** What pstat shows besides the counters (from container.list). */
export interface CtMeta {
  name: string | null;
  hostname: string;
  ramLimit: number | null;
  swapLimit: number | null;
}

/** Same run of the same container? (a restart resets the counters: no rate across it) */
function sameRun(prev: UsageSample, cur: UsageSample): boolean {
  return prev.initPid === cur.initPid && cur.sampledAt > prev.sampledAt;
}

/** CPU% over the interval, 100 = one core fully busy; null without a comparable earlier sample. */
export function cpuPercent(prev: UsageSample | undefined, cur: UsageSample): number | null {
  if (!prev || !sameRun(prev, cur) || cur.cpuNs < prev.cpuNs) return null;
  return ((cur.cpuNs - prev.cpuNs) / ((cur.sampledAt - prev.sampledAt) * 1e6)) * 100;
}

/** bytes/s of a cumulative counter over the interval; null without a comparable earlier sample. */
export function byteRate(
  prev: UsageSample | undefined,
  cur: UsageSample,
  key: "ioReadBytes" | "ioWriteBytes",
): number | null {
  if (!prev || !sameRun(prev, cur) || cur[key] < prev[key]) return null;
  return ((cur[key] - prev[key]) * 1000) / (cur.sampledAt - prev.sampledAt);
}

export interface PstatRow {
  ctid: number;
  name: string;
  nproc: number;
  cpu: number | null;
  ram: number;
  ramLimit: number | null;
  swap: number | null;
  ioRead: number | null;
  ioWrite: number | null;
}

export function buildRows(
  prev: ReadonlyMap<number, UsageSample>,
  cur: readonly UsageSample[],
  meta: ReadonlyMap<number, CtMeta>,
): PstatRow[] {
  return cur.map((u) => {
    const p = prev.get(u.ctid);
    const m = meta.get(u.ctid);
    return {
      ctid: u.ctid,
      name: m ? (m.name ?? m.hostname) : "?",
      nproc: u.nproc,
      cpu: cpuPercent(p, u),
      ram: u.memBytes,
      ramLimit: m?.ramLimit ?? null,
      swap: u.swapBytes,
      ioRead: byteRate(p, u, "ioReadBytes"),
      ioWrite: byteRate(p, u, "ioWriteBytes"),
    };
  });
}

export const SORT_FIELDS = ["ctid", "name", "nproc", "cpu", "ram", "swap", "ior", "iow", "io"] as const;
export type SortField = (typeof SORT_FIELDS)[number];
const SORT_ALIASES: Record<string, SortField> = {
  mem: "ram",
  memory: "ram",
  veid: "ctid",
  "cpu%": "cpu",
  procs: "nproc",
  read: "ior",
  write: "iow",
};

/** Biggest first for quantities, ascending for ctid and name; ties by ctid. */
export function sortRows(rows: PstatRow[], field: SortField): PstatRow[] {
  const key = (r: PstatRow): number | string => {
    switch (field) {
      case "ctid":
        return r.ctid;
      case "name":
        return r.name;
      case "nproc":
        return r.nproc;
      case "cpu":
        return r.cpu ?? -1;
      case "ram":
        return r.ram;
      case "swap":
        return r.swap ?? -1;
      case "ior":
        return r.ioRead ?? -1;
      case "iow":
        return r.ioWrite ?? -1;
      case "io":
        return (r.ioRead ?? 0) + (r.ioWrite ?? 0);
    }
  };
  const asc = field === "ctid" || field === "name";
  return [...rows].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    const c = ka < kb ? -1 : ka > kb ? 1 : 0;
    return (asc ? c : -c) || a.ctid - b.ctid;
  });
}

export const PSTAT_HEADERS = ["CTID", "NAME", "NPROC", "CPU%", "RAM/LIMIT", "SWAP", "IOR/s", "IOW/s"];
const ALIGN: Align[] = ["r", "l", "r", "r", "r", "r", "r", "r"];

export function renderRows(rows: readonly PstatRow[]): string {
  return renderTable(
    PSTAT_HEADERS,
    ALIGN,
    rows.map((r) => [
      String(r.ctid),
      r.name,
      String(r.nproc),
      fmtPercent(r.cpu),
      `${fmtBytes(r.ram)}/${r.ramLimit === null ? "-" : fmtBytes(r.ramLimit)}`,
      r.swap === null ? "-" : fmtBytes(r.swap),
      r.ioRead === null ? "-" : fmtBytes(r.ioRead),
      r.ioWrite === null ? "-" : fmtBytes(r.ioWrite),
    ]),
  );
}

/** The summary line above the table. */
export function summaryLine(s: {
  now: Date;
  running: number;
  loadavg: string;
  cpus: number;
  rows: readonly PstatRow[];
}): string {
  const p2 = (x: number) => String(x).padStart(2, "0");
  const t = `${p2(s.now.getHours())}:${p2(s.now.getMinutes())}:${p2(s.now.getSeconds())}`;
  const cpu = s.rows.reduce((a, r) => a + (r.cpu ?? 0), 0);
  const ram = s.rows.reduce((a, r) => a + r.ram, 0);
  return `pstat - ${t}  ${s.running} running  load average: ${s.loadavg}  host CPUs: ${s.cpus}  containers: CPU ${fmtPercent(cpu)}%, RAM ${fmtBytes(ram)}\n`;
}

export interface PstatOptions {
  help: boolean;
  batch: boolean;
  /** null = until q / Ctrl-C */
  iterations: number | null;
  delaySec: number;
  sort: SortField;
  ctids: number[] | null;
}

export function parsePstatArgs(argv: readonly string[]): PstatOptions {
  const o: PstatOptions = { help: false, batch: false, iterations: null, delaySec: 2, sort: "cpu", ctids: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help") {
      o.help = true;
      continue;
    }
    if (a.startsWith("--") || !a.startsWith("-") || a.length === 1) throw new UsageError(`unknown option "${a}"`);
    for (let j = 1; j < a.length; j++) {
      const c = a[j]!;
      if (c === "b") {
        o.batch = true;
        continue;
      }
      if (c === "h") {
        o.help = true;
        continue;
      }
      if (!"ndsE".includes(c)) throw new UsageError(`unknown option "-${c}"`);
      const v = a.slice(j + 1) || argv[++i];
      if (v === undefined || v === "") throw new UsageError(`option -${c} needs a value`);
      if (c === "n") {
        if (!/^\d+$/.test(v) || Number(v) < 1)
          throw new UsageError(`-n needs a number of iterations of at least 1, not "${v}"`);
        o.iterations = Number(v);
      } else if (c === "d") {
        const d = Number(v);
        if (!/^\d*\.?\d+$/.test(v) || !(d >= 0.1) || d > 86400)
          throw new UsageError(`-d needs a delay in seconds from 0.1 to 86400, not "${v}"`);
        o.delaySec = d;
      } else if (c === "s") {
        const f = (SORT_FIELDS as readonly string[]).includes(v.toLowerCase())
          ? (v.toLowerCase() as SortField)
          : SORT_ALIASES[v.toLowerCase()];
        if (!f) throw new UsageError(`unknown sort field "${v}"; use one of ${SORT_FIELDS.join(", ")}`);
        o.sort = f;
      } else {
        o.ctids = [...(o.ctids ?? []), ...parseCtidList(v, "-E")];
      }
      break;
    }
  }
  return o;
}

export const PSTAT_HELP = `Usage:
 pstat [options]

A top-like live view of the running containers: processes, CPU% (100 = one core, over the last
interval), RAM used / limit, swap, block I/O read and write rates. Runs as root on the host against the
engine at OVZ_SOCKET (default /run/ovz/engine.sock). Interactive: refreshes until q or Ctrl-C.

 -b            batch mode: no screen control, one table per iteration (for scripts and logs)
 -n N          stop after N iterations
 -d SECONDS    delay between iterations (default 2; fractions allowed)
 -s FIELD      sort by ${SORT_FIELDS.join(", ")} (default cpu; quantities biggest first)
 -E CTID[,..]  only these containers (repeatable)
 --help        this text

Keys (interactive): q quit; sort by c CPU, m RAM, p processes, i I/O, t CTID, n name.

In batch mode the first table already shows rates: it is measured over a short pre-sample.
`;
