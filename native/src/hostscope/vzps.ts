/**
 * vzps, the pure part: options (procps ps syntax plus OpenVZ's -E CTID), output fields, process selection
 * and the table. native/src/tools/vzps.ts does the I/O (the engine for the containers, /proc for processes).
 */
import { CTID_MAX } from "../identity.js";
import { CLK_TCK, type ProcInfo } from "./proc.js";
import { fmtCpuTime, fmtPercent, fmtStart, fmtTty, renderTable, type Align } from "./format.js";

/**
 * Control characters shown as "?", as procps does: a process's argv may hold newlines (`sh -c $'a\nb'`), and
 * printed raw they would split its row in two for every script that reads vzps line by line.
 */
export function printable(text: string): string {
  return text.replace(/[\x00-\x1f\x7f]/g, "?");
}

/** A command-line mistake: printed ps-style on stderr, exit status 1 (as procps ps does on bad syntax). */
export class UsageError extends Error {}

/** "101,102 103" → [101, 102, 103]; CTID 0 means the host. */
export function parseCtidList(text: string, opt: string): number[] {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (!parts.length) throw new UsageError(`list of container IDs must follow ${opt}`);
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) > CTID_MAX)
      throw new UsageError(
        `invalid container ID "${p}" after ${opt} (expected a number such as 101, or 0 for the host)`,
      );
    return Number(p);
  });
}

function parsePidList(text: string): number[] {
  const parts = text.split(/[,\s]+/).filter(Boolean);
  if (!parts.length) throw new UsageError("list of process IDs must follow -p");
  return parts.map((p) => {
    if (!/^\d+$/.test(p) || Number(p) < 1) throw new UsageError("process ID list syntax error");
    return Number(p);
  });
}

export interface FieldCtx {
  ctid: number;
  nowMs: number;
  bootMs: number;
  uptimeSec: number;
  memTotalBytes: number;
  users: Map<number, string>;
}

interface Field {
  header: string;
  align: Align;
  get(p: ProcInfo, c: FieldCtx): string;
}

const cpuSeconds = (p: ProcInfo) => (p.utime + p.stime) / CLK_TCK;

export function statFlags(p: ProcInfo): string {
  let s = p.state;
  if (p.nice < 0) s += "<";
  else if (p.nice > 0) s += "N";
  if (p.status.vmLckKb > 0) s += "L";
  if (p.session === p.pid) s += "s";
  if (p.threads > 1) s += "l";
  if (p.tpgid !== -1 && p.tpgid === p.pgrp) s += "+";
  return s;
}

/** ps %CPU: CPU time over the process's lifetime, percent of one CPU. */
export function lifetimeCpuPercent(p: ProcInfo, uptimeSec: number): number {
  const elapsed = uptimeSec - p.starttime / CLK_TCK;
  return elapsed > 0 ? (cpuSeconds(p) / elapsed) * 100 : 0;
}

export const FIELDS: Record<string, Field> = {
  ctid: { header: "CTID", align: "r", get: (_p, c) => String(c.ctid) },
  pid: { header: "PID", align: "r", get: (p) => String(p.pid) },
  vpid: { header: "VPID", align: "r", get: (p) => String(p.status.nspid.at(-1) ?? p.pid) },
  ppid: { header: "PPID", align: "r", get: (p) => String(p.ppid) },
  user: { header: "USER", align: "l", get: (p, c) => c.users.get(p.status.uid[1]) ?? String(p.status.uid[1]) },
  uid: { header: "UID", align: "r", get: (p) => String(p.status.uid[1]) },
  pcpu: { header: "%CPU", align: "r", get: (p, c) => fmtPercent(lifetimeCpuPercent(p, c.uptimeSec)) },
  pmem: {
    header: "%MEM",
    align: "r",
    get: (p, c) => fmtPercent(c.memTotalBytes ? (p.status.vmRssKb * 1024 * 100) / c.memTotalBytes : 0),
  },
  vsz: { header: "VSZ", align: "r", get: (p) => String(p.status.vmSizeKb) },
  rss: { header: "RSS", align: "r", get: (p) => String(p.status.vmRssKb) },
  tty: { header: "TT", align: "l", get: (p) => fmtTty(p.ttyNr) },
  stat: { header: "STAT", align: "l", get: (p) => statFlags(p) },
  state: { header: "S", align: "l", get: (p) => p.state },
  nice: { header: "NI", align: "r", get: (p) => String(p.nice) },
  nlwp: { header: "NLWP", align: "r", get: (p) => String(p.threads) },
  start: { header: "START", align: "r", get: (p, c) => fmtStart(c.bootMs + (p.starttime / CLK_TCK) * 1000, c.nowMs) },
  time: { header: "TIME", align: "r", get: (p) => fmtCpuTime(cpuSeconds(p)) },
  comm: { header: "COMMAND", align: "l", get: (p) => printable(p.comm) },
  args: { header: "COMMAND", align: "l", get: (p) => printable(p.argv.length ? p.argv.join(" ") : `[${p.comm}]`) },
};

