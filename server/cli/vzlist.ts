/**
 * `vzlist` and `prlctl list`, compatible with the originals: option parsing, the field tables and the
 * output formats (columns, JSON, the `prlctl list -i` block), as pure functions over `CtRow`s.
 *
 * References (read, not copied):
 *  - vzlist: OpenVZ vzctl 4.x `src/vzlist.c` / `include/vzlist.h` (kolyshkin/vzctl) — the field table
 *    (`field_names[]`), the printf formats of every column, `print_hdr`/`print_one_ve`/`print_one_ve_json`,
 *    `build_field_order`, `collect`, `main` (getopt_long "HtSanjN:h:d:o:s:Le1"), and `man/vzlist.8.in`.
 *    `cpumask` comes from the Virtuozzo 7 vzlist (OpenVZ/vzctl), the only one that has it.
 *  - prlctl: OpenVZ/prlctl `src/PrlList.cpp` (vm_field_tbl, list_vm), `src/PrlOutFormatter.cpp` (plain and
 *    JSON output), `src/GetOpt.cpp` (its own option parser), `src/CmdParam.cpp` (list options),
 *    `src/PrlVm.cpp` (`append_configuration`, the `list -i` block), `src/PrlTypes.h`, `src/Utils.cpp`.
 *
 * One table per tool drives everything: `-L`, `-o`, `-s`, the header, the cells and the JSON keys.
 * Sizes follow the originals' units: vzlist UBC memory in 4 KiB pages, disk quota in 1 KiB blocks;
 * `prlctl list -i` memory in MiB.
 */
import type { CtRow, CtStatus } from "./types.js";
import { CliUsageError, type CliOutput } from "./errors.js";

// ───────────────────────────── shared helpers ─────────────────────────────

/** C's printf counts bytes, not characters; widths are applied to the UTF-8 length like the originals. */
function byteLen(s: string): number {
  return Buffer.byteLength(s, "utf8");
}

/** `%-Ns` / `%Ns`: pad with spaces to `width` bytes; never cuts. */
function pad(s: string, width: number, left: boolean): string {
  const n = width - byteLen(s);
  if (n <= 0) return s;
  return left ? s + " ".repeat(n) : " ".repeat(n) + s;
}

/** The first `width` bytes of `s`, backing off to a character boundary (and space-filling to `width`). */
function cutBytes(s: string, width: number): string {
  if (byteLen(s) <= width) return s;
  let out = "";
  let used = 0;
  for (const ch of s) {
    const b = byteLen(ch);
    if (used + b > width) break;
    out += ch;
    used += b;
  }
  return out + " ".repeat(width - used);
}

/** A printf string format like "%-32s", "%10s", "%-39s " (trailing literal kept). */
interface StrFmt {
  width: number;
  left: boolean;
  suffix: string;
}

function parseFmt(fmt: string): StrFmt {
  const m = /^%(-?)(\d*)s(.*)$/.exec(fmt);
  if (!m) throw new Error(`unsupported format ${fmt}`);
  return { left: m[1] === "-", width: m[2] === "" ? 0 : Number(m[2]), suffix: m[3]! };
}

function applyFmt(f: StrFmt, s: string): string {
  return pad(s, f.width, f.left) + f.suffix;
}

