/**
 * `vzlist`, compatible with the original: option parsing, selection, filters, sorting and the output
 * (columns, JSON), as pure functions over `CtRow`s. The field table is in vzlist-fields.ts.
 *
 * References (read, not copied): OpenVZ vzctl 4.x `src/vzlist.c` / `include/vzlist.h` (kolyshkin/vzctl) —
 * the field table (`field_names[]`), the printf formats of every column, `print_hdr`/`print_one_ve`/
 * `print_one_ve_json`, `build_field_order`, `collect`, `main` (getopt_long "HtSanjN:h:d:o:s:Le1"), and
 * `man/vzlist.8.in`. `cpumask` comes from the Virtuozzo 7 vzlist (OpenVZ/vzctl), the only one that has it.
 *
 * One table drives everything: `-L`, `-o`, `-s`, the header, the cells and the JSON keys.
 * Sizes follow the original's units: UBC memory in 4 KiB pages, disk quota in 1 KiB blocks.
 */
import type { CtRow } from "./types.js";
import { CliUsageError, type CliOutput } from "./errors.js";
import { fnmatch } from "./fnmatch.js";
import { gnuGetopt, type LongOpt } from "./getopt.js";
import { applyFmt, pad, parseFmt, trimEol } from "./printf.js";
import { byId, VZ_FIELD_BY_NAME, VZLIST_FIELDS, type VzField } from "./vzlist-fields.js";
import { vzView, type VzCt } from "./vzlist-view.js";

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
export function parseVzlistArgs(
  argv: readonly string[],
  env: { resolveName?: (name: string) => number | null } = {},
): VzlistOptions {
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
