/**
 * ovz-engine: the privileged host engine daemon. Runs as root, listens on a Unix socket that only root
 * and the web tier's group may use — and, on a node joined to a panel on another host, also on
 * OVZ_LISTEN=HOST:PORT with mutual TLS (protocol/tls-server.ts) — repairs interrupted operations at
 * start-up, then serves requests. Stopping the daemon (SIGTERM) never stops containers: they run under
 * their own LXC monitors.
 */
import { readFileSync } from "node:fs";
import { writeFile, rm } from "node:fs/promises";
import path from "node:path";
import { loadConfig } from "./config.js";
import { buildEngine } from "./wire.js";
import type { MigratePhase } from "./migrate-manifest.js";
import { engineHandlers } from "./protocol/handlers.js";
import { listen } from "./protocol/server.js";
import { formatHostPort } from "./protocol/dial.js";
import { listenTls, NodeTlsError, readNodeTls } from "./protocol/tls-server.js";
import { ConsoleManager, DEFAULT_DETACH_SEC } from "./console.js";

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString()} ovz-engine: ${line}\n`);
}

function groupId(name: string | null): number | null {
  if (!name) return null;
  try {
    for (const l of readFileSync("/etc/group", "utf8").split("\n")) {
      const [n, , gid] = l.split(":");
      if (n === name) return Number(gid);
    }
  } catch {
    /* fall through */
  }
  log(`warning: group "${name}" does not exist; the socket is root-only (create the group or set OVZ_SOCKET_GROUP)`);
  return null;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) {
    log("must run as root (it manages cgroups, mounts and user namespaces)");
    process.exit(1);
  }
  const cfg = loadConfig();
  const listenAddr = cfg.listen ? formatHostPort(cfg.listen.host, cfg.listen.port) : null;
  // before touching anything: a node told to listen without its certificate must not start half-way
  const nodeTls = listenAddr ? await readNodeTls(cfg.tlsDir, listenAddr) : null;
  const engine = buildEngine(cfg);
  await engine.init(log);
  if (cfg.apparmor.warning) log(`warning: ${cfg.apparmor.warning}`);
  const detachSec = Number(process.env.OVZ_CONSOLE_DETACH_SEC ?? DEFAULT_DETACH_SEC);
  if (!Number.isFinite(detachSec) || detachSec <= 0)
    throw new Error(
      `OVZ_CONSOLE_DETACH_SEC must be a positive number of seconds, not "${process.env.OVZ_CONSOLE_DETACH_SEC}"`,
    );
  const consoleEngine = { status: (ctid: number) => engine.queries.status(ctid), drivers: engine.core.drivers };
  const consoles = new ConsoleManager(consoleEngine, {
    log,
    recordDir: path.join(cfg.stateDir, "consoles"),
    detachSec,
  });
  await consoles.recover();
  const handlers = engineHandlers(engine);
  const mig = engine.migrations;
  const conn = {
    log,
    consoles,
    backupFiles: (id: string) => engine.backups.file(id),
    templateUploads: (name: string, receive: (tmpTar: string) => Promise<void>, log: (line: string) => void) =>
      engine.core.drivers.templates.importReceived(name, receive, log),
    // the host command of one stream phase (protocol/migrate-stream.ts runs it)
    migrateStreams: (ctid: number, phase: MigratePhase, dir: "send" | "receive") =>
      dir === "send" ? mig.sendCommand(ctid, phase) : mig.receiveCommand(ctid, phase),
  };
  const server = await listen(handlers, { socketPath: cfg.socketPath, gid: groupId(cfg.socketGroup), ...conn });
  const tlsServer =
    cfg.listen && nodeTls
      ? await listenTls(handlers, { ...conn, host: cfg.listen.host, port: cfg.listen.port, tls: nodeTls })
      : null;
  const pidFile = path.join(cfg.stateDir, "engine.pid");
  await writeFile(pidFile, `${process.pid}\n`);
  log(
    `listening on ${cfg.socketPath}${tlsServer ? ` and tls://${listenAddr} (mutual TLS)` : ""} (state ${cfg.stateDir}, storage ${cfg.storage.driver}, cgroup v${engine.core.drivers.cgroups.version})`,
  );
  const shutdown = (sig: string) => {
    log(`${sig}: shutting down (containers keep running)`);
    server.close();
    tlsServer?.close();
    // console sessions end with the engine (their terminals would hang up anyway): leave nothing behind
    void Promise.race([consoles.closeAll(), new Promise((r) => setTimeout(r, 3000))])
      .then(() => rm(cfg.socketPath, { force: true }))
      .then(() => rm(pidFile, { force: true }))
      .finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((e) => {
  if (e instanceof NodeTlsError) log(`fatal: ${e.message}`);
  else log(`fatal: ${(e as Error).stack ?? String(e)}`);
  process.exit(1);
});