/** strcmp(): byte order of the UTF-8 encodings. */
function strcmp(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

/** vzlist's check_empty_param(): a missing value sorts first; `null` = both present, compare further. */
function nullsFirst(a: unknown, b: unknown): number | null {
  if (a == null && b == null) return 0;
  if (a == null) return -1;
  if (b == null) return 1;
  return null;
}

function cmpBig(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * printf("%.Nf") as glibc does it: the exact binary value rounded to N decimals, ties to even
 * (JavaScript's toFixed rounds ties up). `toFixed(100)` is the exact expansion for the magnitudes here.
 */
export function cFixed(x: number, digits: number): string {
  const neg = x < 0;
  const exact = Math.abs(x).toFixed(100);
  const [ip, fp = ""] = exact.split(".");
  const keep = fp.slice(0, digits);
  const rest = fp.slice(digits);
  let digitsStr = ip! + keep;
  const first = rest.charCodeAt(0) - 48;
  let up = first > 5;
  if (first === 5) {
    const tail = rest.slice(1);
    up = /[1-9]/.test(tail) || (digitsStr.charCodeAt(digitsStr.length - 1) - 48) % 2 === 1;
  }
  if (up) digitsStr = (BigInt(digitsStr) + 1n).toString().padStart(digitsStr.length, "0");
  const intPart = digitsStr.slice(0, digitsStr.length - digits) || "0";
  const frac = digits > 0 ? `.${digitsStr.slice(digitsStr.length - digits)}` : "";
  return `${neg ? "-" : ""}${intPart}${frac}`;
}

const CHAR_CLASSES: Record<string, (c: string) => boolean> = {
  alnum: (c) => /^[A-Za-z0-9]$/.test(c),
  alpha: (c) => /^[A-Za-z]$/.test(c),
  blank: (c) => c === " " || c === "\t",
  cntrl: (c) => /^[\x00-\x1f\x7f]$/.test(c),
  digit: (c) => /^[0-9]$/.test(c),
  graph: (c) => /^[\x21-\x7e]$/.test(c),
  lower: (c) => /^[a-z]$/.test(c),
  print: (c) => /^[\x20-\x7e]$/.test(c),
  punct: (c) => /^[!-/:-@[-`{-~]$/.test(c),
  space: (c) => /^[ \t\n\v\f\r]$/.test(c),
  upper: (c) => /^[A-Z]$/.test(c),
  xdigit: (c) => /^[0-9A-Fa-f]$/.test(c),
};

/** Parse a bracket expression at p[i] === "["; null when it is not a valid one ("[" is then literal). */
function parseBracket(p: string[], i: number): { test: (c: string) => boolean; next: number } | null {
  let j = i + 1;
  let negate = false;
  if (p[j] === "!" || p[j] === "^") {
    negate = true;
    j++;
  }
  const tests: Array<(c: string) => boolean> = [];
  let first = true;
  while (j < p.length) {
    let c = p[j]!;
    if (c === "]" && !first) {
      const t = (ch: string) => tests.some((f) => f(ch)) !== negate;
      return { test: t, next: j + 1 };
    }
    first = false;
    if (c === "[" && p[j + 1] === ":") {
      const end = p.indexOf(":", j + 2);
      if (end > 0 && p[end + 1] === "]") {
        const name = p.slice(j + 2, end).join("");
        const cls = CHAR_CLASSES[name];
        if (!cls) return null;
        tests.push(cls);
        j = end + 2;
        continue;
      }
    }
    if (c === "\\" && j + 1 < p.length) {
      j++;
      c = p[j]!;
    }
    if (p[j + 1] === "-" && p[j + 2] !== undefined && p[j + 2] !== "]") {
      let hi = p[j + 2]!;
      let k = j + 3;
      if (hi === "\\" && p[j + 3] !== undefined) {
        hi = p[j + 3]!;
        k = j + 4;
      }
      const lo = c.codePointAt(0)!;
      const h = hi.codePointAt(0)!;
      tests.push((ch) => {
        const v = ch.codePointAt(0)!;
        return v >= lo && v <= h;
      });
      j = k;
      continue;
    }
    const lit = c;
    tests.push((ch) => ch === lit);
    j++;
  }
  return null;
}

/** fnmatch(pattern, string, 0) — shell wildcards `*`, `?`, `[...]`, backslash escapes (vzlist -h/-N/-d). */
export function fnmatch(pattern: string, str: string): boolean {
  const p = [...pattern];
  const s = [...str];
  const match = (pi: number, si: number): boolean => {
    while (pi < p.length) {
      const c = p[pi]!;
      if (c === "*") {
        while (p[pi] === "*") pi++;
        if (pi === p.length) return true;
        for (let k = si; k <= s.length; k++) if (match(pi, k)) return true;
        return false;
      }
      if (si >= s.length) return false;
      if (c === "?") {
        pi++;
        si++;
        continue;
      }
      if (c === "[") {
        const br = parseBracket(p, pi);
        if (br) {
          if (!br.test(s[si]!)) return false;
          pi = br.next;
          si++;
          continue;
        }
      }
      let lit = c;
      if (c === "\\" && pi + 1 < p.length) {
        pi++;
        lit = p[pi]!;
      }
      if (s[si] !== lit) return false;
      pi++;
      si++;
    }
    return si === s.length;
  };
  return match(0, 0);
}

// ───────────────────────────── vzlist ─────────────────────────────

/** vzlist's usage(), printed to stdout on --help and after every getopt error. */
export const VZLIST_USAGE =
  "Usage:\tvzlist [-a | -S] [-n] [-H] [-o field[,field...] | -1] [-s [-]field]\n" +
  "\t       [-h pattern] [-N pattern] [-d pattern] [CTID [CTID ...]]\n" +
  "\tvzlist -L | --list\n" +
  "\n" +
  "Options:\n" +
  "\t-a, --all\t\tlist all containers\n" +
  "\t-S, --stopped\t\tlist stopped containers\n" +
  "\t-n, --name\t\tdisplay containers' names\n" +
  "\t-H, --no-header\t\tsuppress columns header\n" +
  "\t-t, --no-trim\t\tdo not trim long values\n" +
  "\t-j, --json\t\toutput in JSON format\n" +
  "\t-o, --output\t\toutput only specified fields\n" +
  "\t-1\t\t\tsynonym for -H -octid\n" +
  "\t-s, --sort\t\tsort by the specified field\n" +
  "\t\t\t\t('-field' to reverse sort order)\n" +
  "\t-h, --hostname\t\tfilter CTs by hostname pattern\n" +
  "\t-N, --name_filter\tfilter CTs by name pattern\n" +
  "\t-d, --description\tfilter CTs by description pattern\n" +
  "\t-L, --list\t\tget possible field names\n";

const VZLIST_DEFAULT_FIELDS = "ctid,numproc,status,ip,hostname";
const VZLIST_NAME_FIELDS = "smart_name,numproc,status,ip,hostname";

/** vzlist status words; the order is the original's enum (status sort order), ours appended. */
const VZ_STATUS_ORDER: Record<CtStatus, number> = { running: 0, stopped: 1, mounted: 2, suspended: 3, creating: 4, error: 5 };

/** "unlimited" as the originals print it (LONG_MAX on 64-bit). */
const LONG_MAX = 9223372036854775807n;
const PAGE = 4096;

type UbcRes = "numproc" | "physpages" | "numfile" | "swappages";
/** held, maxheld, barrier, limit, failcnt — as /proc/user_beancounters (memory in pages). */
interface Ubc {
  held: bigint | null;
  barrier: bigint;
  limit: bigint;
  failcnt: bigint;
}
type DqRes = "diskspace" | "diskinodes";
/** usage, soft limit, hard limit — diskspace in 1 KiB blocks, diskinodes in inodes. */
interface Dq {
  usage: bigint;
  soft: bigint;
  hard: bigint;
}

/** One container as vzlist sees it (values already in the original's units). */
interface VzCt {
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

const nonEmpty = (s: string | null | undefined): string | null => (s == null || s === "" ? null : s);
const big = (n: number): bigint => BigInt(Math.floor(n));

function vzView(row: CtRow): VzCt {
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
      swappages: { held: held(row.swappages, PAGE), barrier: 0n, limit: big(l.swap / PAGE), failcnt: fail("swappages") },
    },
    dq: {
      diskspace: { usage: row.diskspace == null ? 0n : big(row.diskspace / 1024), soft: big(l.diskspace / 1024), hard: big(l.diskspace / 1024) },
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
    la: running && row.laverage ? [Math.fround(row.laverage[0]), Math.fround(row.laverage[1]), Math.fround(row.laverage[2])] : null,
    uptime: running && row.uptime != null ? Math.fround(row.uptime) : null,
  };
}

type Cmp<T> = (a: T, b: T) => number;

/** One vzlist field: `-o`/`-s`/`-L` name, header, column format, JSON eligibility, renderers, order. */
export interface VzField {
  name: string;
  header: string;
  /** printf format of header and cell, e.g. "%10s", "%-32s" */
  fmt: string;
  /** 0 = base field (listed by -j, allowed with -j -o); suffix variants are not available in JSON */
  index: number;
  /** the column text; `cut` = the field is not the last one and -t was not given */
  cell: (ct: VzCt, cut: boolean) => string;
  /** the JSON value literal */
  json: (ct: VzCt) => string;
  /** null: the original's none_sort_fn (order unchanged) */
  cmp: Cmp<VzCt> | null;
}

const jsonStr = (s: string | null): string => (s == null ? "null" : JSON.stringify(s));

/** PRINT_STR_FIELD: "-" when unset; cut to the column width unless last (or -t). */
function strCell(value: string | null, fmt: string, cut: boolean): string {
  const f = parseFmt(fmt);
  const s = pad(value ?? "-", f.width, f.left);
  return cut ? cutBytes(s, f.width) : s;
}

const byId: Cmp<VzCt> = (a, b) => a.ctid - b.ctid;
const byStr =
  (get: (ct: VzCt) => string | null): Cmp<VzCt> =>
  (a, b) => {
    const x = get(a);
    const y = get(b);
    return nullsFirst(x, y) ?? strcmp(x!, y!);
  };

function strField(name: string, header: string, fmt: string, get: (ct: VzCt) => string | null): VzField {
  return { name, header, fmt, index: 0, cell: (ct, cut) => strCell(get(ct), fmt, cut), json: (ct) => jsonStr(get(ct)), cmp: byStr(get) };
}

const UBC_SUFFIX = ["", ".m", ".b", ".l", ".f"] as const;

/** The value vzlist keeps at index i (0 held, 1 maxheld, 2 barrier, 3 limit, 4 failcnt) for sorting. */
function ubcStored(u: Ubc, running: boolean, i: number): bigint {
  switch (i) {
    case 0:
    case 1:
      return running ? (u.held ?? 0n) : 0n;
    case 2:
      return u.barrier;
    case 3:
      return u.limit;
    default:
      return running ? u.failcnt : 0n;
  }
}

/**
 * UBC_FIELD(): name, name.m, name.b, name.l, name.f, "%10s"; "-" for held/maxheld/failcnt of a
 * container that is not running; JSON is the {held,maxheld,barrier,limit,failcnt} object.
 * `.m` is left out (no peak in CtRow) — `indexes` lists what we can supply.
 * Sorting mirrors vzlist.c exactly, including its swap: `name.b` sorts by the limit, `name.l` by the barrier.
 */
function ubcFields(res: UbcRes, header: string, indexes: readonly number[]): VzField[] {
  return indexes.map((i) => ({
    name: `${res}${UBC_SUFFIX[i]}`,
    header: `${header}${UBC_SUFFIX[i]!.toUpperCase()}`,
    fmt: "%10s",
    index: i,
    cell: (ct) => {
      const u = ct.ubc[res];
      if (!ct.running && (i === 0 || i === 1 || i === 4)) return pad("-", 10, false);
      const v = i === 0 || i === 1 ? u.held : i === 2 ? u.barrier : i === 3 ? u.limit : u.failcnt;
      return pad(v == null ? "-" : v.toString(), 10, false);
    },
    json: (ct) => {
      const u = ct.ubc[res];
      const held = ct.running ? (u.held ?? 0n) : 0n;
      return (
        "{\n" +
        `      "held": ${held},\n` +
        // maxheld: CtRow has no peak; the current usage is the only lower bound we know
        `      "maxheld": ${held},\n` +
        `      "barrier": ${u.barrier},\n` +
        `      "limit": ${u.limit},\n` +
        `      "failcnt": ${ct.running ? u.failcnt : 0n}\n` +
        "    }"
      );
    },
    cmp: (a, b) => {
      const si = i === 2 ? 3 : i === 3 ? 2 : i;
      return cmpBig(ubcStored(a.ubc[res], a.running, si), ubcStored(b.ubc[res], b.running, si));
    },
  }));
}

/** diskspace / diskinodes, .s, .h: "%10s", "-" for a zero usage; JSON {usage,softlimit,hardlimit}. */
function dqFields(res: DqRes, header: string): VzField[] {
  const pick = (d: Dq, i: number) => (i === 0 ? d.usage : i === 1 ? d.soft : d.hard);
  return ["", ".s", ".h"].map((suffix, i) => ({
    name: `${res}${suffix}`,
    header: `${header}${suffix.toUpperCase()}`,
    fmt: "%10s",
    index: i,
    cell: (ct) => {
      const v = pick(ct.dq[res], i);
      return pad(i === 0 && v === 0n ? "-" : v.toString(), 10, false);
    },
    json: (ct) => {
      const d = ct.dq[res];
      return "{\n" + `      "usage": ${ct.running ? d.usage : 0n},\n` + `      "softlimit": ${d.soft},\n` + `      "hardlimit": ${d.hard}\n` + "    }";
    },
    cmp: (a, b) => cmpBig(pick(a.dq[res], i), pick(b.dq[res], i)),
  }));
}

function uptimeText(seconds: number): string {
  const days = Math.trunc(seconds / 86400);
  let min = Math.trunc(seconds / 60);
  const hours = Math.trunc(min / 60) % 24;
  min %= 60;
  const secs = Math.trunc(seconds - (60 * min + 3600 * hours + 86400 * days));
  const z = (n: number, w: number) => String(n).padStart(w, "0");
  return `${z(days, 3)}d${z(hours, 2)}h:${z(min, 2)}m:${z(secs, 2)}s`;
}

const yesNo = (v: boolean, width: number) => pad(v ? "yes" : "no", width, false);

/**
 * The vzlist field table, in the original's order, restricted to what a CtRow can supply.
 * Left out (so `-o`/`-s` give "Unknown field"/"Invalid sort field name"): mount_opts, origin_sample,
 * nameserver, searchdomain, every .m (maxheld), kmemsize, lockedpages, privvmpages, shmpages,
 * vmguarpages, oomguarpages, numtcpsock, numflock, numpty, numsiginfo, tcpsndbuf, tcprcvbuf,
 * othersockbuf, dgramrcvbuf, numothersock, dcachesize, numfile (held), numiptent (all suffixes),
 * ioprio, bootorder, layout, features, disabled.
 */
export const VZLIST_FIELDS: readonly VzField[] = [
  ...["ctid", "veid", "vpsid"].map(
    (name): VzField => ({
      name,
      header: "CTID",
      fmt: "%10s",
      index: 0,
      cell: (ct) => pad(String(ct.ctid), 10, false),
      json: (ct) => String(ct.ctid),
      cmp: byId,
    }),
  ),
  strField("private", "PRIVATE", "%-32s", (ct) => ct.private),
  strField("root", "ROOT", "%-32s", (ct) => ct.root),
  strField("hostname", "HOSTNAME", "%-32s", (ct) => ct.hostname),
  strField("name", "NAME", "%-32s", (ct) => ct.name),
  {
    // the name (as "%10s", cut to 10) or, without one, the CTID
    name: "smart_name",
    header: "SMARTNAME",
    fmt: "%10s",
    index: 0,
    cell: (ct, cut) => (ct.name != null ? strCell(ct.name, "%10s", cut) : pad(String(ct.ctid), 10, false)),
    json: (ct) => (ct.name != null ? jsonStr(ct.name) : String(ct.ctid)),
    cmp: byStr((ct) => ct.name),
  },
  strField("description", "DESCRIPTION", "%-32s", (ct) => ct.description),
  strField("ostemplate", "OSTEMPLATE", "%-32s", (ct) => ct.ostemplate),
  {
    // print_strlist(): all addresses when last (or -t), else the first one, cut to 15
    name: "ip",
    header: "IP_ADDR",
    fmt: "%-15s",
    index: 0,
    cell: (ct, cut) => {
      let s = ct.ipList ?? "-";
      if (cut) s = s.split(" ")[0]!;
      s = pad(s, 15, true);
      return cut ? cutBytes(s, 15) : s;
    },
    json: (ct) => `[${ct.row.ips.map((ip) => JSON.stringify(ip)).join(", ")}]`,
    cmp: byStr((ct) => ct.ipList),
  },
  {
    name: "status",
    header: "STATUS",
    fmt: "%-9s",
    index: 0,
    cell: (ct) => pad(ct.row.status, 9, true),
    json: (ct) => JSON.stringify(ct.row.status),
    cmp: (a, b) => VZ_STATUS_ORDER[a.row.status] - VZ_STATUS_ORDER[b.row.status] || byId(a, b),
  },
  ...ubcFields("numproc", "NPROC", [0, 2, 3, 4]),
  ...ubcFields("physpages", "PHYSP", [0, 2, 3, 4]),
  ...ubcFields("numfile", "NFILE", [2, 3, 4]),
  ...ubcFields("swappages", "SWAPP", [0, 2, 3, 4]),
  ...dqFields("diskspace", "DSPACE"),
  ...dqFields("diskinodes", "DINODES"),
  {
    name: "laverage",
    header: "LAVERAGE",
    fmt: "%14s",
    index: 0,
    cell: (ct) => (ct.la ? ct.la.map((v) => cFixed(v, 2)).join("/") : pad("-", 14, false)),
    json: (ct) => (ct.la ? `[${ct.la.map((v) => cFixed(v, 2)).join(", ")}]` : "null"),
    cmp: (a, b) => {
      const n = nullsFirst(a.la, b.la);
      if (n != null) return n;
      for (let i = 0; i < 3; i++) {
        const d = Math.trunc((a.la![i]! - b.la![i]!) * 100);
        if (d !== 0) return d;
      }
      return 0;
    },
  },
  {
    name: "uptime",
    header: "UPTIME",
    fmt: "%15s",
    index: 0,
    cell: (ct) => (ct.uptime == null ? pad("-", 15, false) : uptimeText(ct.uptime)),
    json: (ct) => cFixed(ct.uptime ?? 0, 3),
    // longest uptime first (the original compares b - a)
    cmp: (a, b) => nullsFirst(a.uptime, b.uptime) ?? Math.trunc(b.uptime! - a.uptime!),
  },
  {
    name: "cpulimit",
    header: "CPULIM",
    fmt: "%7s",
    index: 0,
    cell: (ct) => pad(String(ct.cpulimit), 7, false),
    json: (ct) => String(ct.cpulimit),
    cmp: (a, b) => a.cpulimit - b.cpulimit,
  },
  {
    name: "cpuunits",
    header: "CPUUNI",
    fmt: "%7s",
    index: 0,
    cell: (ct) => pad(String(ct.cpuunits), 7, false),
    json: (ct) => String(ct.cpuunits),
    cmp: (a, b) => a.cpuunits - b.cpuunits,
  },
  {
    name: "cpus",
    header: "CPUS",
    fmt: "%5s",
    index: 0,
    cell: (ct) => pad(ct.cpus <= 0 ? "-" : String(ct.cpus), 5, false),
    json: (ct) => String(Math.max(0, ct.cpus)),
    cmp: (a, b) => a.cpus - b.cpus,
  },
  {
    // Virtuozzo 7 vzlist: "%16s", not available in JSON (index 1 there)
    name: "cpumask",
    header: "CPUMASK",
    fmt: "%16s",
    index: 1,
    cell: (ct) => pad(ct.cpumask ?? "-", 16, false),
    json: (ct) => jsonStr(ct.cpumask),
    cmp: null,
  },
  {
    name: "onboot",
    header: "ONBOOT",
    fmt: "%6s",
    index: 0,
    cell: (ct) => yesNo(ct.row.onboot, 6),
    json: (ct) => String(ct.row.onboot),
    cmp: null,
  },
  {
    // a RAM limit (PHYSPAGES limit) is always configured here
    name: "vswap",
    header: "VSWAP",
    fmt: "%5s",
    index: 0,
    cell: () => yesNo(true, 5),
    json: () => "true",
    cmp: null,
  },
];

const VZ_FIELD_BY_NAME = new Map(VZLIST_FIELDS.map((f) => [f.name, f]));

export interface VzlistSort {
  field: string;
  reverse: boolean;
}

/** Parsed `vzlist` command line. */
export interface VzlistOptions {
  /** "list" (the normal run), "fields" (-L: print the field table, exit 0), "help" (--help: usage, exit 1) */
  action: "list" | "fields" | "help";
  /** -a */
  all: boolean;
  /** -S: not running ones only */
  stoppedOnly: boolean;
  /** false with -H or -1 */
  header: boolean;
  /** false with -t */
  trim: boolean;
  /** -j */
  json: boolean;
  /** the output columns; null only with -j and no -o/-1/-n (= every base field) */
  fields: readonly VzField[] | null;
  /** -s [-]field; null = by CTID */
  sort: VzlistSort | null;
  /** -h, -N, -d shell patterns */
  hostnamePattern: string | null;
  namePattern: string | null;
  descriptionPattern: string | null;
  /** positional CTIDs, or names still to be resolved against the rows */
  targets: Array<number | string>;
}

interface LongOpt {
  name: string;
  hasArg: boolean;
  key: string;
}

type GetoptEvent = { key: string; arg: string | null } | { error: string };

/**
 * GNU getopt_long(), as far as vzlist uses it: short clusters ("-aH", "-octid"), long options with
 * unique-prefix abbreviation ("--no-h"), "--opt=value" / "--opt value", permutation (operands may come
 * before options) and "--". Error texts are glibc's; `operands` receives the non-option arguments.
 */
function* gnuGetopt(prog: string, argv: readonly string[], shortSpec: string, longs: readonly LongOpt[], operands: string[]): Generator<GetoptEvent> {
  const shortArg = new Map<string, boolean>();
  for (let k = 0; k < shortSpec.length; k++) {
    const c = shortSpec[k]!;
    if (c === ":") continue;
    shortArg.set(c, shortSpec[k + 1] === ":");
  }
  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a === "--") {
      operands.push(...argv.slice(i + 1));
      return;
    }
    if (a.startsWith("--")) {
      const body = a.slice(2);
      const eq = body.indexOf("=");
      const name = eq < 0 ? body : body.slice(0, eq);
      let opt = longs.find((l) => l.name === name);
      if (!opt) {
        const cands = longs.filter((l) => l.name.startsWith(name));
        if (cands.length > 1) {
          yield { error: `${prog}: option '--${body}' is ambiguous; possibilities:${cands.map((c) => ` '--${c.name}'`).join("")}` };
          return;
        }
        opt = cands[0];
      }
      if (!opt) {
        yield { error: `${prog}: unrecognized option '--${body}'` };
        return;
      }
      i++;
      let arg: string | null = null;
      if (opt.hasArg) {
        if (eq >= 0) arg = body.slice(eq + 1);
        else if (i < argv.length) arg = argv[i++]!;
        else {
          yield { error: `${prog}: option '--${opt.name}' requires an argument` };
          return;
        }
      } else if (eq >= 0) {
        yield { error: `${prog}: option '--${opt.name}' doesn't allow an argument` };
        return;
      }
      yield { key: opt.key, arg };
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      i++;
      const chars = [...a.slice(1)];
      for (let j = 0; j < chars.length; j++) {
        const c = chars[j]!;
        const takesArg = shortArg.get(c);
        if (takesArg === undefined) {
          yield { error: `${prog}: invalid option -- '${c}'` };
          return;
        }
        if (!takesArg) {
          yield { key: c, arg: null };
          continue;
        }
        let arg: string;
        if (j + 1 < chars.length) arg = chars.slice(j + 1).join("");
        else if (i < argv.length) arg = argv[i++]!;
        else {
          yield { error: `${prog}: option requires an argument -- '${c}'` };
          return;
        }
        yield { key: c, arg };
        break;
      }
      continue;
    }
    operands.push(a);
    i++;
  }
}

const VZLIST_LONG: readonly LongOpt[] = [
  { name: "no-header", hasArg: false, key: "H" },
  { name: "no-trim", hasArg: false, key: "t" },
  { name: "stopped", hasArg: false, key: "S" },
  { name: "all", hasArg: false, key: "a" },
  { name: "name", hasArg: false, key: "n" },
  { name: "json", hasArg: false, key: "j" },
  { name: "name_filter", hasArg: true, key: "N" },
  { name: "hostname", hasArg: true, key: "h" },
  { name: "description", hasArg: true, key: "d" },
  { name: "output", hasArg: true, key: "o" },
  { name: "sort", hasArg: true, key: "s" },
  { name: "list", hasArg: false, key: "L" },
  { name: "help", hasArg: false, key: "e" },
];

/** strtol(s, &ep, 10) accepting only a whole, non-zero number (vzlist main()). */
function wholeNumber(s: string): number | null {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)$/.exec(s);
  if (!m) return null;
  const n = Number(m[1]);
  return n === 0 ? null : n;
}

/** build_field_order(): the comma list into fields, with vzlist's errors. */
function vzFieldOrder(spec: string, json: boolean): VzField[] {
  const out: VzField[] = [];
  let sp = 0;
  do {
    let p = spec.indexOf(",", sp);
    if (p < 0) p = spec.length;
    if (p - sp > 30) throw new CliUsageError(`Invalid field: ${spec.slice(sp)}`);
    const name = spec.slice(sp, p);
    sp = p + 1;
    const f = VZ_FIELD_BY_NAME.get(name);
    if (!f) throw new CliUsageError(`Unknown field: ${name}`);
    if (json && f.index !== 0) throw new CliUsageError(`Field \`${name}' is not available in JSON output`);
    out.push(f);
  } while (sp < spec.length);
  return out;
}

/**
 * Parse vzlist's arguments (without the program name) the way vzlist.c does, in the same order:
 * options left to right (`-L` and `--help` end parsing at once; a bad `-s` field fails at once), then
 * the positional CTIDs/names, then the field list. Throws CliUsageError with the original's text and
 * exit code; getopt errors carry the usage for stdout. Names are resolved with `resolveName` when given
 * (error "CT ID x is invalid."), else left for formatVzlist to resolve against the rows.
 */
export function parseVzlistArgs(argv: readonly string[], env: { resolveName?: (name: string) => number | null } = {}): VzlistOptions {
  const o: VzlistOptions = {
    action: "list",
    all: false,
    stoppedOnly: false,
    header: true,
    trim: true,
    json: false,
    fields: null,
    sort: null,
    hostnamePattern: null,
    namePattern: null,
    descriptionPattern: null,
    targets: [],
  };
  let fieldSpec: string | null = null;
  const operands: string[] = [];
  for (const ev of gnuGetopt("vzlist", argv, "HtSanjN:h:d:o:s:Le1", VZLIST_LONG, operands)) {
    if ("error" in ev) throw new CliUsageError(ev.error, { stdout: VZLIST_USAGE, exitCode: 1 });
    const arg = ev.arg ?? "";
    switch (ev.key) {
      case "S":
        o.stoppedOnly = true;
        break;
      case "t":
        o.trim = false;
        break;
      case "H":
        o.header = false;
        break;
      case "L":
        return { ...o, action: "fields" };
      case "a":
        o.all = true;
        break;
      case "h":
        o.hostnamePattern = arg;
        break;
      case "d":
        o.descriptionPattern = arg;
        break;
      case "o":
        fieldSpec = arg;
        break;
      case "s": {
        const reverse = arg.startsWith("-");
        const field = reverse ? arg.slice(1) : arg;
        if (!VZ_FIELD_BY_NAME.has(field)) throw new CliUsageError(`Invalid sort field name: ${arg}`);
        // like the original, a '-' once seen keeps the order reversed
        o.sort = { field, reverse: reverse || (o.sort?.reverse ?? false) };
        break;
      }
      case "1":
        fieldSpec = "veid";
        o.header = false;
        break;
      case "n":
        fieldSpec = VZLIST_NAME_FIELDS;
        break;
      case "N":
        o.namePattern = arg;
        break;
      case "j":
        o.json = true;
        break;
      default:
        // --help / -e: vzlist has no case for it — usage on stdout, exit 1
        return { ...o, action: "help" };
    }
  }
  for (const a of operands) {
    const n = wholeNumber(a);
    if (n != null) o.targets.push(n);
    else if (env.resolveName) {
      const id = env.resolveName(a);
      if (id == null || id < 0) throw new CliUsageError(`CT ID ${a} is invalid.`);
      o.targets.push(id);
    } else o.targets.push(a);
  }
  if (fieldSpec == null) o.fields = o.json ? null : vzFieldOrder(VZLIST_DEFAULT_FIELDS, false);
  else o.fields = vzFieldOrder(fieldSpec, o.json);
  return o;
}

/** `vzlist -L`: every field name and header, "%-15s %-15s". */
export function vzlistFieldList(): string {
  return VZLIST_FIELDS.map((f) => `${pad(f.name, 15, true)} ${pad(f.header, 15, true)}\n`).join("");
}

/** trim_eol_space(): drop trailing whitespace of the line. */
const trimEol = (s: string) => s.replace(/[ \t\n\v\f\r]+$/, "");

/**
 * Run vzlist over `rows` (the whole node; order irrelevant): selection, filters, sorting and output,
 * as stdout/stderr/exit code. Default: running containers only; -a all; -S the not running ones;
 * positional CTIDs select those in any state. Nothing selected: "Container(s) not found" on stderr and
 * no output, exit 1 when CTIDs were given, else 0 (vzlist.c main(), bug #2149).
 */
export function formatVzlist(rows: readonly CtRow[], opts: VzlistOptions): CliOutput {
  if (opts.action === "fields") return { stdout: vzlistFieldList(), stderr: "", exitCode: 0 };
  if (opts.action === "help") return { stdout: VZLIST_USAGE, stderr: "", exitCode: 1 };

  let targets: Set<number> | null = null;
  if (opts.targets.length) {
    targets = new Set();
    for (const t of opts.targets) {
      if (typeof t === "number") targets.add(t);
      else {
        const r = rows.find((x) => x.name === t);
        if (!r) return { stdout: "", stderr: `CT ID ${t} is invalid.\n`, exitCode: 1 };
        targets.add(r.ctid);
      }
    }
  }
  const everyState = opts.all || opts.stoppedOnly || targets != null;
  let cts = rows
    .filter((r) => (targets ? targets.has(r.ctid) : true) && (everyState || r.status === "running"))
    .map(vzView)
    .sort(byId);
  if (cts.length === 0) return { stdout: "", stderr: "Container(s) not found\n", exitCode: targets ? 1 : 0 };

  const hidden = (ct: VzCt) =>
    (opts.hostnamePattern != null && (ct.hostname == null || !fnmatch(opts.hostnamePattern, ct.hostname))) ||
    (opts.namePattern != null && (ct.name == null || !fnmatch(opts.namePattern, ct.name))) ||
    (opts.descriptionPattern != null && (ct.description == null || !fnmatch(opts.descriptionPattern, ct.description)));

  if (opts.sort && opts.sort.field !== "ctid") {
    const cmp = VZ_FIELD_BY_NAME.get(opts.sort.field)!.cmp;
    if (cmp) cts = [...cts].sort(cmp);
  }
  if (opts.sort?.reverse) cts = [...cts].reverse();
  const shown = cts.filter((ct) => !hidden(ct) && !(opts.stoppedOnly && ct.running));

  if (opts.json) {
    const fields = opts.fields ?? VZLIST_FIELDS.filter((f) => f.index === 0);
    let out = "[";
    shown.forEach((ct, n) => {
      out += `${n ? "," : ""}\n  {`;
      fields.forEach((f, k) => {
        out += `${k ? "," : ""}\n    "${f.name}": ${f.json(ct)}`;
      });
      out += "\n  }";
    });
    return { stdout: `${out}\n]\n`, stderr: "", exitCode: 0 };
  }

  const fields = opts.fields ?? [];
  const lines: string[] = [];
  if (opts.header) lines.push(trimEol(fields.map((f) => applyFmt(parseFmt(f.fmt), f.header)).join(" ")));
  for (const ct of shown) {
    lines.push(trimEol(fields.map((f, k) => f.cell(ct, opts.trim && k < fields.length - 1)).join(" ")));
  }
  return { stdout: lines.map((l) => `${l}\n`).join(""), stderr: "", exitCode: 0 };
}

// ───────────────────────────── prlctl list ─────────────────────────────

/**
 * The UUID `prlctl` shows for a container: derived from the CTID, stable and reversible —
 * "{00000000-0000-0000-0000-" + CTID as 12 decimal digits + "}" (101 → …-000000000101}).
 * Not an RFC 4122 UUID, but the same shape and length (38 with braces), so columns line up.
 */
export function ctUuid(ctid: number): string {
  return `{00000000-0000-0000-0000-${String(ctid).padStart(12, "0")}}`;
}

/** One container as prlctl sees it. */
interface PrlCt {
  row: CtRow;
  uuid: string;
  /** every Virtuozzo container has a name; ours may not: the CTID then */
  name: string;
  /** IPv4, then IPv6, then link-local IPv6 (PrlList.cpp SortNetAddresses) */
  ips: string[];
}

function prlView(row: CtRow): PrlCt {
  const v6 = (ip: string) => ip.includes(":");
  const ll = (ip: string) => /^fe80:/i.test(ip);
  const ips = [...row.ips.filter((ip) => !v6(ip)), ...row.ips.filter((ip) => v6(ip) && !ll(ip)), ...row.ips.filter((ip) => v6(ip) && ll(ip))];
  return { row, uuid: ctUuid(row.ctid), name: nonEmpty(row.name) ?? String(row.ctid), ips };
}

/** One `prlctl list` field (vm_field_tbl). */
export interface PrlField {
  name: string;
  header: string;
  /** printf format including the separating space, e.g. "%-39s "; the last column prints "%s" */
  fmt: string;
  /** accepted by -o/-s but not listed by -L */
  hidden: boolean;
  /** container-only field (left out of -L with --vmtype vm) */
  ctOnly?: boolean;
  value: (ct: PrlCt, last: boolean) => string;
  cmp: Cmp<PrlCt> | null;
}

const dashIfEmpty = (s: string | null | undefined) => (s == null || s === "" ? "-" : s);
const byUuid: Cmp<PrlCt> = (a, b) => strcmp(a.uuid, b.uuid);
const byPrlName: Cmp<PrlCt> = (a, b) => strcmp(a.name, b.name);

/** _get_ip(): the first address, or (last column) all of them, each followed by a space, plus one more. */
function prlIp(ct: PrlCt, last: boolean): string {
  if (!last) return dashIfEmpty(ct.ips[0]);
  return `${ct.ips.map((ip) => `${ip} `).join("")} `;
}

/**
 * The prlctl list field table, in the original's order, restricted to what a CtRow can supply.
 * Left out: system-flags (VMs), netif, mac, features, location, netdev, ha_enable, ha_prio.
 */
export const PRLCTL_FIELDS: readonly PrlField[] = [
  { name: "uuid", header: "UUID", fmt: "%-39s ", hidden: false, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "id", header: "UUID", fmt: "%-39s ", hidden: true, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "ctid", header: "UUID", fmt: "%-39s ", hidden: true, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "veid", header: "UUID", fmt: "%-39s ", hidden: true, value: (ct) => ct.uuid, cmp: byUuid },
  { name: "envid", header: "ENVID", fmt: "%-10s ", hidden: false, value: (ct) => String(ct.row.ctid), cmp: null },
  { name: "status", header: "STATUS", fmt: "%-12s ", hidden: false, value: (ct) => ct.row.status, cmp: null },
  { name: "name", header: "NAME", fmt: "%-32s ", hidden: false, value: (ct) => ct.name, cmp: byPrlName },
  { name: "dist", header: "DIST", fmt: "%-15s ", hidden: false, value: (ct) => dashIfEmpty(ct.row.ostemplate), cmp: null },
  { name: "owner", header: "OWNER", fmt: "%-32s ", hidden: false, value: (ct) => ct.row.owner, cmp: null },
  { name: "description", header: "DESCRIPTION", fmt: "%-32s ", hidden: false, value: (ct) => dashIfEmpty(ct.row.description), cmp: null },
  // prlctl prints "-" for it, always
  { name: "numproc", header: "NPROC", fmt: "%9s ", hidden: false, ctOnly: true, value: () => "-", cmp: null },
  { name: "ip", header: "IP_ADDR", fmt: "%-15s ", hidden: false, value: prlIp, cmp: null },
  { name: "ip_configured", header: "IP_ADDR", fmt: "%-15s ", hidden: false, value: prlIp, cmp: null },
  { name: "hostname", header: "HOSTNAME", fmt: "%-32s ", hidden: false, value: (ct) => dashIfEmpty(ct.row.hostname), cmp: null },
  { name: "ostemplate", header: "OSTEMPLATE", fmt: "%-24s ", hidden: true, value: (ct) => ct.row.ostemplate, cmp: null },
  { name: "iolimit", header: "IOLIMIT", fmt: "%-10s ", hidden: false, value: (ct) => String(ct.row.limits.iolimit), cmp: null },
  { name: "type", header: "T", fmt: "%-2s ", hidden: false, value: () => "CT", cmp: null },
  { name: "-", header: "-", fmt: "%-10s ", hidden: false, value: () => "-", cmp: null },
];

const PRL_FIELD_BY_NAME = new Map(PRLCTL_FIELDS.map((f) => [f.name, f]));

const PRL_DEFAULT_FIELDS = "uuid,status,ip_configured,type,name";
const PRL_COMPAT_FIELDS = "status,ip,name";
const PRL_COMPAT_NAME_FIELDS = "uuid,numproc,status,ip,name";
const PRL_TEMPLATE_FIELDS = "uuid,dist,type,name";

/** A short usage of `prlctl list` (prlctl prints its whole usage_vm() on --help, exit 0). */
export const PRLCTL_LIST_USAGE =
  "Usage: prlctl list [-a,--all] [-L] [-o,--output field[,field...]] [-s,--sort <field|-field>]\n" +
  "\t[-t,--template] [--vmtype <ct|vm|all>] [-j,--json] [-H,--no-header] [-S,--stopped]\n" +
  "       prlctl list -i,--info [-f,--full] [<ve_id|ve_name>] [-t,--template] [--vmtype ct|vm|all] [-j,--json]\n";

/** Parsed `prlctl list` command line. */
export interface PrlctlListOptions {
  /** "list", "info" (-i), "fields" (-L: field table, exit 0), "help" (--help anywhere: usage, exit 0) */
  action: "list" | "info" | "fields" | "help";
  /** -a */
  all: boolean;
  /** -S: containers in state "stopped" only */
  stoppedOnly: boolean;
  /** false with -H */
  header: boolean;
  /** -j */
  json: boolean;
  /** -t: templates only (there are none: the list is empty) */
  templates: boolean;
  /** --vmtype; "vm" lists nothing (containers only here) */
  vmtype: "ct" | "vm" | "all";
  /** -f (with -i): accepted; the extra full-mode lines are not produced */
  full: boolean;
  /** --compat: vzctl-compatible defaults, unknown -o fields become "-" columns */
  compat: boolean;
  /** the columns (empty for -i / -L / help) */
  fields: readonly PrlField[];
  /** the sort field (default name; with -o, the first column) */
  sort: { field: string; reverse: boolean } | null;
  /** the container asked for: UUID (with or without braces), name or CTID; also what an unknown option becomes */
  id: string | null;
  /** non-fatal messages the original prints to stderr before listing */
  warnings: string[];
  /** global options, accepted: -v/--verbose, --timeout, -l/--login, -p/--read-passwd */
  global: { verbose: string | null; timeout: string | null; login: string | null; readPasswd: string[] };
}

interface PrlOpt {
  long: string;
  short: string;
  hasArg: boolean;
}

const PRLCTL_LIST_OPTS: readonly PrlOpt[] = [
  { long: "verbose", short: "v", hasArg: true },
  { long: "timeout", short: "", hasArg: true },
  { long: "login", short: "l", hasArg: true },
  { long: "read-passwd", short: "p", hasArg: true },
  { long: "compat", short: "", hasArg: false },
  { long: "output", short: "o", hasArg: true },
  { long: "all", short: "a", hasArg: false },
  { long: "no-header", short: "H", hasArg: false },
  { long: "sort", short: "s", hasArg: true },
  { long: "stopped", short: "S", hasArg: false },
  { long: "name", short: "n", hasArg: false },
  { long: "template", short: "t", hasArg: false },
  { long: "vmtype", short: "", hasArg: true },
  { long: "info", short: "i", hasArg: false },
  { long: "json", short: "j", hasArg: false },
  { long: "full", short: "f", hasArg: false },
  { long: "list", short: "L", hasArg: false },
];

/** get_field_order(): names into fields; unknown → error (or, --compat, a "-" column). */
function prlFieldOrder(spec: string, compat: boolean, warnings: string[]): PrlField[] {
  const out: PrlField[] = [];
  let sp = 0;
  do {
    let p = spec.indexOf(",", sp);
    if (p < 0) p = spec.length;
    if (p - sp > 30) {
      // the original warns and keeps the fields it already has
      warnings.push(`The ${spec.slice(sp)} field name is unknown.`);
      break;
    }
    const name = spec.slice(sp, p);
    sp = p + 1;
    let f = PRL_FIELD_BY_NAME.get(name);
    if (!f) {
      if (!compat) throw new CliUsageError(`Unknown field: ${name}`);
      f = PRL_FIELD_BY_NAME.get("-")!;
    }
    out.push(f);
  } while (sp < spec.length);
  if (out.length === 0) throw new CliUsageError(warnings.join("\n"), { exitCode: 1 });
  return out;
}

/**
 * Parse `prlctl list` arguments (after "list") with prlctl's own parser (GetOpt.cpp): no long-option
 * abbreviations; "--opt=value" / "--opt value" / "-ovalue" / "-o value"; an argument that is not a known
 * option — including an unknown "-x" — becomes the container id (the last one wins). Then the checks
 * list_vm() makes before printing anything: -L wins; unknown -o field; bad -s field.
 */
export function parsePrlctlListArgs(argv: readonly string[]): PrlctlListOptions {
  const o: PrlctlListOptions = {
    action: "list",
    all: false,
    stoppedOnly: false,
    header: true,
    json: false,
    templates: false,
    vmtype: "all",
    full: false,
    compat: false,
    fields: [],
    sort: null,
    id: null,
    warnings: [],
    global: { verbose: null, timeout: null, login: null, readPasswd: [] },
  };
  // cmdParam::get_vm(): "--help" anywhere prints the usage and exits 0
  if (argv.includes("--help")) return { ...o, action: "help" };
  let fieldSpec: string | null = null;
  let sortSpec: string | null = null;
  let names = false;
  let info = false;
  let listFields = false;

  const apply = (opt: PrlOpt, val: string) => {
    switch (opt.long) {
      case "verbose":
        o.global.verbose = val;
        break;
      case "timeout":
        o.global.timeout = val;
        break;
      case "login":
        o.global.login = val;
        break;
      case "read-passwd":
        o.global.readPasswd.push(val);
        break;
      case "compat":
        o.compat = true;
        break;
      case "output":
        fieldSpec = val;
        break;
      case "all":
        o.all = true;
        break;
      case "no-header":
        o.header = false;
        break;
      case "sort":
        sortSpec = val;
        break;
      case "stopped":
        o.stoppedOnly = true;
        break;
      case "name":
        names = true;
        break;
      case "template":
        o.templates = true;
        break;
      case "vmtype":
        if (val === "ct" || val === "c") o.vmtype = "ct";
        else if (val === "vm" || val === "v") o.vmtype = "vm";
        else if (val === "all" || val === "a") o.vmtype = "all";
        else throw new CliUsageError(`An incorrect value for --vmtype is specified: ${val}`);
        break;
      case "info":
        info = true;
        break;
      case "json":
        o.json = true;
        break;
      case "full":
        o.full = true;
        break;
      case "list":
        listFields = true;
        break;
    }
  };

  let i = 0;
  while (i < argv.length) {
    const a = argv[i]!;
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const opt = PRLCTL_LIST_OPTS.find((x) => x.long === name);
      if (!opt) {
        o.id = a;
        i++;
        continue;
      }
      let val = "";
      if (opt.hasArg) {
        if (eq >= 0) val = a.slice(eq + 1);
        else if (i + 1 >= argv.length) throw new CliUsageError(`The \`${a}' option requires an argument.`);
        else val = argv[++i]!;
      }
      i++;
      apply(opt, val);
      continue;
    }
    if (a.startsWith("-") && a.length > 1) {
      const chars = [...a.slice(1)];
      if (chars.length === 1) {
        const opt = PRLCTL_LIST_OPTS.find((x) => x.short === chars[0]);
        if (!opt) {
          o.id = a;
          i++;
          continue;
        }
        let val = "";
        if (opt.hasArg) {
          if (i + 1 >= argv.length) throw new CliUsageError(`The \`${a}' option requires an argument.`);
          val = argv[++i]!;
        }
        i++;
        apply(opt, val);
        continue;
      }
      // a cluster: -aH, -octid, -Ho name
      i++;
      for (let j = 0; j < chars.length; j++) {
        const opt = PRLCTL_LIST_OPTS.find((x) => x.short !== "" && x.short === chars[j]);
        if (!opt) {
          o.id = a;
          break;
        }
        if (!opt.hasArg) {
          apply(opt, "");
          continue;
        }
        let val: string;
        if (j + 1 < chars.length) val = chars.slice(j + 1).join("");
        else if (i >= argv.length) throw new CliUsageError(`The \`${chars.slice(j).join("")}' option requires an argument.`);
        else val = argv[i++]!;
        apply(opt, val);
        break;
      }
      continue;
    }
    o.id = a;
    i++;
  }

  if (listFields) return { ...o, action: "fields" };
  if (info) o.action = "info";
  const spec = fieldSpec as string | null;
  if (!info) {
    const order = spec ?? (o.templates ? PRL_TEMPLATE_FIELDS : o.compat ? (names ? PRL_COMPAT_NAME_FIELDS : PRL_COMPAT_FIELDS) : PRL_DEFAULT_FIELDS);
    o.fields = prlFieldOrder(order, o.compat, o.warnings);
  }
  const sortArg = sortSpec as string | null;
  if (sortArg != null && sortArg !== "") {
    const reverse = sortArg.startsWith("-");
    const field = reverse ? sortArg.slice(1) : sortArg;
    if (!PRL_FIELD_BY_NAME.has(field)) throw new CliUsageError(`${field} is an invalid field name in this query.`);
    o.sort = { field, reverse };
  } else if (spec != null && o.fields.length) o.sort = { field: o.fields[0]!.name, reverse: false };
  else o.sort = { field: "name", reverse: false };
  return o;
}

