/**
 * vzctl: the OpenVZ command, on this product's engine and database. Syntax, messages and exit codes
 * follow vzctl 4.x for everything this product supports (see docs/cli.md).
 */
import { hostname as hostOS } from "node:os";
import { engineFor } from "../engine/index.js";
import { settingsSchema, type SettingsPatch } from "../services/settings.js";
import {
  backupContainer,
  createSnapshot,
  deleteBackup,
  deleteSnapshot,
  listBackups,
  listSnapshots,
  restoreContainer,
  switchSnapshot,
} from "../services/snapshots.js";
import { waitForAllOperations } from "../services/operations.js";
import { all, badParam, CliError, has, one, parseOpts, VZ, yesNo, type OptSpec, type Parsed } from "./args.js";
import {
  applySet,
  checkpointCt,
  createCt,
  ctidOf,
  destroyCt,
  execIn,
  findCt,
  fromPanel,
  lifecycle,
  liveState,
  lookupCt,
  suspendCt,
  type Cli,
  type SetArgs,
} from "./actions.js";
import { limitOptSpecs, limitSaid, limitsPatch, LIMIT_FLAGS } from "./limit-flags.js";
import { enterCt } from "./enter.js";

export const SET_SPECS: Record<string, OptSpec> = {
  ...limitOptSpecs,
  hostname: { arg: true },
  name: { arg: true },
  description: { arg: true },
  ipadd: { arg: true, multi: true },
  ipdel: { arg: true, multi: true },
  nameserver: { arg: true, multi: true },
  userpasswd: { arg: true, multi: true },
  onboot: { arg: true },
  save: { arg: false },
  setmode: { arg: true },
};

const CREATE_SPECS: Record<string, OptSpec> = {
  ostemplate: { arg: true },
  config: { arg: true },
  hostname: { arg: true },
  ipadd: { arg: true, multi: true },
  name: { arg: true },
  description: { arg: true },
  owner: { arg: true },
  private: { arg: true },
  root: { arg: true },
};

export const USAGE = `Usage: vzctl [options] <command> <ctid> [parameters]
vzctl create <ctid> --ostemplate <name> [--config <plan>] [--hostname <name>]
   [--ipadd <addr>] [--name <name>] [--description <text>] [--owner <customer|email>]
vzctl start <ctid>
vzctl stop <ctid> [--fast]
vzctl restart <ctid>
vzctl status <ctid>
vzctl destroy | delete <ctid>
vzctl suspend | resume <ctid>
vzctl chkpnt <ctid> [--dumpfile <file>]   (CRIU to disk; resume restores)
vzctl exec | exec2 <ctid> <command> [arg ...]
vzctl enter <ctid> [--exec <command>]
vzctl snapshot <ctid> [--id <name>] [--description <desc>]
vzctl snapshot-list <ctid> [-H] [-o field[,field...]]
vzctl snapshot-switch | snapshot-delete <ctid> --id <name>
vzctl backup <ctid>
vzctl backup-list <ctid>
vzctl backup-delete <ctid> --backup <id>
vzctl restore <ctid> [--backup <id>]   (a checkpointed container: from its checkpoint, as OpenVZ's)
vzctl set <ctid> [--save] [--hostname <name>] [--name <name>] [--description <text>]
   [--ipadd <addr>] [--ipdel <addr>|all] [--nameserver <addr>] [--userpasswd <user>:<passwd>]
   [--onboot yes|no] [--ram <bytes>[KMG]] [--swap <bytes>[KMG]]
   [--cpuunits <N>] [--cpulimit <N>[%]] [--cpus <N>] [--cpumask <cpus>|all]
   [--numproc <N>[:<N>]] [--numfile <N>[:<N>]]
   [--diskspace <soft>[:<hard>]] [--diskinodes <soft>[:<hard>]]
   [--ioprio <weight 10-1000>] [--iolimit <N>[KMG]] [--iopslimit <N>]
Names (--name) work wherever <ctid> does. Sizes take K, M, G, T suffixes (binary).
Options: --quiet, --verbose, --version, --help. Reference: docs/cli.md.`;

function requireCtArg(args: string[]): string {
  if (!args[0]) throw new CliError("CT ID is not given", VZ.INVALID_PARAMETER_VALUE);
  return args[0];
}

