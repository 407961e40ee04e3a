/**
 * vzmlocal -C SRC:DST [SRC:DST ...] — OpenVZ's local copy of a container (vzmlocal(8)): each source is cloned
 * as the new container DST through the panel's clone operation (server/services/containers.ts cloneContainer:
 * the checks of a create, addresses from the pools, a CoW copy of the root filesystem; a running source is
 * frozen only for an instant, so --online is what it always does). The clone keeps the source's hostname,
 * limits, firewall and DNS servers, gets new addresses and no name (a copy keeps no name in OpenVZ either),
 * and is left stopped. Moving (vzmlocal without -C: renumbering a container) and custom private/root paths
 * are not supported. Exit statuses are vzmigrate(8)'s: 1 usage, 6 the copy failed, 9 DST exists, 10 no such
 * SRC, 34 SRC and DST are the same.
 */
import { CTID_MAX, CTID_NEW_MIN, newCtidSchema } from "../../native/src/identity.js";
import { engineFor } from "../engine/index.js";
import { isEngineError, PanelError } from "../errors.js";
import { CliError } from "./args.js";
import { cloneCt, hereNode, lookupCt, type Cli } from "./actions.js";
import { MIG } from "./vzmigrate.js";

export const VZMLOCAL_USAGE = `vzmlocal: copies containers within this node
Usage:
  vzmlocal [--online] -C {CT List}
  {CT List} = <source CT ID or name>:<new CT ID> [...]
Options:
  -C, --copy     copy (clone) the containers; required: moving a container to a new ID is not supported
  --online       accepted: a running container is always copied online (frozen for an instant)
  -h, --help     this text
The copy gets new addresses from the node's IP pools and keeps the source's hostname and settings;
it is left stopped. Reference: docs/cli.md.`;

export interface VzmlocalEntry {
  src: string;
  dst: number;
}

/** vzmlocal's command line (pure): "help", or the entries to copy. */
export function parseVzmlocalArgs(argv: string[]): "help" | { entries: VzmlocalEntry[] } {
  let copy = false;
  const list: string[] = [];
  for (const a of argv) {
    if (a === "-h" || a === "--help") return "help";
    if (a === "-C" || a === "--copy") copy = true;
    else if (a === "--online") continue;
    else if (a.startsWith("-")) throw new CliError(`Unknown option ${a}\n${VZMLOCAL_USAGE}`, MIG.USAGE);
    else list.push(a);
  }
  if (!list.length) throw new CliError(`No CT list given\n${VZMLOCAL_USAGE}`, MIG.USAGE);
  if (!copy) {
    throw new CliError(
      "Moving a container to another ID or area is not supported here; copy it with vzmlocal -C SRC:DST (then destroy the source)",
      MIG.USAGE,
    );
  }
  const entries = list.map((item) => {
    const [src = "", dst = "", priv = "", root = "", ...rest] = item.split(":");
    if (!src || !dst || rest.length) {
      throw new CliError(`Bad CT list entry "${item}": use <source CT ID>:<new CT ID>\n${VZMLOCAL_USAGE}`, MIG.USAGE);
    }
    if (priv || root) {
      const why = "private and root paths are not supported (the engine places every container's files itself)";
      throw new CliError(`Bad CT list entry "${item}": ${why}`, MIG.USAGE);
    }
    if (!/^\d+$/.test(dst) || !newCtidSchema.safeParse(Number(dst)).success) {
      throw new CliError(
        `Bad CT ID ${dst}: use a number from ${CTID_NEW_MIN} to ${CTID_MAX} (lower IDs are reserved)`,
        MIG.USAGE,
      );
    }
    return { src, dst: Number(dst) };
  });
  return { entries };
}

/** The exit status for a refusal of the panel's clone. */
function statusOf(e: unknown): number {
  if (e instanceof CliError) return e.exitCode;
  if (e instanceof PanelError) {
    if (e.fields?.ctid) return MIG.EXISTS;
    if (e.fields?.name) return MIG.NAME_IN_USE;
    return e.code === "CONFLICT" || e.code === "QUOTA_EXCEEDED" ? MIG.COPY : MIG.USAGE;
  }
  return MIG.COPY;
}

async function copyOne(cli: Cli, { src, dst }: VzmlocalEntry): Promise<number> {
  const c = await lookupCt(cli, src);
  if (!c) throw new CliError(`CT ${src} does not exist`, MIG.NOEXIST);
  if (c.ctid === dst) throw new CliError(`Source and destination CT are the same (${dst})`, MIG.EQUALS);
  if (await lookupCt(cli, String(dst))) throw new CliError(`CT ${dst} already exists`, MIG.EXISTS);
  // a container the node has but the panel does not know (made with engine-call) takes the ID too
  const onNode = await engineFor((await hereNode(cli.db)).endpoint)
    .call("container.status", { ctid: dst })
    .then(
      () => true,
      (e: unknown) => (isEngineError(e, "NOT_FOUND") ? false : Promise.reject(e)),
    );
  if (onNode) throw new CliError(`CT ${dst} already exists on this node (unknown to the panel)`, MIG.EXISTS);
  const made = await cloneCt(cli, c, { ctid: dst }, MIG.COPY);
  return made.ctid;
}

export async function vzmlocal(cli: Cli, argv: string[]): Promise<number> {
  const args = parseVzmlocalArgs(argv);
  if (args === "help") {
    cli.say(VZMLOCAL_USAGE);
    return 0;
  }
  const done: number[] = [];
  for (const entry of args.entries) {
    const what = `CT ${entry.src} -> CT ${entry.dst}, [], []`;
    cli.say(`Moving/copying ${what} ...`);
    try {
      done.push(await copyOne(cli, entry));
    } catch (e) {
      const status = statusOf(e);
      process.stderr.write(`Can't move/copy ${what} : ${(e as Error).message}\n`);
      if (done.length) cli.say(`Successfully created CT(s): ${done.join(" ")}`);
      return status;
    }
    cli.say("Successfully completed");
  }
  return 0;
}