/** `prlctl list -L`: "%-20s %s" of every field not hidden. */
export function prlctlFieldList(vmtype: PrlctlListOptions["vmtype"] = "all"): string {
  return PRLCTL_FIELDS.filter((f) => !f.hidden && !(vmtype === "vm" && f.ctOnly))
    .map((f) => `${pad(f.name, 20, true)} ${f.header}\n`)
    .join("");
}

/** One table cell as PrlOutFormatterPlain::tbl_add_item writes it: snprintf into a 255-byte buffer. */
function prlCell(f: PrlField, text: string, last: boolean): string {
  const s = last ? text : applyFmt(parseFmt(f.fmt), text);
  if (byteLen(s) <= 254) return s;
  let out = "";
  for (const ch of s) {
    if (byteLen(out + ch) > 254) break;
    out += ch;
  }
  return out;
}

/** PrlOutFormatter (plain / JSON), the subset `list` uses. */
interface OutFormatter {
  openList(): void;
  closeList(): void;
  rowOpen(): void;
  rowClose(): void;
  open(key: string, inline?: boolean): void;
  close(inline?: boolean): void;
  add(key: string, value: string, o?: { inline?: boolean; quotes?: boolean; hideKey?: boolean }): void;
  addInt(key: string, value: number, suffix?: string, o?: { inline?: boolean; hideKey?: boolean }): void;
  addEnabled(enabled: boolean): void;
  addUuid(key: string, uuid: string): void;
  addUptime(key: string, seconds: number, since: string): void;
  /** tbl_add_item / tbl_add_uuid */
  item(key: string, cell: string, value: string, uuid: boolean): void;
  text(): string;
}