function noExtra(p: Parsed): void {
  if (p.positional.length)
    throw new CliError(`non-option ARGV-elements: ${p.positional.join(" ")}`, VZ.INVALID_PARAMETER_SYNTAX);
}

/** `set` options → what to change; every value is checked before anything changes. */
export function setArgs(p: Parsed, specs: Record<string, OptSpec> = SET_SPECS): SetArgs {
  const settings: SettingsPatch = {};
  if (has(p, "hostname")) settings.hostname = one(p, "hostname")!;
  if (has(p, "name")) settings.name = one(p, "name") || null;
  if (has(p, "description")) settings.description = one(p, "description") || null;
  if (has(p, "onboot")) settings.onboot = yesNo("onboot", one(p, "onboot")!);
  if (has(p, "nameserver"))
    settings.nameservers = all(p, "nameserver")
      .flatMap((s) => s.split(/[\s,]+/))
      .filter(Boolean);
  const checked = settingsSchema.safeParse(settings);
  if (!checked.success) {
    const i = checked.error.issues[0]!;
    const flag = i.path[0] === "nameservers" ? "nameserver" : String(i.path[0]);
    const code =
      flag === "hostname"
        ? VZ.BADHOSTNAME
        : flag === "nameserver"
          ? VZ.BADDNSSRV
          : flag === "name"
            ? VZ.SET_NAME_ERROR
            : VZ.INVALID_PARAMETER_VALUE;
    throw new CliError(`Bad parameter for --${flag}: ${one(p, flag) ?? ""} (${i.message})`, code);
  }
  const limitGiven = [...p.opts.entries()]
    .filter(([k]) => k in LIMIT_FLAGS && k in specs)
    .map(([k, v]) => [k, v.at(-1)!] as [string, string]);
  const passwords = all(p, "userpasswd").map((up) => {
    const i = up.indexOf(":");
    if (i <= 0 || i === up.length - 1) throw badParam("userpasswd", up.replace(/:.*/, ":…"), "use user:password");
    return { user: up.slice(0, i), password: up.slice(i + 1) };
  });
  const ipadd = all(p, "ipadd")
    .flatMap((s) => s.split(/[\s,]+/))
    .filter(Boolean)
    .map((a) => a.replace(/\/\d+$/, ""));
  const ipdel = all(p, "ipdel")
    .flatMap((s) => s.split(/[\s,]+/))
    .filter(Boolean)
    .map((a) => a.replace(/\/\d+$/, ""));
  for (const a of [...ipadd, ...ipdel]) {
    if (a !== "all" && !/^[0-9a-fA-F:.]+$/.test(a))
      throw new CliError(
        `Bad parameter for --${ipadd.includes(a) ? "ipadd" : "ipdel"}: ${a} (not an IP address)`,
        VZ.BADIP,
      );
  }
  if (ipadd.includes("all")) throw new CliError("Bad parameter for --ipadd: all", VZ.BADIP);
  return { settings: checked.data, limits: limitsPatch(limitGiven), ipadd, ipdel, passwords };
}

/**
 * vzctl's status line; a container checkpointed to disk is "unmounted down suspended", a frozen one "mounted running
 * suspended".
 */
function statusLine(ctid: number, state: string | null, checkpointed = false): string {
  if (state === null) return `CTID ${ctid} deleted unmounted down`;
  if (checkpointed) return `CTID ${ctid} exist unmounted down suspended`;
  const running = state === "running" || state === "suspended";
  return `CTID ${ctid} exist ${running ? "mounted" : "unmounted"} ${running ? "running" : "down"}${state === "suspended" ? " suspended" : ""}`;
}

