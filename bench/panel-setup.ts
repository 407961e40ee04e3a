/**
 * What bench/panel.bench.ts runs against: a SQLite database with two customer tenants (1,000 and 10 fake
 * containers, one logged-in user each), a stub engine on a Unix socket, and the production panel
 * (server/http/main.ts, as deployed) on a port of its own.
 *
 * The stub engine speaks the real protocol (native/src/protocol/server.ts's connectionHandler: frames, version and
 * schema checks) and answers from a FakeEngine in this process that holds the same containers, running. So the
 * container page's engine calls (container.status, host.power) make a real socket round trip and the page shows
 * real data; what it leaves out is the real engine's own work behind those calls (lxc-info, cgroup reads).
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { createSession } from "../server/auth/session.js";
import { createDb } from "../server/db/client.js";
import { migrate } from "../server/db/migrate.js";
import { FakeEngine } from "../server/engine/fake.js";
import { connectionHandler } from "../native/src/protocol/server.js";
import { seedTenants } from "./seed.js";
import type { Handlers } from "../native/src/protocol/handlers.js";
import type { MethodName, Params } from "../native/src/protocol/schema.js";

const REPO = path.resolve(import.meta.dirname, "..");

export interface Tenant {
  /** the session cookie's value of the tenant's customer user */
  session: string;
  /** one of its containers (id, ctid): the one whose page is measured */
  container: { id: string; ctid: number };
  rows: number;
}

/** Fills a fresh database: tenants "big" (1,000 containers) and "small" (10), each with a user and a session. */
export async function populate(
  databaseUrl: string,
  endpoint: string,
): Promise<{ big: Tenant; small: Tenant; ctids: number[] }> {
  await migrate(databaseUrl);
  const db = createDb(databaseUrl);
  try {
    const seeded = await seedTenants(db, endpoint, [
      ["big", 1000],
      ["small", 10],
    ]);
    const ctids = Object.values(seeded).flatMap((x) => x.ctids);
    const out: Record<string, Tenant> = {};
    for (const [name, { tenant: t, user: u, ctids: mine }] of Object.entries(seeded)) {
      const n = mine.length;
      // the measured container: the middle one, with a few finished operations (its page lists the last 10)
      const mid = mine[Math.floor(n / 2)]!;
      const c = await db.container.findFirstOrThrow({ where: { ctid: mid } });
      for (const type of ["create", "start", "stop", "start", "restart"]) {
        const at = new Date(Date.now() - 3600_000);
        await db.operation.create({
          data: {
            type,
            status: "succeeded",
            progress: 100,
            containerId: c.id,
            tenantId: t.id,
            userId: u.id,
            actor: u.email,
            startedAt: at,
            finishedAt: at,
          },
        });
      }
      const { token } = await createSession(db, u.id, { secondFactor: false, ip: null, userAgent: "bench" });
      out[name] = { session: token, container: { id: c.id, ctid: mid }, rows: n };
    }
    return { big: out.big!, small: out.small!, ctids };
  } finally {
    await db.$disconnect();
  }
}

/** The stub engine: the real protocol on `socketPath`, answered by a FakeEngine holding these running containers. */
export async function startStubEngine(socketPath: string, ctids: number[]): Promise<{ stop: () => Promise<void> }> {
  const fake = new FakeEngine();
  for (const ctid of ctids) {
    await fake.call("container.create", { ctid, template: "busybox", hostname: `ct${ctid}.bench.test` });
    await fake.call("container.start", { ctid });
  }
  const handlers = new Proxy({} as Handlers, {
    get:
      (_t, method: string) =>
      (p: unknown): Promise<unknown> =>
        fake.call(method as MethodName, p as Params<MethodName>),
  });
  fs.rmSync(socketPath, { force: true });
  const server = net.createServer(connectionHandler(handlers, {}));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(socketPath, () => resolve());
  });
  return {
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        // open keep-alive connections of the panel end with the panel; do not wait for them here
        setTimeout(resolve, 1000).unref();
      }),
  };
}

/**
 * The production panel as deployed (server/http/main.ts: Next's build + the console WebSocket), samplers and
 * background workers off (they would poll the stub engine at random moments of the measurement).
 */
export async function startPanel(
  databaseUrl: string,
  port: number,
  log: (m: string) => void,
): Promise<{ url: string; stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "server/http/main.ts", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: databaseUrl,
        OVZ_PANEL_ENGINE: "socket",
        OVZ_TRAFFIC_INTERVAL_SEC: "0",
        OVZ_USAGE_INTERVAL_SEC: "0",
        OVZ_BACKUP_SCHEDULER_SEC: "0",
        OVZ_NOTIFY_INTERVAL_SEC: "0",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const exited = new Promise((r) => child.once("exit", r));
  const url = `http://127.0.0.1:${port}`;
  let up = false;
  for (let i = 0; i < 480 && child.exitCode === null; i++) {
    try {
      if ((await fetch(`${url}/login`)).status < 500) {
        up = true;
        break;
      }
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  if (!up) {
    child.kill("SIGTERM");
    throw new Error(`the panel did not answer on ${url} within 2 minutes; see its output above`);
  }
  log(`panel up on ${url} (pid ${child.pid})`);
  return {
    url,
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}