class PlainFormatter implements OutFormatter {
  private out = "";
  private indent = 0;
  private readonly tab = "  ";
  openList() {}
  closeList() {}
  rowOpen() {}
  rowClose() {
    this.out += "\n";
  }
  open(key: string, inline = false) {
    if (inline) {
      this.out += this.tab.repeat(this.indent) + key + (this.indent === 0 ? ":" : "");
    } else this.out += `${key}:\n`;
    this.indent++;
  }
  close(inline = false) {
    if (inline) this.out += "\n";
    this.indent--;
  }
  private key(key: string, inline: boolean, hideKey: boolean) {
    if (inline && hideKey) this.out += " ";
    else if (inline) this.out += ` ${key}=`;
    else this.out += `${this.tab.repeat(this.indent)}${key}: `;
  }
  add(key: string, value: string, o: { inline?: boolean; quotes?: boolean; hideKey?: boolean } = {}) {
    this.key(key, o.inline ?? false, o.hideKey ?? false);
    this.out += o.quotes ? `'${value}'` : value;
    if (!o.inline) this.out += "\n";
  }
  addInt(key: string, value: number, suffix = "", o: { inline?: boolean; hideKey?: boolean } = {}) {
    this.key(key, o.inline ?? false, o.hideKey ?? false);
    this.out += `${value}${suffix}`;
    if (!o.inline) this.out += "\n";
  }
  addEnabled(enabled: boolean) {
    this.add("enabled", enabled ? "(+)" : "(-)", { inline: true, hideKey: true });
  }
  addUuid(key: string, uuid: string) {
    this.add(key, uuid);
  }
  addUptime(key: string, seconds: number, since: string) {
    this.add(key, `${prlUptime(seconds)} (since ${since})`);
  }
  item(_key: string, cell: string) {
    this.out += cell;
  }
  text() {
    return this.out;
  }
}