/** Other names ps (and OpenVZ's vzps) accept for the same fields. */
const ALIASES: Record<string, string> = {
  veid: "ctid",
  "%cpu": "pcpu",
  "%mem": "pmem",
  vsize: "vsz",
  rssize: "rss",
  rsz: "rss",
  tt: "tty",
  tname: "tty",
  s: "state",
  ni: "nice",
  thcount: "nlwp",
  stime: "start",
  start_time: "start",
  bsdstart: "start",
  cputime: "time",
  ucomm: "comm",
  ucmd: "comm",
  cmd: "args",
  command: "args",
  euser: "user",
  uname: "user",
  euid: "uid",
  spid: "pid",
  tid: "pid",
};

export interface FormatItem {
  field: string;
  header: string;
}

/** An -o list: "pid,comm" or "pid comm"; "pid=ID" renames (the header takes the rest of that argument, like ps). */
export function parseFormat(text: string): FormatItem[] {
  const out: FormatItem[] = [];
  let rest = text.trim();
  while (rest) {
    const m = /^([^,\s=]+)(=)?/.exec(rest);
    if (!m) {
      rest = rest.replace(/^[,\s]+/, "");
      continue;
    }
    const name = m[1]!.toLowerCase();
    const field = Object.hasOwn(FIELDS, name) ? name : ALIASES[name];
    if (!field) throw new UsageError(`unknown user-defined format specifier "${m[1]}"`);
    if (m[2]) {
      out.push({ field, header: rest.slice(m[0].length) });
      break;
    }
    out.push({ field, header: FIELDS[field]!.header });
    rest = rest.slice(m[0].length).replace(/^[,\s]+/, "");
  }
  if (!out.length) throw new UsageError("improper format list");
  return out;
}

export const DEFAULT_FORMAT = "ctid,pid,vpid,tty,time,comm";
/** BSD syntax (ax) without u: ps's "PID TTY STAT TIME COMMAND" */
export const BSD_FORMAT = "ctid,pid,vpid,tty,stat,time,args";
/** u: ps aux's user-oriented format */
export const USER_FORMAT = "ctid,user,pid,vpid,pcpu,pmem,vsz,rss,tty,stat,start,time,args";

export interface VzpsOptions {
  help: boolean;
  /** -e, -A, or BSD a+x */
  all: boolean;
  /** BSD a alone: every process with a terminal */
  bsdA: boolean;
  /** BSD x alone: every process of the caller's user, with or without a terminal */
  bsdX: boolean;
  /** -E: only these containers (0 = the host) */
  ctids: number[] | null;
  /** -p */
  pids: number[] | null;
  format: FormatItem[];
  noHeader: boolean;
}

