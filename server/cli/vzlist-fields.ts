/**
 * The vzlist field table (vzlist.c `field_names[]`): per field the `-o`/`-s`/`-L` name, the header,
 * the printf column format, the cell, the JSON value and the sort order.
 */
import { cFixed, cmpBig, cutBytes, nullsFirst, pad, parseFmt, strcmp, type Cmp } from "./printf.js";
import { VZ_STATUS_ORDER, type Dq, type DqRes, type Ubc, type UbcRes, type VzCt } from "./vzlist-view.js";

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

export const byId: Cmp<VzCt> = (a, b) => a.ctid - b.ctid;
const byStr =
  (get: (ct: VzCt) => string | null): Cmp<VzCt> =>
  (a, b) => {
    const x = get(a);
    const y = get(b);
    return nullsFirst(x, y) ?? strcmp(x!, y!);
  };

function strField(name: string, header: string, fmt: string, get: (ct: VzCt) => string | null): VzField {
  return {
    name,
    header,
    fmt,
    index: 0,
    cell: (ct, cut) => strCell(get(ct), fmt, cut),
    json: (ct) => jsonStr(get(ct)),
    cmp: byStr(get),
  };
}

/** A whole number, right-aligned to `width` ("%7s"), sorted numerically. */
function intField(name: string, header: string, width: number, get: (ct: VzCt) => number): VzField {
  return {
    name,
    header,
    fmt: `%${width}s`,
    index: 0,
    cell: (ct) => pad(String(get(ct)), width, false),
    json: (ct) => String(get(ct)),
    cmp: (a, b) => get(a) - get(b),
  };
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
      return (
        "{\n" +
        `      "usage": ${ct.running ? d.usage : 0n},\n` +
        `      "softlimit": ${d.soft},\n` +
        `      "hardlimit": ${d.hard}\n` +
        "    }"
      );
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
  ...["ctid", "veid", "vpsid"].map((name): VzField => ({
    name,
    header: "CTID",
    fmt: "%10s",
    index: 0,
    cell: (ct) => pad(String(ct.ctid), 10, false),
    json: (ct) => String(ct.ctid),
    cmp: byId,
  })),
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
  intField("cpulimit", "CPULIM", 7, (ct) => ct.cpulimit),
  intField("cpuunits", "CPUUNI", 7, (ct) => ct.cpuunits),
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
    name: "bootorder",
    header: "BOOTORDER",
    fmt: "%10s",
    index: 0,
    cell: (ct) => pad(ct.row.bootorder === null ? "-" : String(ct.row.bootorder), 10, false),
    json: (ct) => (ct.row.bootorder === null ? "null" : String(ct.row.bootorder)),
    cmp: (a, b) => (a.row.bootorder ?? -1) - (b.row.bootorder ?? -1),
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

export const VZ_FIELD_BY_NAME = new Map(VZLIST_FIELDS.map((f) => [f.name, f]));