class JsonFormatter implements OutFormatter {
  private out = "";
  private indent = 0;
  private first = true;
  private tabs() {
    return "\t".repeat(this.indent + 1);
  }
  openList() {
    this.out += "[\n";
  }
  closeList() {
    this.out += "\n]\n";
  }
  rowOpen() {
    if (!this.first) this.out += ",\n";
    this.first = true;
    this.out += `${this.tabs()}{\n`;
    this.indent++;
  }
  rowClose() {
    this.close();
  }
  open(key: string) {
    if (!this.first) this.out += ",\n";
    this.first = true;
    this.out += `${this.tabs()}${JSON.stringify(key)}: {\n`;
    this.indent++;
  }
  close() {
    this.indent--;
    this.out += `\n${this.tabs()}}`;
    this.first = false;
  }
  private key(key: string) {
    if (!this.first) this.out += ",\n";
    else this.first = false;
    this.out += `${this.tabs()}${JSON.stringify(key)}: `;
  }
  add(key: string, value: string) {
    this.key(key);
    this.out += JSON.stringify(value);
  }
  addInt(key: string, value: number, suffix = "") {
    this.key(key);
    this.out += suffix ? JSON.stringify(`${value}${suffix}`) : String(value);
  }
  addEnabled(enabled: boolean) {
    this.key("enabled");
    this.out += enabled ? "true" : "false";
  }
  addUuid(key: string, uuid: string) {
    this.add(key, uuid === "" ? "" : uuid.slice(1, -1));
  }
  addUptime(key: string, seconds: number) {
    this.add(key, String(Math.trunc(seconds)));
  }
  item(key: string, _cell: string, value: string, uuid: boolean) {
    if (uuid) this.addUuid(key, value);
    else this.add(key, value);
  }
  text() {
    return this.out;
  }
}

