/**
 * API load benchmark: `containers.list` over HTTP against the production build (`next start`) for a
 * customer tenant with 1,000 containers (fake rows; the list never calls the engine), with baselines
 * measured in the same run:
 *   - the same procedure for a tenant with 10 containers (what the rows cost),
 *   - `auth.me` (token check + tRPC + Next.js request overhead, no list),
 * on SQLite (the default) and on PostgreSQL (a private throw-away cluster).
 *   npx tsx bench/api.bench.ts [--duration 10] [--connections 10]
 * Needs `next build` first. Writes bench/results/api-<ISO date>.json, bench/results/api-latest.md and
 * the <!-- bench:api --> section of README.md.
 */
import autocannon from "autocannon";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { formatToken, newSecret } from "../server/auth/api-token.js";
import { createDb, type Db } from "../server/db/client.js";
import { migrate } from "../server/db/migrate.js";
import { startPgCluster } from "../server/test/helpers/pg-cluster.js";
import { publishResults } from "./common.js";
import { seedTenants } from "./seed.js";

const REPO = path.resolve(import.meta.dirname, "..");
const { values } = parseArgs({
  options: { duration: { type: "string", default: "10" }, connections: { type: "string", default: "10" } },
});
const DURATION = Number(values.duration);
const CONNECTIONS = Number(values.connections);
const log = (m: string) => process.stderr.write(`[bench:api] ${m}\n`);

async function populate(db: Db): Promise<{ big: string; small: string }> {
  const seeded = await seedTenants(db, "/run/ovz/bench-none.sock", [
    ["big", 1000],
    ["small", 10],
  ]);
  const tokens: Record<string, string> = {};
  for (const [name, { tenant, user }] of Object.entries(seeded)) {
    const { secret, hash } = newSecret();
    const tok = await db.apiToken.create({
      data: { name: "bench", secretHash: hash, role: "customer", tenantId: tenant.id, userId: user.id },
    });
    tokens[name] = formatToken(tok.id, secret);
  }
  return { big: tokens.big!, small: tokens.small! };
}

async function startPanel(databaseUrl: string, port: number): Promise<{ stop: () => Promise<void> }> {
  const child = spawn(
    process.execPath,
    ["node_modules/next/dist/bin/next", "start", "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: REPO,
      env: {
        ...process.env,
        NODE_ENV: "production",
        NEXT_TELEMETRY_DISABLED: "1",
        DATABASE_URL: databaseUrl,
        OVZ_PANEL_ENGINE: "fake",
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  const exited = new Promise((r) => child.once("exit", r));
  for (let i = 0; i < 240; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/login`)).status < 500) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    stop: async () => {
      child.kill("SIGTERM");
      await exited;
    },
  };
}

interface Row {
  db: string;
  scenario: string;
  rows: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

async function load(url: string, token: string): Promise<autocannon.Result> {
  // Warm up (JIT, connection pools, Next's route compilation) before measuring.
  await autocannon({ url, connections: 2, duration: 2, headers: { authorization: `Bearer ${token}` } });
  return autocannon({
    url,
    connections: CONNECTIONS,
    duration: DURATION,
    headers: { authorization: `Bearer ${token}` },
  });
}

async function runOn(dbName: string, databaseUrl: string, port: number): Promise<Row[]> {
  await migrate(databaseUrl);
  const db = createDb(databaseUrl);
  const tokens = await populate(db);
  await db.$disconnect();
  const panel = await startPanel(databaseUrl, port);
  const out: Row[] = [];
  try {
    const base = `http://127.0.0.1:${port}/api/trpc`;
    const list = `${base}/containers.list?input=${encodeURIComponent(JSON.stringify({ json: { take: 1000 } }))}`;
    const check = await fetch(list, { headers: { authorization: `Bearer ${tokens.big}` } });
    const body = (await check.json()) as { result?: { data?: { json?: unknown[] } } };
    const n = body.result?.data?.json?.length;
    if (check.status !== 200 || n !== 1000)
      throw new Error(`containers.list answered ${check.status} with ${n} rows, expected 1000`);
    for (const [scenario, url, token, rows] of [
      ["containers.list", list, tokens.big, 1000],
      ["containers.list", list, tokens.small, 10],
      ["auth.me (baseline)", `${base}/auth.me`, tokens.big, 0],
    ] as const) {
      log(`${dbName}: ${scenario} (${rows} rows), ${CONNECTIONS} connections × ${DURATION} s`);
      const r = await load(url, token);
      out.push({
        db: dbName,
        scenario,
        rows,
        rps: Math.round(r.requests.average),
        p50: r.latency.p50,
        p99: r.latency.p99,
        errors: r.errors,
        non2xx: r.non2xx,
      });
    }
  } finally {
    await panel.stop();
  }
  return out;
}

if (!fs.existsSync(path.join(REPO, ".next/BUILD_ID"))) {
  console.error("no production build: run `npx next build` first");
  process.exit(2);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-bench-api-"));
const rows: Row[] = [];
const pg = await startPgCluster();
try {
  rows.push(...(await runOn("SQLite", `file:${tmp}/panel.db`, 3981)));
  pg.createDatabase("bench");
  rows.push(...(await runOn("PostgreSQL", pg.url("bench"), 3982)));
} finally {
  pg.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}

const date = new Date().toISOString();
const md = [
  `API load, \`next start\`, autocannon ${CONNECTIONS} connections × ${DURATION} s, bearer API token, ${os.cpus().length} CPUs (${date.slice(0, 10)}):`,
  "",
  "| database | request | rows returned | req/s | p50 ms | p99 ms | errors / non-2xx |",
  "|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) => `| ${r.db} | ${r.scenario} | ${r.rows} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.errors} / ${r.non2xx} |`,
  ),
].join("\n");
const rel = publishResults({
  name: "api",
  title: "API benchmark",
  date,
  result: { date, duration: DURATION, connections: CONNECTIONS, cpus: os.cpus().length, rows },
  md,
  log,
});
process.stdout.write(`${md}\n\nresults: ${rel}\n`);
