/**
 * vzctl's option tables, usage text and argument checks (shared with prlctl: `set` options, backup words).
 */
import { settingsSchema, type SettingsPatch } from "../services/settings.js";
import { all, badParam, CliError, has, one, VZ, yesNo, type OptSpec, type Parsed } from "./args.js";
import type { SetArgs } from "./actions.js";
import { limitOptSpecs, limitsPatch, LIMIT_FLAGS } from "./limit-flags.js";
import { applyFeatureSwitches } from "../../native/src/features.js";

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
  bootorder: { arg: true },
  save: { arg: false },
  setmode: { arg: true },
  features: { arg: true, multi: true },
};

export const CREATE_SPECS: Record<string, OptSpec> = {
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
   [--onboot yes|no] [--bootorder <N>] [--ram <bytes>[KMG]] [--swap <bytes>[KMG]]
   [--cpuunits <N>] [--cpulimit <N>[%]] [--cpus <N>] [--cpumask <cpus>|all]
   [--numproc <N>[:<N>]] [--numfile <N>[:<N>]]
   [--diskspace <soft>[:<hard>]] [--diskinodes <soft>[:<hard>]]
   [--ioprio <weight 10-1000>] [--iolimit <N>[KMG]] [--iopslimit <N>]
   [--features nesting|tun|fuse|keyctl:on|off[,...]]
Names (--name) work wherever <ctid> does. Sizes take K, M, G, T suffixes (binary).
Options: --quiet, --verbose, --version, --help. Reference: docs/cli.md.`;

export function requireCtArg(args: string[]): string {
  if (!args[0]) throw new CliError("CT ID is not given", VZ.INVALID_PARAMETER_VALUE);
  return args[0];
}

export function noExtra(p: Parsed): void {
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
  if (has(p, "bootorder")) {
    const v = one(p, "bootorder")!;
    // OpenVZ: an empty value unsets it (the container then starts last)
    settings.bootorder = v === "" ? null : /^\d+$/.test(v) ? Number(v) : NaN;
  }
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
  // OpenVZ's --features name:on|off[,...]; checked here, applied over the container's current set
  const features = all(p, "features").join(",") || null;
  if (features !== null) {
    try {
      applyFeatureSwitches([], features);
    } catch (e) {
      throw badParam("features", features, (e as Error).message);
    }
  }
  return { settings: checked.data, limits: limitsPatch(limitGiven), ipadd, ipdel, passwords, features };
}
