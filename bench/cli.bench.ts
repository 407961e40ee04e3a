/**
 * The compatible commands' latency, side by side with baselines in the same run (root; real engine in its
 * own netns, a fresh SQLite panel database, busybox containers):
 *   - `vzctl status CT`   vs  the raw engine call (`engine-call container.status`, same Node + tsx start)
 *                         vs  `node -e 0` (the floor: starting Node at all)
 *   - `vzlist -a`         vs  `engine-call container.list`
 *   - a mass-management loop `for CT in $(vzlist -H -o ctid); do vzctl exec $CT true; done`
 *                         vs  the same loop over `engine-call container.exec`
 *   npx tsx bench/cli.bench.ts [--reps 10] [--containers 5]
 * Results: bench/results/cli-<date>.json, cli-latest.md and README's <!-- bench:cli --> block.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createDb } from "../server/db/client.js";
import { seed } from "../server/seed.js";
import { startTestEngine } from "../native/test/helpers/engine.js";
import { argValue, publishResults } from "./common.js";

const REPO = path.resolve(import.meta.dirname, "..");
const reps = argValue("reps", 10);
const n = argValue("containers", 5);
const log = (m: string) => process.stderr.write(`${m}\n`);

if (process.getuid?.() !== 0) {
  log("cli.bench: needs root (it starts the real engine)");
  process.exit(1);
}

const te = await startTestEngine();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-clibench-"));
try {
  await te.client.call("template.build", { kind: "busybox" });
  const dbUrl = `file:${path.join(dir, "panel.db")}`;
  execFileSync(process.execPath, ["--import", "tsx", path.join(REPO, "server/db/migrate.ts")], {
    env: { ...process.env, DATABASE_URL: dbUrl },
    cwd: REPO,
  });
  const db = createDb(dbUrl);
  await seed(db, { email: "bench@cli.test", password: "bench-password-1", socket: te.env.OVZ_SOCKET! });
  await db.$disconnect();
  const bin = path.join(dir, "bin");
  execFileSync("bash", [path.join(REPO, "scripts/install-cli.sh"), bin]);
  const env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    DATABASE_URL: dbUrl,
    OVZ_CONF: "/dev/null",
    OVZ_SOCKET: te.env.OVZ_SOCKET!,
  };
  const sh = (script: string) => {
    const r = spawnSync("bash", ["-c", script], { env, cwd: os.tmpdir(), encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${script}: exit ${r.status}\n${r.stderr}`);
    return r.stdout;
  };
  for (let i = 0; i < n; i++)
    sh(`vzctl create ${101 + i} --ostemplate busybox --config starter >/dev/null && vzctl start ${101 + i} >/dev/null`);

  const call = `node --import ${path.join(REPO, "node_modules/tsx/dist/loader.mjs")} ${path.join(REPO, "native/src/tools/engine-call.ts")}`;
  const time = (script: string) => {
    const t = process.hrtime.bigint();
    sh(script);
    return Number(process.hrtime.bigint() - t) / 1e6;
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const measure = (script: string) => {
    time(script); // warm the tsx cache and the page cache
    return median(Array.from({ length: reps }, () => time(script)));
  };
  const cases = [
    {
      name: "status of one container",
      ours: "vzctl status 101",
      baseline: `${call} container.status '{"ctid":101}'`,
      floor: "node -e 0",
    },
    { name: `list of ${n} containers`, ours: "vzlist -a", baseline: `${call} container.list '{}'`, floor: "node -e 0" },
    {
      name: `exec in each of ${n} containers (shell loop)`,
      ours: `for CT in $(vzlist -H -o ctid); do vzctl exec $CT true; done`,
      baseline: `for CT in $(seq 101 ${100 + n}); do ${call} container.exec "{\\"ctid\\":$CT,\\"argv\\":[\\"true\\"]}" >/dev/null; done`,
      floor: `for CT in $(seq 101 ${100 + n}); do node -e 0; done`,
    },
  ];
  const rows = cases.map((c) => {
    const ours = measure(c.ours);
    const baseline = measure(c.baseline);
    const floor = measure(c.floor);
    log(
      `${c.name}: ours ${ours.toFixed(0)} ms, engine call ${baseline.toFixed(0)} ms, node floor ${floor.toFixed(0)} ms`,
    );
    return { ...c, oursMs: ours, baselineMs: baseline, floorMs: floor };
  });
  const date = new Date().toISOString();
  const md = [
    `CLI latency, \`npx tsx bench/cli.bench.ts\` (root), median of ${reps}, ${os.cpus().length} CPUs, ${date.slice(0, 10)}:`,
    "",
    "| benchmark | vzctl/vzlist | raw engine call | node start | ours / engine call |",
    "|---|---|---|---|---|",
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.oursMs.toFixed(0)} ms | ${r.baselineMs.toFixed(0)} ms | ${r.floorMs.toFixed(0)} ms | ${(r.oursMs / r.baselineMs).toFixed(2)} |`,
    ),
    "",
    "The CLI's extra cost over a raw engine call is loading the panel's services and Prisma and the database",
    "queries; both pay Node + tsx start-up, which dominates.",
  ].join("\n");
  const out = publishResults({
    name: "cli",
    title: "CLI latency",
    date,
    result: { date, reps, containers: n, rows },
    md,
    log,
  });
  log(`results: ${out}`);
  for (let i = 0; i < n; i++) sh(`vzctl stop ${101 + i} >/dev/null; vzctl destroy ${101 + i} >/dev/null`);
} finally {
  await te.cleanup();
  fs.rmSync(dir, { recursive: true, force: true });
}
