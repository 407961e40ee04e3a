/** `prlctl list` options (CmdParam.cpp) and the checks list_vm() makes before printing. */
import { CliUsageError } from "./errors.js";
import { PRL_FIELD_BY_NAME, type PrlField, type PrlVmtype } from "./prlctl-list-fields.js";
import { prlGetopt, type PrlOpt } from "./getopt.js";

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
  vmtype: PrlVmtype;
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

  for (const ev of prlGetopt(argv, PRLCTL_LIST_OPTS)) {
    if ("operand" in ev) o.id = ev.operand;
    else apply(ev.opt, ev.val);
  }

  if (listFields) return { ...o, action: "fields" };
  if (info) o.action = "info";
  const spec = fieldSpec as string | null;
  if (!info) {
    const compatFields = names ? PRL_COMPAT_NAME_FIELDS : PRL_COMPAT_FIELDS;
    const order = spec ?? (o.templates ? PRL_TEMPLATE_FIELDS : o.compat ? compatFields : PRL_DEFAULT_FIELDS);
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