export function parseVzpsArgs(argv: readonly string[]): VzpsOptions {
  const o: VzpsOptions = {
    help: false,
    all: false,
    bsdA: false,
    bsdX: false,
    ctids: null,
    pids: null,
    format: [],
    noHeader: false,
  };
  let bsd = false;
  let userFormat = false;
  const formats: string[] = [];
  const addCtids = (v: string, opt: string) => (o.ctids = [...(o.ctids ?? []), ...parseCtidList(v, opt)]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const next = (opt: string, what: string): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${what} must follow ${opt}`);
      return v;
    };
    if (a === "--help") o.help = true;
    else if (a === "--no-headers" || a === "--no-heading") o.noHeader = true;
    else if (a === "--format" || a.startsWith("--format="))
      formats.push(a.includes("=") ? a.slice(a.indexOf("=") + 1) : next(a, "format specification"));
    else if (a === "--ctid" || a.startsWith("--ctid="))
      addCtids(a.includes("=") ? a.slice(a.indexOf("=") + 1) : next(a, "list of container IDs"), "--ctid");
    else if (a.startsWith("--")) throw new UsageError("unknown gnu long option");
    else if (a.startsWith("-")) {
      if (a.length === 1) throw new UsageError("unsupported SysV option");
      for (let j = 1; j < a.length; j++) {
        const c = a[j]!;
        if (c === "e" || c === "A") o.all = true;
        else if (c === "H") o.noHeader = true;
        else if (c === "E" || c === "o" || c === "p") {
          const attached = a.slice(j + 1);
          const what = c === "E" ? "list of container IDs" : c === "o" ? "format specification" : "list of process IDs";
          const v = attached || next(`-${c}`, what);
          if (c === "E") addCtids(v, "-E");
          else if (c === "o") formats.push(v);
          else o.pids = [...(o.pids ?? []), ...parsePidList(v)];
          break;
        } else throw new UsageError("unsupported SysV option");
      }
    } else {
      bsd = true;
      for (let j = 0; j < a.length; j++) {
        const c = a[j]!;
        if (c === "a") o.bsdA = true;
        else if (c === "x") o.bsdX = true;
        else if (c === "u") userFormat = true;
        else if (c === "h") o.noHeader = true;
        else if (c === "o") {
          formats.push(a.slice(j + 1) || next("o", "format specification"));
          break;
        } else throw new UsageError("unsupported option (BSD syntax)");
      }
    }
  }
  if (o.bsdA && o.bsdX) o.all = true;
  o.format = formats.length
    ? formats.flatMap(parseFormat)
    : parseFormat(userFormat ? USER_FORMAT : bsd ? BSD_FORMAT : DEFAULT_FORMAT);
  return o;
}

/** Is this process selected? `self` is the caller (ps's default: same effective uid and same terminal). */
export function isSelected(p: ProcInfo, ctid: number, o: VzpsOptions, self: { euid: number; ttyNr: number }): boolean {
  let sel: boolean;
  if (o.all) sel = true;
  else if (!o.bsdA && !o.bsdX && !o.pids)
    sel = o.ctids ? true : p.status.uid[1] === self.euid && p.ttyNr === self.ttyNr;
  else sel = !!o.pids?.includes(p.pid) || (o.bsdA && p.ttyNr !== 0) || (o.bsdX && p.status.uid[1] === self.euid);
  return sel && (!o.ctids || o.ctids.includes(ctid));
}

/** The output table (ends with a newline; "" when there is nothing to print). */
export function renderVzps(
  procs: Array<{ proc: ProcInfo; ctid: number }>,
  o: VzpsOptions,
  ctx: Omit<FieldCtx, "ctid">,
): string {
  const fields = o.format.map((f) => FIELDS[f.field]!);
  const rows = procs.map(({ proc, ctid }) => fields.map((f) => f.get(proc, { ...ctx, ctid })));
  // like ps: no header line when asked, or when every header was renamed to nothing
  const headers = o.noHeader || o.format.every((f) => f.header === "") ? null : o.format.map((f) => f.header);
  return renderTable(
    headers,
    fields.map((f) => f.align),
    rows,
  );
}

export const VZPS_HELP = `Usage:
 vzps [options]

List the processes of the host and of every container, with the container each one runs in
(CTID 0 = the host) and its pid inside the container (VPID). Runs as root on the host; the running
containers come from the engine at OVZ_SOCKET (default /run/ovz/engine.sock).

Selection (as ps; without one: your processes on your terminal):
 -e, -A            all processes
 ax                all processes (BSD syntax; aux adds the user-oriented format)
 -E CTID[,CTID]    only processes of these containers (repeatable; 0 = host processes)
 -p PID[,PID]      these processes

Output:
 -o FIELD[,FIELD]  choose columns (repeatable; FIELD=HEADER renames the last one)
 u                 user-oriented format (${USER_FORMAT})
 -H, h, --no-headers   no header line
 --help            this text

Fields: ${Object.keys(FIELDS).join(", ")}
Default format: ${DEFAULT_FORMAT}; BSD syntax: ${BSD_FORMAT}
Exit status: 0 when processes were listed, 1 when none matched or on a usage error.
`;

/** The stderr text for a usage error, in procps ps's style. */
export function usageErrorText(e: UsageError): string {
  return `error: ${e.message}\n\nUsage:\n vzps [options]\n\n Try 'vzps --help' for more information.\n`;
}