export async function vzctl(cli: Cli, argv: string[]): Promise<number> {
  const global = [];
  while (argv[0] && ["--quiet", "--verbose", "--skiplock", "--skipowner"].includes(argv[0])) global.push(argv.shift());
  const quiet = global.includes("--quiet");
  const say = cli.say;
  if (quiet) cli.say = () => {};
  const cmd = argv.shift();
  if (!cmd) {
    process.stderr.write(USAGE + "\n");
    return VZ.INVALID_PARAMETER_SYNTAX;
  }
  if (cmd === "--help" || cmd === "help") {
    say(USAGE);
    return 0;
  }
  if (cmd === "--version") {
    say("vzctl version 4.9 (ovz-panel 0.1.0)");
    return 0;
  }
  switch (cmd) {
    case "create": {
      const ref = requireCtArg(argv);
      const p = parseOpts(argv.slice(1), CREATE_SPECS, "vzctl");
      noExtra(p);
      if (!/^\d+$/.test(ref)) throw new CliError(`Bad CT ID ${ref}`, VZ.INVALID_PARAMETER_VALUE);
      // as vzctl: without --ostemplate, DEF_OSTEMPLATE of the global config (vz.conf; here /etc/ovz/ovz.conf)
      const template = one(p, "ostemplate") ?? process.env.DEF_OSTEMPLATE;
      if (!template)
        throw new CliError(
          "Error: OS template is not specified: use --ostemplate <name> or set DEF_OSTEMPLATE in /etc/ovz/ovz.conf (templates: see the panel's Templates page)",
          VZ.VE_OSTEMPLATE_NOTSET,
        );
      if (has(p, "hostname") && !settingsSchema.shape.hostname.safeParse(one(p, "hostname")).success)
        throw new CliError(`Bad parameter for --hostname: ${one(p, "hostname")}`, VZ.BADHOSTNAME);
      if (has(p, "private") || has(p, "root"))
        throw new CliError(
          "Bad parameter: --private and --root are chosen by the engine (see vzlist -o private,root)",
          VZ.INVALID_PARAMETER_VALUE,
        );
      const addresses = all(p, "ipadd")
        .flatMap((s) => s.split(/[\s,]+/))
        .filter(Boolean)
        .map((a) => a.replace(/\/\d+$/, ""));
      const c = await createCt(
        cli,
        {
          ctid: Number(ref),
          template,
          plan: one(p, "config"),
          hostname: one(p, "hostname"),
          name: one(p, "name"),
          description: one(p, "description"),
          owner: one(p, "owner"),
          addresses,
        },
        () => cli.say(`Creating container private area (${template})`),
      );
      cli.say("Performing postcreate actions");
      cli.say(`CT configuration saved to the panel's database (container ${c.ctid}, plan ${c.plan.name})`);
      cli.say("Container private area was created");
      return 0;
    }
    case "status": {
      const ref = requireCtArg(argv);
      noExtra(parseOpts(argv.slice(1), {}, "vzctl"));
      const c = await lookupCt(cli, ref);
      if (!c) {
        say(statusLine(await ctidOf(cli, ref), null));
        return 0;
      }
      const state = await liveState(cli, c).then((s) => (s === "error" ? null : s));
      const checkpointed =
        state === "suspended" &&
        !!(await engineFor(c.node.endpoint).call("container.status", { ctid: c.ctid })).checkpoint;
      say(statusLine(c.ctid, state, checkpointed));
      return 0;
    }
    case "start":
    case "stop":
    case "restart": {
      const ref = requireCtArg(argv);
      const p = parseOpts(
        argv.slice(1),
        cmd === "stop"
          ? { fast: { arg: false }, skip_umount: { arg: false } }
          : { wait: { arg: false }, force: { arg: false } },
        "vzctl",
      );
      noExtra(p);
      const c = await findCt(cli, ref);
      const wasRunning = cmd !== "start" && (await liveState(cli, c)) !== "stopped";
      if (cmd === "restart") cli.say("Restarting container");
      if (cmd === "stop" || wasRunning) cli.say("Stopping container ...");
      else if (cmd === "start") cli.say("Starting container...");
      await lifecycle(cli, c, cmd);
      if (cmd === "stop" || wasRunning) {
        cli.say("Container was stopped");
        cli.say("Container is unmounted");
      }
      if (cmd !== "stop") {
        if (cmd === "restart") cli.say("Starting container...");
        cli.say("Container is mounted");
        const ips = (await cli.db.ipAddress.findMany({ where: { containerId: c.id } })).map((a) => a.address);
        if (ips.length) cli.say(`Adding IP address(es): ${ips.join(" ")}`);
        cli.say(
          `Setting CPU units: ${(await engineFor(c.node.endpoint).call("container.status", { ctid: c.ctid })).limits.cpuunits}`,
        );
        cli.say("Container start in progress...");
      }
      return 0;
    }
    case "destroy":
    case "delete": {
      const ref = requireCtArg(argv);
      noExtra(parseOpts(argv.slice(1), {}, "vzctl"));
      const c = await findCt(cli, ref);
      const info = await engineFor(c.node.endpoint)
        .call("container.status", { ctid: c.ctid })
        .catch(() => null);
      await destroyCt(cli, c);
      cli.say(`Destroying container private area: ${info?.rootfs ?? `container ${c.ctid}`}`);
      cli.say("Container private area was destroyed");
      return 0;
    }
    case "chkpnt": {
      // CRIU: the whole state to disk (<engine state>/dumps/<ctid>), then stopped; `resume` restores it.
      // --dumpfile is accepted for old scripts; the engine keeps the dump in its own place.
      const ref = requireCtArg(argv);
      noExtra(parseOpts(argv.slice(1), { dumpfile: { arg: true } }, "vzctl"));
      const c = await findCt(cli, ref);
      cli.say("Setting up checkpoint...");
      await checkpointCt(cli, c);
      cli.say("Checkpointing completed successfully");
      return 0;
    }
    case "suspend":
    case "resume": {
      const ref = requireCtArg(argv);
      noExtra(parseOpts(argv.slice(1), { dumpfile: { arg: true } }, "vzctl"));
      const c = await findCt(cli, ref);
      const action = cmd === "resume" ? "resume" : "suspend";
      cli.say(action === "suspend" ? "Suspending container ..." : "Resuming container ...");
      await suspendCt(cli, c, action);
      cli.say(action === "suspend" ? "Container is suspended (its processes are frozen)" : "Container is resumed");
      return 0;
    }
    case "set": {
      const ref = requireCtArg(argv);
      const p = parseOpts(argv.slice(1), SET_SPECS, "vzctl");
      noExtra(p);
      const s = setArgs(p);
      const nothing =
        !Object.keys(s.settings).length &&
        !Object.keys(s.limits).length &&
        !s.ipadd.length &&
        !s.ipdel.length &&
        !s.passwords.length;
      if (nothing)
        throw new CliError("No parameters given: nothing to set (see vzctl --help)", VZ.INVALID_PARAMETER_SYNTAX);
      const c = await findCt(cli, ref);
      await applySet(cli, c, s, { limits: limitSaid });
      if (has(p, "save")) cli.say(`Saved parameters for CT ${c.ctid}`);
      return 0;
    }
    case "exec":
    case "exec2": {
      const ref = requireCtArg(argv);
      const rest = argv.slice(1);
      if (!rest.length) throw new CliError("Command is not given", VZ.INVALID_PARAMETER_SYNTAX);
      const c = await findCt(cli, ref);
      const command = rest.join(" ");
      const input = command === "-" ? await readStdin() : undefined;
      return execIn(cli, c, command === "-" ? "/bin/sh -s" : command, input);
    }
    case "enter": {
      // vzctl enter CTID [--exec command [arg ...]]: everything after --exec is the command (vzctl(8))
      const ref = requireCtArg(argv);
      const rest = argv.slice(1);
      const at = rest.findIndex((a) => a === "--exec" || a.startsWith("--exec="));
      const before = at < 0 ? rest : rest.slice(0, at);
      const exec =
        at < 0
          ? undefined
          : [rest[at]!.startsWith("--exec=") ? rest[at]!.slice(7) : null, ...rest.slice(at + 1)]
              .filter((x) => x !== null)
              .join(" ");
      if (exec === "") throw new CliError("Command is not given for --exec", VZ.INVALID_PARAMETER_SYNTAX);
      noExtra(parseOpts(before, {}, "vzctl"));
      const c = await findCt(cli, ref);
      const state = await liveState(cli, c);
      if (state !== "running")
        throw new CliError(
          state === "suspended" ? "Container is suspended; resume it first" : "Container is not running",
          VZ.VE_NOT_RUNNING,
        );
      return enterCt(c, exec);
    }
    case "snapshot": {
      const ref = requireCtArg(argv);
      const p = parseOpts(
        argv.slice(1),
        {
          id: { arg: true },
          name: { arg: true },
          description: { arg: true },
          "skip-suspend": { arg: false },
          "skip-config": { arg: false },
        },
        "vzctl",
      );
      noExtra(p);
      const c = await findCt(cli, ref);
      const name = one(p, "id")?.replace(/^\{(.*)\}$/, "$1") ?? one(p, "name");
      cli.say(`Creating snapshot ${name ?? ""}`.trimEnd());
      try {
        const s = await createSnapshot(cli, c, {
          ...(name ? { name } : {}),
          ...(one(p, "description") ? { description: one(p, "description") } : {}),
        });
        cli.say(`Snapshot {${s.name}} has been successfully created`);
      } catch (e) {
        throw fromPanel(e, VZ.SYSTEM_ERROR);
      }
      return 0;
    }
    case "snapshot-list": {
      const ref = requireCtArg(argv);
      const p = parseOpts(
        argv.slice(1),
        { "no-header": { arg: false, aliases: ["-H"] }, output: { arg: true, aliases: ["-o"] }, id: { arg: true } },
        "vzctl",
      );
      noExtra(p);
      const c = await findCt(cli, ref);
      const snaps = await listSnapshots(c).catch((e) => {
        throw fromPanel(e, VZ.SYSTEM_ERROR);
      });
      const FIELDS: Record<string, { h: string; w: number; v: (s: (typeof snaps)[number]) => string }> = {
        parent_uuid: { h: "PARENT_UUID", w: 38, v: () => "" },
        current: { h: "C", w: 1, v: () => " " },
        uuid: { h: "UUID", w: 38, v: (s) => `{${s.name}}` },
        date: { h: "DATE", w: 19, v: (s) => s.createdAt.slice(0, 19).replace("T", " ") },
        name: { h: "NAME", w: 0, v: (s) => s.description },
      };
      const fields = (one(p, "output") ?? "parent_uuid,current,uuid,date,name").split(",");
      for (const f of fields) if (!FIELDS[f]) throw new CliError(`Unknown field: ${f}`, VZ.INVALID_PARAMETER_SYNTAX);
      const line = (cells: string[]) =>
        cells
          .map((x, i) => (i === cells.length - 1 ? x : x.padEnd(FIELDS[fields[i]!]!.w)))
          .join(" ")
          .trimEnd();
      if (!has(p, "no-header")) say(line(fields.map((f) => FIELDS[f]!.h)));
      const id = one(p, "id")?.replace(/^\{(.*)\}$/, "$1");
      for (const s of snaps.filter((x) => !id || x.name === id)) say(line(fields.map((f) => FIELDS[f]!.v(s))));
      return 0;
    }
    case "snapshot-switch":
    case "snapshot-delete": {
      const ref = requireCtArg(argv);
      const p = parseOpts(
        argv.slice(1),
        {
          id: { arg: true },
          "skip-resume": { arg: false },
          "must-resume": { arg: false },
          "skip-config": { arg: false },
        },
        "vzctl",
      );
      noExtra(p);
      const id = one(p, "id")?.replace(/^\{(.*)\}$/, "$1");
      if (!id)
        throw new CliError(
          "Snapshot id is not specified: use --id <id> (see snapshot-list)",
          VZ.INVALID_PARAMETER_SYNTAX,
        );
      const c = await findCt(cli, ref);
      try {
        if (cmd === "snapshot-switch") {
          cli.say(`Switching to snapshot {${id}}`);
          await switchSnapshot(cli, c, id, cli.say);
          cli.say(`Container has been successfully switched to snapshot {${id}}`);
        } else {
          cli.say(`Deleting snapshot {${id}}`);
          await deleteSnapshot(cli, c, id);
          cli.say(`Snapshot {${id}} has been successfully deleted`);
        }
      } catch (e) {
        throw fromPanel(e, VZ.SYSTEM_ERROR);
      }
      return 0;
    }
    case "restore": {
      // OpenVZ's `vzctl restore CTID [--dumpfile F]` brings back a checkpoint (chkpnt): for a container
      // checkpointed to disk it does that; otherwise (or with --backup) it restores a backup
      const ref = requireCtArg(argv);
      const p = parseOpts(
        argv.slice(1),
        {
          backup: { arg: true, aliases: ["-t"] },
          dumpfile: { arg: true },
          "no-header": { arg: false, aliases: ["-H"] },
          force: { arg: false },
        },
        "vzctl",
      );
      noExtra(p);
      const c = await findCt(cli, ref);
      const checkpointed = async () =>
        (await engineFor(c.node.endpoint).call("container.status", { ctid: c.ctid })).checkpoint !== null;
      if (!one(p, "backup") && (await liveState(cli, c)) === "suspended" && (await checkpointed())) {
        cli.say("Restoring container ...");
        await suspendCt(cli, c, "resume");
        cli.say("Container is restored from its checkpoint");
        return 0;
      }
      return backupCommands(
        cli,
        cmd,
        argv.filter((a, i) => !(a === "--dumpfile" || a.startsWith("--dumpfile=") || argv[i - 1] === "--dumpfile")),
        "vzctl",
      );
    }
    case "backup":
    case "backup-list":
    case "backup-delete":
      return backupCommands(cli, cmd, argv, "vzctl");
    default:
      throw new CliError(`Bad command: ${cmd}`, VZ.INVALID_PARAMETER_SYNTAX);
  }
}

