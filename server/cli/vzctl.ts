/**
 * vzctl: the OpenVZ command, on this product's engine and database. Syntax, messages and exit codes
 * follow vzctl 4.x for everything this product supports (see docs/cli.md).
 */
import { engineFor } from "../engine/index.js";
import { settingsSchema } from "../services/settings.js";
import { all, CliError, has, one, parseOpts, VZ } from "./args.js";
import {
  applySet,
  checkpointCt,
  createCt,
  ctidOf,
  destroyCt,
  execIn,
  findCt,
  lifecycle,
  liveState,
  lookupCt,
  suspendCt,
  type Cli,
} from "./actions.js";
import { limitSaid } from "./limit-flags.js";
import { enterCt } from "./enter.js";
import { CREATE_SPECS, noExtra, requireCtArg, SET_SPECS, setArgs, USAGE } from "./vzctl-args.js";
import { restoreCommand, backupCommands } from "./vzctl-backups.js";
import { snapshotCommands } from "./vzctl-snapshots.js";

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
        !s.passwords.length &&
        s.features === null;
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
    case "snapshot":
    case "snapshot-list":
    case "snapshot-switch":
    case "snapshot-delete":
      return snapshotCommands(cli, say, cmd, argv);
    case "restore":
      return restoreCommand(cli, argv);
    case "backup":
    case "backup-list":
    case "backup-delete":
      return backupCommands(cli, cmd, argv, "vzctl");
    default:
      throw new CliError(`Bad command: ${cmd}`, VZ.INVALID_PARAMETER_SYNTAX);
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
