/**
 * `prlctl list`, compatible with the original: the table, the JSON output and the `-i` block, as pure
 * functions over `CtRow`s. Options are parsed in prlctl-list-args.ts, the field table is in
 * prlctl-list-fields.ts.
 *
 * References (read, not copied): OpenVZ/prlctl `src/PrlList.cpp` (vm_field_tbl, list_vm),
 * `src/PrlOutFormatter.cpp` (plain and JSON output), `src/GetOpt.cpp` (its own option parser),
 * `src/CmdParam.cpp` (list options), `src/PrlVm.cpp` (`append_configuration`, the `list -i` block),
 * `src/PrlTypes.h`, `src/Utils.cpp`. `prlctl list -i` memory is in MiB.
 */
import type { CtRow } from "./types.js";
import type { CliOutput } from "./errors.js";
import { applyFmt, byteLen, parseFmt } from "./printf.js";
import { PRL_FIELD_BY_NAME, prlctlFieldList, prlView, type PrlCt, type PrlField } from "./prlctl-list-fields.js";
import { PRLCTL_LIST_USAGE, type PrlctlListOptions } from "./prlctl-list-args.js";
import { JsonFormatter, PlainFormatter, type OutFormatter } from "./prlctl-list-output.js";

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
/** "YYYY-MM-DD HH:MM:SS" in local time, the dispatcher's uptime start date format. */
function localDate(d: Date): string {
  const z = (n: number) => String(n).padStart(2, "0");
  const date = `${d.getFullYear()}-${z(d.getMonth() + 1)}-${z(d.getDate())}`;
  return `${date} ${z(d.getHours())}:${z(d.getMinutes())}:${z(d.getSeconds())}`;
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
  if (r.uptime != null && r.status === "running") {
    f.addUptime("Uptime", r.uptime, localDate(new Date(now.getTime() - Math.trunc(r.uptime) * 1000)));
  }
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
    const last = fields.length - 1;
    head += fields.map((fl, k) => (k === last ? fl.header : applyFmt(parseFmt(fl.fmt), fl.header))).join("") + "\n";
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
