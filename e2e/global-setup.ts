import { spawn, spawnSync as runSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";
import { createDb } from "../server/db/client.js";
import { migrate } from "../server/db/migrate.js";
import { seed } from "../server/seed.js";
import { startPgCluster, type PgCluster } from "../server/test/helpers/pg-cluster.js";
import { E2E_PORT } from "../playwright.config.js";
import { ADMIN, STATE_FILE, type StackState } from "./stack.js";

const g = globalThis as unknown as { __e2eEngine?: TestEngine; __e2ePg?: PgCluster };

async function waitHttp(url: string, pid: number, logFile: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      throw new Error(`the panel exited during start-up:\n${fs.readFileSync(logFile, "utf8").slice(-3000)}`);
    }
    try {
      const r = await fetch(url);
      if (r.status < 500) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the panel did not answer on ${url} within 60 s`);
}

export default async function globalSetup(): Promise<void> {
  if (process.getuid?.() !== 0)
    throw new Error("e2e tests need root: they start the real host engine (containers, cgroups, a btrfs loop pool)");
  if (!fs.existsSync(".next/BUILD_ID"))
    throw new Error("no production build of the panel: run `npx next build` first (scripts/test.sh does)");
  fs.mkdirSync(path.dirname(STATE_FILE), { recursive: true });

  // Real engine in its own netns; socket group ovz so the unprivileged panel may connect.
  // OVZ_E2E_CONSOLE_LOG=on: the engine keeps boot logs (its containers then cannot be checkpointed: a run for
  // clone-hostname.e2e.ts's boot log story, not for migrate.e2e.ts's live migration)
  const consoleLog = process.env.OVZ_E2E_CONSOLE_LOG === "on" ? { OVZ_CONSOLE_LOG: "on" } : {};
  const te = await startTestEngine({ env: { OVZ_SOCKET_GROUP: "ovz", ...consoleLog } });
  g.__e2eEngine = te;
  try {
    // PostgreSQL: the control plane of more than one node (a second node joins in nodes.e2e.ts)
    g.__e2ePg = await startPgCluster();
    await startStack(te, g.__e2ePg);
  } catch (e) {
    g.__e2ePg?.stop();
    await te.cleanup();
    throw e;
  }
}

async function startStack(te: TestEngine, pg: PgCluster): Promise<void> {
  await te.client.call("template.build", { kind: "busybox" });

  // A fresh database on the private cluster; the run's directory (panel log, the panel's PKI) belongs to the panel
  // user.
  pg.createDatabase("ovz_e2e");
  const databaseUrl = pg.url("ovz_e2e");
  await migrate(databaseUrl);
  const db = createDb(databaseUrl);
  // the story creates its own pool
  await seed(db, { email: ADMIN.email, password: ADMIN.password, socket: te.env.OVZ_SOCKET!, defaultPool: false });
  await db.$disconnect();
  const runDir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-e2e-run-"));
  const panelPki = path.join(runDir, "pki"); // created by the panel with the first join token
  spawnSync("chown", ["-R", "ovz-panel:ovz", runDir]);
  fs.mkdirSync(".next/cache", { recursive: true });
  spawnSync("chown", ["-R", "ovz-panel:ovz", ".next/cache"]);

  // The panel, as the ovz-panel user (setpriv execs in place, so the pid is the server's): Next's
  // production build behind server/http/main.ts, which also serves the console WebSocket.
  const logFile = path.join(runDir, "panel.log");
  const out = fs.openSync(logFile, "a");
  const child = spawn(
    "setpriv",
    [
      "--reuid=ovz-panel",
      "--regid=ovz",
      "--init-groups",
      "--",
      process.execPath,
      "--import",
      "tsx",
      "server/http/main.ts",
      "-p",
      String(E2E_PORT),
      "-H",
      "127.0.0.1",
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: "/var/lib/ovz-panel",
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: databaseUrl,
        OVZ_SOCKET: te.env.OVZ_SOCKET,
        OVZ_PANEL_PKI: panelPki,
        OVZ_TRAFFIC_INTERVAL_SEC: "2",
        OVZ_USAGE_INTERVAL_SEC: "2",
      },
      stdio: ["ignore", out, out],
      detached: false,
    },
  );
  fs.closeSync(out);
  const baseURL = `http://127.0.0.1:${E2E_PORT}`;
  await waitHttp(`${baseURL}/login`, child.pid!, logFile);
  const state: StackState = {
    baseURL,
    panelPid: child.pid!,
    runDir,
    databaseUrl,
    panelPki,
    panelLog: logFile,
    engine: {
      id: te.id,
      stateDir: te.stateDir,
      socket: te.env.OVZ_SOCKET!,
      cgroupParent: te.cgroupParent,
      netns: te.netns,
    },
  };
  fs.writeFileSync(STATE_FILE, JSON.stringify(state, null, 2));
}

function spawnSync(cmd: string, args: string[]): void {
  const r = runSync(cmd, args, { stdio: "inherit" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed`);
}
