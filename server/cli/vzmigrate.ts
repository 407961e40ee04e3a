/**
 * vzmigrate [--online] [-r yes|no] [-v] DESTINATION_NODE CTID|NAME — move a container to another node
 * through the same operation the panel runs (server/services/migrate.ts). DESTINATION is a node name as
 * registered in the panel (OpenVZ's took an SSH address; here nodes are reached by the panel's mTLS).
 * --online: live migration (CRIU); without it the container is stopped, copied and started again.
 * Exit codes follow OpenVZ's vzmigrate: 1 usage, 2 CT stopped (for --online), 9 CTID exists on the
 * destination, 10 no such CT, 12 address in use there, 6 the move failed.
 */
import { checkMigration, migrateContainer } from "../services/migrate.js";
import { waitForAllOperations } from "../services/operations.js";
import { PanelError } from "../errors.js";
import { CliError } from "./args.js";
import { liveState, lookupCt, type Cli } from "./actions.js";

/** vzmigrate(8)'s exit statuses (vzmlocal(8) uses the same) */
export const MIG = {
  USAGE: 1,
  STOPPED: 2,
  COPY: 6,
  EXISTS: 9,
  NOEXIST: 10,
  IP_IN_USE: 12,
  DISKSPACE: 31,
  EQUALS: 34,
  NAME_IN_USE: 45,
} as const;

const USAGE = `Usage: vzmigrate [-r yes|no] [--online] [-v] destination_node <CTID>
Options:
  -r, --remove-area yes|no   remove the container's files from the source after the move (default yes;
                             'no' is not supported: a moved container never keeps a copy)
  --online                   live migration: the container keeps running (CRIU); without it, it is
                             stopped, copied and started again on the destination
  -v                         verbose: print the operation's log
  -h, --help                 this text
`;

export function parseVzmigrateArgs(
  argv: string[],
): { online: boolean; verbose: boolean; dest: string; ct: string } | "help" {
  let online = false;
  let verbose = false;
  const pos: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "-h" || a === "--help") return "help";
    else if (a === "--online") online = true;
    else if (a === "-v" || a === "--verbose") verbose = true;
    else if (a === "-r" || a === "--remove-area" || a.startsWith("--remove-area=")) {
      const v = a.includes("=") ? a.slice(a.indexOf("=") + 1) : argv[++i];
      if (v !== "yes" && v !== "no")
        throw new CliError(`Bad value for ${a.split("=")[0]}: ${v ?? "(none)"}; use yes or no\n${USAGE}`, MIG.USAGE);
      if (v === "no")
        throw new CliError(
          "--remove-area no is not supported: a moved container keeps no copy on the source",
          MIG.USAGE,
        );
    } else if (a.startsWith("-")) throw new CliError(`Unknown option ${a}\n${USAGE}`, MIG.USAGE);
    else pos.push(a);
  }
  if (pos.length !== 2) throw new CliError(`Expected a destination node and a CTID\n${USAGE}`, MIG.USAGE);
  return { online, verbose, dest: pos[0]!, ct: pos[1]! };
}

export async function vzmigrate(cli: Cli, argv: string[]): Promise<number> {
  const args = parseVzmigrateArgs(argv);
  if (args === "help") {
    cli.say(USAGE.trimEnd());
    return 0;
  }
  const c = await lookupCt(cli, args.ct);
  if (!c) throw new CliError(`CT ${args.ct} does not exist`, MIG.NOEXIST);
  const node = await cli.db.node.findFirst({ where: { name: args.dest } });
  if (!node) {
    const names = (await cli.db.node.findMany({ select: { name: true }, orderBy: { name: "asc" } })).map((n) => n.name);
    throw new CliError(
      `Unknown destination node ${args.dest}; registered nodes: ${names.join(", ") || "none"}`,
      MIG.USAGE,
    );
  }
  if (args.online && (await liveState(cli, c)) !== "running")
    throw new CliError(`CT ${c.ctid} is not running; migrate it without --online`, MIG.STOPPED);
  const input = { targetNodeId: node.id, live: args.online };
  let op;
  try {
    await checkMigration(cli.db, c, input);
    op = await migrateContainer(cli, c, input);
  } catch (e) {
    if (e instanceof PanelError) {
      const f = e.fields?.targetNodeId ?? "";
      throw new CliError(
        e.message,
        /CTID/.test(f) ? MIG.EXISTS : /address/.test(f) ? MIG.IP_IN_USE : e.code === "CONFLICT" ? MIG.COPY : MIG.USAGE,
      );
    }
    throw e;
  }
  cli.say(`Starting ${args.online ? "online " : ""}migration of CT ${c.ctid} to ${node.name}`);
  await waitForAllOperations();
  const done = await cli.db.operation.findUniqueOrThrow({
    where: { id: op.id },
    include: { lines: { orderBy: { id: "asc" } } },
  });
  if (args.verbose || done.status !== "succeeded") for (const l of done.lines) cli.say(l.line);
  if (done.status !== "succeeded") throw new CliError(done.error ?? "migration failed", MIG.COPY);
  cli.say(`Migration of CT ${c.ctid} to ${node.name} completed`);
  return 0;
}
