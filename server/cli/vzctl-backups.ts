/**
 * Backups from the command line: vzctl restore (a checkpoint, or a backup), and backup / backup-list /
 * backup-delete / restore shared with prlctl.
 */
import { hostname as hostOS } from "node:os";
import { engineFor } from "../engine/index.js";
import { backupContainer, deleteBackup, listBackups, restoreContainer } from "../services/snapshots.js";
import { waitForAllOperations } from "../services/operations.js";
import { CliError, has, one, parseOpts, VZ } from "./args.js";
import { findCt, fromPanel, liveState, suspendCt, type Cli } from "./actions.js";
import { noExtra, requireCtArg } from "./vzctl-args.js";

/** vzctl restore CTID [--dumpfile F] [--backup id]. */
export async function restoreCommand(cli: Cli, argv: string[]): Promise<number> {
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
    "restore",
    argv.filter((a, i) => !(a === "--dumpfile" || a.startsWith("--dumpfile=") || argv[i - 1] === "--dumpfile")),
    "vzctl",
  );
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
