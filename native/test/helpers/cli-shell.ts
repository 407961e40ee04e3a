/**
 * The compatible commands as an admin runs them, for root tests: a migrated and seeded panel database
 * (SQLite, in a temporary directory), the wrappers scripts/install-cli.sh installs, and real bash with
 * them first on the PATH. `sh` runs a script and returns its status and output; `ok` throws with both
 * when the status is not 0. `socket` (default: the seeded node's) picks the node the commands act on;
 * `env` adds settings /etc/ovz/ovz.conf would hold (the file itself is not read: OVZ_CONF=/dev/null).
 */
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb, type Db } from "../../../server/db/client.js";
import { resetEngines } from "../../../server/engine/index.js";
import { waitForAllOperations } from "../../../server/services/operations.js";
import { seed } from "../../../server/seed.js";
import { REPO } from "./engine.js";

export interface ShellOut {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliShell {
  db: Db;
  dbUrl: string;
  sh(script: string, opts?: { input?: string; socket?: string }): Promise<ShellOut>;
  ok(script: string, opts?: { input?: string; socket?: string }): Promise<string>;
  /** waits for this process's operations, closes the database, removes the directory */
  close(): Promise<void>;
}

const run = (file: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  new Promise<void>((resolve, reject) =>
    execFile(file, args, { env, cwd: REPO }, (e, _o, stderr) =>
      e ? reject(new Error(`${file} ${args.join(" ")}: ${stderr}`)) : resolve(),
    ),
  );

export async function cliShell(socket: string, opts: { name: string; env?: NodeJS.ProcessEnv }): Promise<CliShell> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ovz-${opts.name}-`));
  const dbUrl = `file:${path.join(dir, "panel.db")}`;
  await run(process.execPath, ["--import", "tsx", path.join(REPO, "server/db/migrate.ts")], {
    ...process.env,
    DATABASE_URL: dbUrl,
  });
  const db = createDb(dbUrl);
  await seed(db, { email: `admin@${opts.name}.test`, password: `${opts.name}-admin-password`, socket });
  const bin = path.join(dir, "bin");
  await run("bash", [path.join(REPO, "scripts/install-cli.sh"), bin]);

  const sh = (script: string, o: { input?: string; socket?: string } = {}) =>
    new Promise<ShellOut>((resolve) => {
      const env = {
        ...process.env,
        ...opts.env,
        PATH: `${bin}:${process.env.PATH}`,
        DATABASE_URL: dbUrl,
        OVZ_CONF: "/dev/null",
        OVZ_PANEL_ENGINE: "socket",
        OVZ_SOCKET: o.socket ?? socket,
      };
      const child = execFile(
        "bash",
        ["-c", script],
        { cwd: os.tmpdir(), env, maxBuffer: 16 * 1024 * 1024, timeout: 240_000 },
        (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
      );
      if (o.input !== undefined) child.stdin!.end(o.input);
    });
  const ok = async (script: string, o: { input?: string; socket?: string } = {}) => {
    const r = await sh(script, o);
    if (r.code !== 0) throw new Error(`${script} → exit ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  };
  const close = async () => {
    await waitForAllOperations();
    await db.$disconnect();
    resetEngines();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  return { db, dbUrl, sh, ok, close };
}