/** Utils.cpp uptime2str(): "[N days ]HH:MM:SS" (the plural is unconditional). */
function prlUptime(seconds: number): string {
  const s = Math.trunc(seconds);
  const days = Math.trunc(s / 86400);
  let min = Math.trunc(s / 60);
  const hours = Math.trunc(min / 60) % 24;
  min %= 60;
  const secs = s - (60 * min + 3600 * hours + 86400 * days);
  const z = (n: number) => String(n).padStart(2, "0");
  return `${days ? `${days} days ` : ""}${z(hours)}:${z(min)}:${z(secs)}`;
}

/** "YYYY-MM-DD HH:MM:SS" in local time, the dispatcher's uptime start date format. */
function localDate(d: Date): string {
  const z = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())} ${z(d.getHours())}:${z(d.getMinutes())}:${z(d.getSeconds())}`;
}

/**
 * PrlVm::append_configuration() for a container, the lines a CtRow can fill: ID, EnvID, Name,
 * Description, Type, State, OS, Template, Uptime (running only), Home, Owner, Autostart, the Hardware
 * block (cpu, memory, venet0) and Hostname. Not produced: Effective owner, GuestTools, Autostop,
 * Autocompact, Undo disks, Boot order, EFI/boot device lines, Remote display, video, memory_guarantee,
 * hdd0, shared folders, Features, Encrypted, optimization and offline-management lines, DNS, -f extras.
 */
function prlInfo(f: OutFormatter, ct: PrlCt, now: Date): void {
  const r = ct.row;
  const l = r.limits;
  f.addUuid("ID", ct.uuid);
  f.add("EnvID", String(r.ctid));
  f.add("Name", ct.name);
  f.add("Description", r.description ?? "");
  f.add("Type", "CT");
  f.add("State", r.status);
  f.add("OS", r.ostemplate);
  f.add("Template", "no");
  if (r.uptime != null && r.status === "running") f.addUptime("Uptime", r.uptime, localDate(new Date(now.getTime() - Math.trunc(r.uptime) * 1000)));
  f.add("Home", r.private);
  f.add("Owner", r.owner);
  f.add("Autostart", r.onboot ? "on" : "off");

  f.open("Hardware");
  f.open("cpu", true);
  if (l.cpus > 0) f.addInt("cpus", l.cpus, "", { inline: true });
  else f.add("cpus", "unlimited", { inline: true });
  if (l.cpuunits) f.addInt("cpuunits", l.cpuunits, "", { inline: true });
  if (l.cpulimit) f.addInt("cpulimit", l.cpulimit, "%", { inline: true });
  f.add("iolimit", String(l.iolimit), { inline: true, quotes: true });
  if (l.iopslimit) f.addInt("iopslimit", l.iopslimit, "", { inline: true });
  if (l.cpumask) f.add("mask", l.cpumask, { inline: true });
  f.close(true);
  f.open("memory", true);
  f.addInt("size", Math.floor(l.ram / (1024 * 1024)), "Mb", { inline: true, hideKey: true });
  f.close(true);
  f.open("venet0", true);
  f.addEnabled(true);
  f.add("type", "routed", { inline: true, quotes: true });
  if (ct.ips.length) f.add("ips", ct.ips.map((ip) => `${ip} `).join(""), { inline: true, quotes: true });
  f.close(true);
  f.close();

  if (r.hostname !== "") f.add("Hostname", r.hostname);
}

const PRL_NOT_FOUND = "Failed to get VM config: The virtual machine could not be found.";

/** Does `id` name this container (UUID with or without braces, name, or CTID)? */
function prlMatches(ct: PrlCt, id: string): boolean {
  const bare = ct.uuid.slice(1, -1).toLowerCase();
  const x = id.toLowerCase();
  return x === ct.uuid.toLowerCase() || x === bare || id === ct.name || id === String(ct.row.ctid);
}

/**
 * Run `prlctl list` over `rows` (the whole node). Default: running containers, sorted by name;
 * -a all; -S state "stopped" only; an id shows that one container in any state; -i the info block of
 * every container (or the one asked for). A missing container: the header (if any) on stdout, then
 * "Failed to get VM config: The virtual machine could not be found." on stderr, exit 255.
 * An empty list is not an error (header only, exit 0). `now` dates the uptime in -i.
 */
export function formatPrlctlList(rows: readonly CtRow[], opts: PrlctlListOptions, env: { now?: Date } = {}): CliOutput {
  if (opts.action === "help") return { stdout: PRLCTL_LIST_USAGE, stderr: "", exitCode: 0 };
  if (opts.action === "fields") return { stdout: prlctlFieldList(opts.vmtype), stderr: "", exitCode: 0 };
  const info = opts.action === "info";
  const stderr = opts.warnings.map((w) => `${w}\n`).join("");
  const f: OutFormatter = opts.json ? new JsonFormatter() : new PlainFormatter();
  const fields = opts.fields;

  let head = "";
  if (opts.header && info && !opts.json) head += "INFO";
  if (opts.header && !opts.json) {
    head += fields.map((fl, k) => (k === fields.length - 1 ? fl.header : applyFmt(parseFmt(fl.fmt), fl.header))).join("") + "\n";
  }

  let cts: PrlCt[];
  if (opts.id != null) {
    const one = rows.map(prlView).find((ct) => prlMatches(ct, opts.id!));
    if (!one) return { stdout: head, stderr: `${stderr}${PRL_NOT_FOUND}\n`, exitCode: 255 };
    cts = [one];
  } else {
    cts = opts.vmtype === "vm" ? [] : rows.map(prlView).sort((a, b) => a.row.ctid - b.row.ctid);
    const cmp = opts.sort ? PRL_FIELD_BY_NAME.get(opts.sort.field)?.cmp : null;
    if (cmp) cts.sort(cmp);
  }
  if (opts.sort?.reverse) cts.reverse();

  f.openList();
  for (const ct of cts) {
    // only templates with -t; there are none
    if (opts.templates) continue;
    if (!info && opts.id == null && !opts.all) {
      if (opts.stoppedOnly ? ct.row.status !== "stopped" : ct.row.status !== "running") continue;
    }
    f.rowOpen();
    if (info) prlInfo(f, ct, env.now ?? new Date());
    else {
      fields.forEach((fl, k) => {
        const last = k === fields.length - 1;
        const value = fl.value(ct, last);
        f.item(fl.name, prlCell(fl, value, last), value, fl.name === "uuid");
      });
    }
    f.rowClose();
  }
  f.closeList();
  return { stdout: head + f.text(), stderr, exitCode: 0 };
}
