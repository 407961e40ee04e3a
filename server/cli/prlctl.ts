/**
 * prlctl: the Virtuozzo 7 command, for containers (the only kind here). Same actions as vzctl (actions.ts)
 * with prlctl's words and messages. prlctl reports an unknown CT with status 255 and every other failure
 * with status 1 (the reason is in the message); `list` is vzlist's sibling (vzlist.ts formats both).
 */
import { all, CliError, has, one, parseOpts, VZ, yesNo, type OptSpec, type Parsed } from "./args.js";
import {
  applySet,
  cloneCt,
  createCt,
  destroyCt,
  execIn,
  fromPanel,
  lifecycle,
  liveState,
  lookupCt,
  suspendCt,
  type Cli,
} from "./actions.js";
import { setArgs, SET_SPECS } from "./vzctl-args.js";
import { backupCommands } from "./vzctl-backups.js";
import { createSnapshot, deleteSnapshot, listSnapshots, switchSnapshot } from "../services/snapshots.js";
import { enterCt } from "./enter.js";
import { loadRows } from "./rows.js";
import { formatPrlctlList } from "./prlctl-list.js";
import { parsePrlctlListArgs } from "./prlctl-list-args.js";
import { CliUsageError } from "./errors.js";

export const PRLCTL_USAGE = `Usage: prlctl <command> <ctid|name> [options]
prlctl create <name|ctid> --vmtype ct --ostemplate <name> [--config <plan>] [--hostname <name>] [--ipadd <addr>]
prlctl clone <ctid|name> --name <new_name>
prlctl start | stop [--kill] | restart | suspend | resume | status | delete <ctid|name>
prlctl exec <ctid|name> <command> [arg ...]
prlctl enter <ctid|name>
prlctl set <ctid|name> [--hostname <name>] [--name <name>] [--description <text>] [--cpus <N>]
   [--cpuunits <N>] [--cpulimit <N>[%]] [--cpumask <cpus>|all] [--memsize <MB>] [--swap <MB>]
   [--ipadd <addr>] [--ipdel <addr>|all] [--nameserver <addr>] [--userpasswd <user>:<passwd>]
   [--onboot yes|no] [--autostart on|off] [--diskspace <size>] [--numproc <N>] [--numfile <N>] ...
prlctl list [-a] [-o field[,field...]] [-H] [-j] [-s field] [-i <ctid|name>] [-L]
prlctl snapshot <ctid|name> [-n <name>] [-d <description>]
prlctl snapshot-list <ctid|name> [-H]
prlctl snapshot-switch | snapshot-delete <ctid|name> -i <id>
prlctl backup <ctid|name> | backup-list <ctid|name> | restore <ctid|name> [-t <backup_id>]
prlctl backup-delete <ctid|name> -t <backup_id>
Reference: docs/cli.md.`;

/** prlctl's answer for an unknown CT (PrlVm.cpp): the message and status 255 */
const NOT_FOUND_MSG = "Failed to get VM config: The virtual machine could not be found.";
const NOT_FOUND = 255;

/** prlctl's line for a changed resource: its own words and units */
function prlSaid(key: string, v: unknown): string {
  const MiB = 1024 * 1024;
  switch (key) {
    case "ram":
      return `Set the memsize: ${Number(v) / MiB} MB`;
    case "swap":
      return `Set the swap: ${Number(v) / MiB} MB`;
    case "cpus":
      return `Set cpus(${v}): ${v}`;
    case "cpumask":
      return `Set cpumask: ${v ?? "all"}`;
    default:
      return `Set ${key}: ${v}`;
  }
}

async function prlFind(cli: Cli, ref: string) {
  const c = await lookupCt(cli, ref);
  if (!c) throw new CliError(NOT_FOUND_MSG, NOT_FOUND);
  return c;
}

const PRL_SET: Record<string, OptSpec> = {
  ...SET_SPECS,
  memsize: { arg: true },
  autostart: { arg: true },
  vmtype: { arg: true },
};

function needCt(argv: string[]): string {
  if (!argv[0]) throw new CliError("Failed to get CT ID or name: none given (see prlctl --help)", 1);
  return argv[0];
}

function noExtra(p: Parsed): void {
  if (p.positional.length) throw new CliError(`Unrecognized option: ${p.positional[0]}`, 1);
}

/** prlctl's MB-based --memsize/--swap become vzctl-style sizes. */
function prlSetArgs(p: Parsed) {
  const mb = (flag: string) => {
    const v = one(p, flag)!;
    if (!/^\d+$/.test(v) && !/^\d+[KMGT]$/i.test(v))
      throw new CliError(`Invalid value for --${flag}: ${v} (a size in MB, or with a K, M, G or T suffix)`, 1);
    return /^\d+$/.test(v) ? `${v}M` : v;
  };
  if (has(p, "memsize")) p.opts.set("ram", [mb("memsize")]);
  if (has(p, "swap")) p.opts.set("swap", [mb("swap")]);
  if (has(p, "autostart")) p.opts.set("onboot", [yesNo("autostart", one(p, "autostart")!) ? "yes" : "no"]);
  p.opts.delete("memsize");
  p.opts.delete("autostart");
  p.opts.delete("vmtype");
  return setArgs(p);
}

