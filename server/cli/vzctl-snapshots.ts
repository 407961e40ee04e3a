/**
 * vzctl's snapshot commands: snapshot, snapshot-list, snapshot-switch, snapshot-delete.
 */
import { createSnapshot, deleteSnapshot, listSnapshots, switchSnapshot } from "../services/snapshots.js";
import { CliError, has, one, parseOpts, VZ } from "./args.js";
import { findCt, fromPanel, type Cli } from "./actions.js";
import { noExtra, requireCtArg } from "./vzctl-args.js";

/** `say` prints even with --quiet (what a listing shows); cli.say is quiet then. */
export async function snapshotCommands(
  cli: Cli,
  say: Cli["say"],
  cmd: "snapshot" | "snapshot-list" | "snapshot-switch" | "snapshot-delete",
  argv: string[],
): Promise<number> {
  switch (cmd) {
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
  }
}
