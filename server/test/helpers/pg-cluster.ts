/**
 * A private PostgreSQL 15 cluster for tests and benches: initdb into a temp dir, started with pg_ctl on
 * 127.0.0.1 and a random port, socket in the same dir. As root the cluster runs as the `postgres` user
 * (initdb refuses root). stop() shuts it down and deletes the directory.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export interface PgCluster {
  url(db?: string): string;
  createDatabase(name: string): void;
  stop(): void;
  dir: string;
  port: number;
}

function bin(name: string): string {
  for (const p of [`/usr/lib/postgresql/15/bin/${name}`, `/usr/local/bin/${name}`, `/usr/bin/${name}`])
    if (fs.existsSync(p)) return p;
  throw new Error(`PostgreSQL tool ${name} not found; install postgresql-15 (apt-get install -y postgresql)`);
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? resolve(a.port) : reject(new Error("no port"))));
    });
  });
}

export async function startPgCluster(): Promise<PgCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-pg-"));
  const data = path.join(dir, "data");
  const asRoot = process.getuid?.() === 0;
  const runAs = (cmd: string, args: string[]) =>
    asRoot
      ? execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" })
      : execFileSync(cmd, args, { stdio: "pipe" });
  if (asRoot) execFileSync("chown", ["postgres:postgres", dir]);
  fs.chmodSync(dir, 0o700);
  runAs(bin("initdb"), ["-D", data, "-U", "ovz", "--auth=trust", "-E", "UTF8", "--no-sync"]);
  const port = await freePort();
  runAs(bin("pg_ctl"), [
    "-D",
    data,
    "-w",
    "-l",
    path.join(dir, "log"),
    "-o",
    `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
    "start",
  ]);
  const psql = (sql: string) =>
    execFileSync(
      bin("psql"),
      ["-h", "127.0.0.1", "-p", String(port), "-U", "ovz", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-c", sql],
      { stdio: "pipe" },
    );
  return {
    dir,
    port,
    url: (db = "postgres") => `postgresql://ovz@127.0.0.1:${port}/${db}`,
    createDatabase: (name) => void psql(`CREATE DATABASE "${name.replace(/"/g, "")}"`),
    stop() {
      try {
        runAs(bin("pg_ctl"), ["-D", data, "-w", "-m", "immediate", "stop"]);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
