/**
 * Entry point of the compatible commands: `main.ts vzctl|prlctl|vzlist|vzmigrate|vzmlocal ARGS…` (the
 * wrappers on the PATH, installed by scripts/run.sh, call it). Runs as root on the node; see env.ts for how
 * it reaches the panel's database and the engine.
 */
import os from "node:os";
import type { Actor } from "../auth/roles.js";
import type { Db } from "../db/client.js";
import { describeError } from "../errors.js";
import { CliError } from "./args.js";
import type { Cli } from "./actions.js";
import { cliActor, closeDb, loadConfig, openDb } from "./env.js";
import { CliUsageError } from "./errors.js";

async function main(tool: string, argv: string[]): Promise<number> {
  loadConfig();
  process.env.OVZ_PANEL_ENGINE ??= "socket";
  if (tool === "vzlist") {
    const { formatVzlist, parseVzlistArgs } = await import("./vzlist.js");
    // options first: --help, -L and usage errors need no database
    const names = new Map<string, number>();
    const probe = parseVzlistArgs(argv, { resolveName: () => 0 });
    let rows: Awaited<ReturnType<typeof import("./rows.js").loadRows>> = [];
    if (probe.action === "list") {
      const { loadRows } = await import("./rows.js");
      rows = await loadRows(openDb(), { disk: true });
      for (const r of rows) if (r.name) names.set(r.name, r.ctid);
    }
    const opts = parseVzlistArgs(argv, { resolveName: (n) => names.get(n) ?? null });
    const out = formatVzlist(rows, opts);
    process.stdout.write(out.stdout);
    process.stderr.write(out.stderr);
    return out.exitCode;
  }
  // help and version need no database (a fresh host, a broken config)
  const first = argv.find((a) => !["--quiet", "--verbose", "--skiplock", "--skipowner"].includes(a));
  const bare = first === undefined || ["--help", "help", "--version"].includes(first);
  const db = bare ? (null as unknown as Db) : openDb();
  const actor = bare ? (null as unknown as Actor) : await cliActor(db, tool);
  // a run killed mid-operation (a vzmigrate among them) is repaired by the next one, as by a panel restart
  if (!bare) await (await import("../services/recovery.js")).recoverAfterRestart(db);
  const cli: Cli = {
    db,
    actor,
    ip: null,
    userAgent: `${tool} (${os.hostname()})`,
    say: (l) => process.stdout.write(l + "\n"),
  };
  if (tool === "vzctl") return (await import("./vzctl.js")).vzctl(cli, argv);
  if (tool === "prlctl") return (await import("./prlctl.js")).prlctl(cli, argv);
  if (tool === "vzmigrate") return (await import("./vzmigrate.js")).vzmigrate(cli, argv);
  if (tool === "vzmlocal") return (await import("./vzmlocal.js")).vzmlocal(cli, argv);
  throw new CliError(`unknown tool ${tool}: use vzctl, prlctl, vzmigrate, vzmlocal or vzlist`, 2);
}

const [tool = "", ...args] = process.argv.slice(2);
let code: number;
try {
  code = await main(tool, args);
} catch (e) {
  if (e instanceof CliUsageError) {
    const o = e.toOutput();
    process.stdout.write(o.stdout);
    process.stderr.write(o.stderr);
    code = o.exitCode;
  } else if (e instanceof CliError) {
    process.stderr.write(e.message + "\n");
    code = e.exitCode;
  } else {
    // the CLI has no log of its own: say what happened (a missing database, an unreachable engine, …)
    const known = describeError(e);
    process.stderr.write(
      `${tool}: ${known.startsWith("unexpected error") && e instanceof Error ? e.message : known}\n`,
    );
    code = 3; // VZ_SYSTEM_ERROR
  }
}
await closeDb();
process.exit(code);