/** backup / backup-list / restore, shared with prlctl (same words, same messages). */
export async function backupCommands(
  cli: Cli,
  cmd: "backup" | "backup-list" | "backup-delete" | "restore",
  argv: string[],
  tool: string,
): Promise<number> {
  const ref = requireCtArg(argv);
  const p = parseOpts(
    argv.slice(1),
    { backup: { arg: true, aliases: ["-t"] }, "no-header": { arg: false, aliases: ["-H"] }, force: { arg: false } },
    tool,
  );
  noExtra(p);
  const c = await findCt(cli, ref);
  try {
    if (cmd === "backup") {
      cli.say(`Backing up the CT ${c.ctid} ...`);
      const op = await backupContainer(cli, c);
      await waitForAllOperations();
      const done = await cli.db.operation.findUniqueOrThrow({
        where: { id: op.id },
        include: { lines: { orderBy: { id: "asc" } } },
      });
      if (done.status !== "succeeded") throw new CliError(`Failed to back up the CT: ${done.error}`, VZ.SYSTEM_ERROR);
      const newest = (await listBackups(c)).sort((a, b) => b.createdAt.localeCompare(a.createdAt))[0];
      cli.say(`The CT has been successfully backed up with backup id ${newest?.id ?? "?"}`);
    } else if (cmd === "backup-delete") {
      const id = one(p, "backup");
      if (!id)
        throw new CliError(
          `The backup is not specified: use ${tool === "prlctl" ? "-t" : "--backup"} <id> (see backup-list)`,
          VZ.INVALID_PARAMETER_SYNTAX,
        );
      await deleteBackup(cli, c, id);
      cli.say(`The backup ${id} has been successfully removed.`);
    } else if (cmd === "backup-list") {
      const list = (await listBackups(c)).sort((a, b) => a.createdAt.localeCompare(b.createdAt));
      if (!has(p, "no-header"))
        process.stdout.write(
          `${"ID".padEnd(32)} ${"Backup_ID".padEnd(40)} ${"Node".padEnd(20)} ${"Date".padEnd(19)} Type   Size\n`,
        );
      for (const b of list) {
        process.stdout.write(
          `${String(c.ctid).padEnd(32)} ${b.id.padEnd(40)} ${hostOS().padEnd(20)} ${b.createdAt.slice(0, 19).replace("T", " ").padEnd(19)} f      ${b.archive.sizeBytes}\n`,
        );
      }
    } else {
      const state = await liveState(cli, c);
      if (state !== "stopped" && state !== "error")
        throw new CliError(
          `Container is running; stop it first (a restore replaces its whole root filesystem)`,
          VZ.VE_RUNNING,
        );
      cli.say(`Restore the CT ${c.ctid} ...`);
      const op = await restoreContainer(cli, c, one(p, "backup"));
      await waitForAllOperations();
      const done = await cli.db.operation.findUniqueOrThrow({ where: { id: op.id } });
      if (done.status !== "succeeded") throw new CliError(`Failed to restore the CT: ${done.error}`, VZ.SYSTEM_ERROR);
      cli.say("The CT has been successfully restored.");
    }
  } catch (e) {
    throw fromPanel(e, VZ.SYSTEM_ERROR);
  }
  return 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