async function run(cli: Cli, argv: string[]): Promise<number> {
  const cmd = argv.shift();
  const say = cli.say;
  if (!cmd || cmd === "--help" || cmd === "help") {
    (cmd ? process.stdout : process.stderr).write(PRLCTL_USAGE + "\n");
    return cmd ? 0 : 1;
  }
  if (cmd === "--version") {
    say("prlctl version 7.0 (ovz-panel 0.1.0)");
    return 0;
  }
  switch (cmd) {
    case "list": {
      const opts = parsePrlctlListArgs(argv);
      const rows = opts.action === "list" || opts.action === "info" ? await loadRows(cli.db, { disk: true }) : [];
      const out = formatPrlctlList(rows, opts);
      process.stdout.write(out.stdout);
      if (out.stderr) process.stderr.write(out.stderr);
      return out.exitCode;
    }
    case "create": {
      const ref = needCt(argv);
      const p = parseOpts(
        argv.slice(1),
        {
          vmtype: { arg: true },
          ostemplate: { arg: true },
          config: { arg: true },
          hostname: { arg: true },
          ipadd: { arg: true, multi: true },
          description: { arg: true },
          owner: { arg: true },
        },
        "prlctl",
      );
      noExtra(p);
      if (has(p, "vmtype") && one(p, "vmtype") !== "ct")
        throw new CliError(
          `Only containers can be created here: --vmtype ${one(p, "vmtype")} is not supported (use --vmtype ct)`,
          1,
        );
      const template = one(p, "ostemplate") ?? process.env.DEF_OSTEMPLATE;
      if (!template)
        throw new CliError(
          "The OS template is not specified: use --ostemplate <name> (or set DEF_OSTEMPLATE in /etc/ovz/ovz.conf)",
          1,
        );
      if (await lookupCt(cli, ref))
        throw new CliError(`Failed to create the CT: a CT named or numbered ${ref} already exists`, 1);
      const numeric = /^\d+$/.test(ref);
      const c = await createCt(
        cli,
        {
          ...(numeric ? { ctid: Number(ref) } : { name: ref }),
          template,
          plan: one(p, "config"),
          hostname: one(p, "hostname"),
          addresses: all(p, "ipadd")
            .flatMap((s) => s.split(/[\s,]+/))
            .filter(Boolean),
          description: one(p, "description"),
          owner: one(p, "owner"),
        },
        () => say("Creating the Container..."),
      ).catch((e) => {
        throw new CliError(`Failed to create the CT: ${(e as Error).message}`, 1);
      });
      say(`The Container has been successfully created (CTID ${c.ctid}).`);
      return 0;
    }
    case "clone": {
      // prlctl clone <ve_id|ve_name> --name <new_name> (prlctl(8)); the CTID is the next free one
      const ref = needCt(argv);
      const unsupported = ["template", "dst", "changesid", "linked", "detach-external-hdd"];
      const p = parseOpts(
        argv.slice(1),
        {
          name: { arg: true },
          template: { arg: false },
          dst: { arg: true },
          changesid: { arg: false },
          linked: { arg: false },
          "detach-external-hdd": { arg: true },
        },
        "prlctl",
      );
      noExtra(p);
      const off = unsupported.find((o) => has(p, o));
      if (off)
        throw new CliError(
          `Failed to clone the CT: --${off} is not supported here (containers only, in the engine's own storage pool)`,
          1,
        );
      const name = one(p, "name");
      if (!name) throw new CliError("Failed to clone the CT; the --name option is not specified.", 1);
      const c = await prlFind(cli, ref);
      say(`Clone the ${c.name ?? c.ctid} CT to CT ${name}...`);
      const made = await cloneCt(cli, c, { name }, 1).catch((e) => {
        throw new CliError(`Failed to clone the CT: ${fromPanel(e, 1).message}`, 1);
      });
      say(`The CT has been successfully cloned (CTID ${made.ctid}).`);
      return 0;
    }
    case "status": {
      const ref = needCt(argv);
      const c = await lookupCt(cli, ref);
      if (!c) throw new CliError(NOT_FOUND_MSG, NOT_FOUND);
      const st = await liveState(cli, c);
      say(`CT ${c.name ?? c.ctid} exist ${st === "error" ? "stopped" : st}`);
      return 0;
    }
    case "start":
    case "stop":
    case "restart":
    case "suspend":
    case "resume":
    case "delete": {
      const ref = needCt(argv);
      noExtra(parseOpts(argv.slice(1), { kill: { arg: false }, force: { arg: false } }, "prlctl"));
      const c = await prlFind(cli, ref);
      const ing = {
        start: "Starting",
        stop: "Stopping",
        restart: "Restarting",
        suspend: "Suspending",
        resume: "Resuming",
        delete: "Removing",
      }[cmd];
      const ed = {
        start: "started",
        stop: "stopped",
        restart: "restarted",
        suspend: "suspended",
        resume: "resumed",
        delete: "removed",
      }[cmd];
      say(`${ing} the CT...`);
      try {
        if (cmd === "delete") await destroyCt(cli, c);
        else if (cmd === "suspend" || cmd === "resume") await suspendCt(cli, c, cmd);
        else await lifecycle(cli, c, cmd);
      } catch (e) {
        throw new CliError(`Failed to ${cmd === "delete" ? "remove" : cmd} the CT: ${(e as Error).message}`, 1);
      }
      say(`The CT has been successfully ${ed}.`);
      return 0;
    }
    case "set": {
      const ref = needCt(argv);
      const p = parseOpts(argv.slice(1), PRL_SET, "prlctl");
      noExtra(p);
      const s = prlSetArgs(p);
      if (
        !Object.keys(s.settings).length &&
        !Object.keys(s.limits).length &&
        !s.ipadd.length &&
        !s.ipdel.length &&
        !s.passwords.length &&
        s.features === null
      ) {
        throw new CliError("No parameters to set are specified; see prlctl --help", 1);
      }
      const c = await prlFind(cli, ref);
      await applySet(cli, c, s, { limits: prlSaid });
      say("The CT has been successfully configured.");
      return 0;
    }
    case "exec": {
      const ref = needCt(argv);
      const rest = argv.slice(1);
      if (!rest.length) throw new CliError("No command given to exec", 1);
      return execIn(cli, await prlFind(cli, ref), rest.join(" "));
    }
    case "enter": {
      const c = await prlFind(cli, needCt(argv));
      if ((await liveState(cli, c)) !== "running") throw new CliError("Failed to enter the CT: it is not running", 1);
      return enterCt(c);
    }
    case "snapshot":
    case "snapshot-list":
    case "snapshot-switch":
    case "snapshot-delete": {
      const ref = needCt(argv);
      const p = parseOpts(
        argv.slice(1),
        {
          name: { arg: true, aliases: ["-n"] },
          description: { arg: true, aliases: ["-d"] },
          id: { arg: true, aliases: ["-i"] },
          "no-header": { arg: false, aliases: ["-H"] },
          tree: { arg: false, aliases: ["-t"] },
        },
        "prlctl",
      );
      noExtra(p);
      const c = await prlFind(cli, ref);
      const id = one(p, "id")?.replace(/^\{(.*)\}$/, "$1");
      try {
        if (cmd === "snapshot") {
          say("Creating the snapshot...");
          const s = await createSnapshot(cli, c, {
            ...(one(p, "name") ? { name: one(p, "name") } : {}),
            ...(one(p, "description") ? { description: one(p, "description") } : {}),
          });
          say(`The snapshot with id {${s.name}} has been successfully created.`);
        } else if (cmd === "snapshot-list") {
          const snaps = await listSnapshots(c);
          if (!has(p, "no-header")) say(`${"PARENT_SNAPSHOT_ID".padEnd(39)} SNAPSHOT_ID`);
          for (const s of snaps) say(`${"".padEnd(39)} {${s.name}}`);
        } else {
          if (!id) throw new CliError("The snapshot ID is not specified: use -i <id>", 1);
          if (cmd === "snapshot-switch") {
            say("Switch to the snapshot...");
            await switchSnapshot(cli, c, id);
            say("The CT has been successfully switched.");
          } else {
            say("Delete the snapshot...");
            await deleteSnapshot(cli, c, id);
            say("The snapshot has been successfully deleted.");
          }
        }
      } catch (e) {
        throw new CliError(fromPanel(e, 1).message, 1);
      }
      return 0;
    }
    case "backup":
    case "backup-list":
    case "backup-delete":
    case "restore":
      await prlFind(cli, needCt(argv));
      try {
        return await backupCommands(cli, cmd, argv, "prlctl");
      } catch (e) {
        throw new CliError((e as Error).message, 1);
      }
    default:
      throw new CliError(`Unrecognized command: ${cmd}; see prlctl --help`, 1);
  }
}

export async function prlctl(cli: Cli, argv: string[]): Promise<number> {
  try {
    return await run(cli, argv);
  } catch (e) {
    if (e instanceof CliUsageError) throw e;
    if (e instanceof CliError && e.exitCode !== 1 && e.exitCode !== NOT_FOUND) throw new CliError(e.message, 1);
    throw e;
  }
}

export { VZ };
