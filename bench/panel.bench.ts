/**
 * Panel time to interactive in Chromium (issue 17): the production build (server/http/main.ts) on SQLite, a
 * customer tenant with 1,000 containers (fake rows; a stub engine on a Unix socket answers the container page's
 * engine calls from memory: bench/panel-setup.ts), pages loaded by Debian's Chromium through playwright-core.
 *   - the containers list (/containers, first page of 25 rows) of the 1,000-container tenant (goal ≤ 500 ms warm),
 *   - the container page (/containers/<id>, Summary tab) of one of them (goal ≤ 300 ms warm),
 * with baselines in the same run: the same list for a tenant with 10 containers (what the rows cost), the list
 * with 100 rows shown (?size=100, the largest page), the container page of the small tenant, and /account (the
 * shell: Next.js, auth.me, the layout; no list).
 * Each run and page: a fresh browser context (empty cache, the session cookie) loads it twice: the first load is
 * cold, the second warm. One unrecorded round first (the server's JIT and caches). What "interactive" means:
 * bench/panel-measure.ts. Median and p95 in ms from the navigation's start.
 *   npx next build && npx tsx bench/panel.bench.ts [--runs 15] [--port 3982]
 * Writes bench/results/panel-<ISO date>.json, bench/results/panel-latest.md and the <!-- bench:panel --> section
 * of README.md.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";
import { argValue, publishResults } from "./common.js";
import { coldAndWarm, type Sample, type Spec } from "./panel-measure.js";
import { populate, startPanel, startStubEngine, type Tenant } from "./panel-setup.js";
import { CHROMIUM_LAUNCH } from "../e2e/chromium.js";

const REPO = path.resolve(import.meta.dirname, "..");
const RUNS = argValue("runs", 15);
const PORT = argValue("port", 3982);
const log = (m: string) => process.stderr.write(`[bench:panel] ${m}\n`);

interface Scenario {
  name: string;
  tenant: Tenant;
  path: string;
  spec: Spec;
  shown: number | null;
  goal: number | null;
}

const median = (xs: number[]) => pct(xs, 50);
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}
const ms = (x: number) => String(Math.round(x));

function scenarios(big: Tenant, small: Tenant): Scenario[] {
  const page = (t: Tenant) => ({ kind: "container", ctid: t.container.ctid }) as const;
  return [
    {
      name: "containers list",
      tenant: big,
      path: "/containers",
      spec: { kind: "list", rows: 25 },
      shown: 25,
      goal: 500,
    },
    {
      name: "containers list",
      tenant: small,
      path: "/containers",
      spec: { kind: "list", rows: 10 },
      shown: 10,
      goal: null,
    },
    {
      name: "containers list, 100 per page",
      tenant: big,
      path: "/containers?size=100",
      spec: { kind: "list", rows: 100 },
      shown: 100,
      goal: null,
    },
    {
      name: "container page",
      tenant: big,
      path: `/containers/${big.container.id}`,
      spec: page(big),
      shown: null,
      goal: 300,
    },
    {
      name: "container page",
      tenant: small,
      path: `/containers/${small.container.id}`,
      spec: page(small),
      shown: null,
      goal: null,
    },
    {
      name: "/account (shell baseline)",
      tenant: big,
      path: "/account",
      spec: { kind: "plain" },
      shown: null,
      goal: null,
    },
  ];
}

if (!fs.existsSync(path.join(REPO, ".next/BUILD_ID"))) {
  console.error("no production build: run `npx next build` first");
  process.exit(2);
}
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-bench-panel-"));
const socket = path.join(tmp, "engine.sock");
const databaseUrl = `file:${tmp}/panel.db`;
const load0 = os.loadavg();
const samples = new Map<Scenario, { cold: Sample[]; warm: Sample[] }>();
let list: Scenario[] = [];
const { big, small, ctids } = await populate(databaseUrl, socket);
const engine = await startStubEngine(socket, ctids);
const panel = await startPanel(databaseUrl, PORT, log).catch(async (e: unknown) => {
  await engine.stop();
  throw e;
});
const browser = await chromium.launch(CHROMIUM_LAUNCH);
const chromiumVersion = browser.version();
try {
  list = scenarios(big, small);
  for (const s of list) samples.set(s, { cold: [], warm: [] });
  log("warm-up round (not recorded)");
  for (const s of list) await coldAndWarm(browser, panel.url, s.path, s.tenant.session, s.spec);
  for (let r = 0; r < RUNS; r++) {
    // the order rotates each run, so drift of the machine's other load spreads over all pages
    for (let i = 0; i < list.length; i++) {
      const s = list[(i + r) % list.length]!;
      const { cold, warm } = await coldAndWarm(browser, panel.url, s.path, s.tenant.session, s.spec);
      samples.get(s)!.cold.push(cold);
      samples.get(s)!.warm.push(warm);
    }
    log(`run ${r + 1}/${RUNS} done`);
  }
} finally {
  await browser.close();
  await panel.stop();
  await engine.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
}
const load1 = os.loadavg();

/** The request that carried a procedure (first one), as [sent, first byte, end]. */
function req(x: Sample, proc: string) {
  return x.trpc.find((t) => t.procs.split(",").includes(proc));
}
const dataProc = (s: Scenario) =>
  s.spec.kind === "list" ? "containers.table" : s.spec.kind === "container" ? "containers.get" : null;
function medianOf(xs: Sample[], f: (x: Sample) => number | undefined): string {
  const v = xs.map(f).filter((n): n is number => n !== undefined);
  return v.length ? ms(median(v)) : "—";
}

const date = new Date().toISOString();
const rowsOf = (s: Scenario) => `${s.tenant.rows}${s.shown !== null ? ` (${s.shown} shown)` : ""}`;
const main = list.map((s) => {
  const { cold, warm } = samples.get(s)!;
  const i = (xs: Sample[]) => xs.map((x) => x.interactive);
  const goal = s.goal === null ? "baseline" : `≤ ${s.goal}${median(i(warm)) <= s.goal ? " ✓" : " ✗"}`;
  const cells = [median(i(warm)), pct(i(warm), 95), median(i(cold)), pct(i(cold), 95)].map(ms);
  return `| ${s.name} | ${rowsOf(s)} | ${cells.join(" | ")} | ${goal} |`;
});
const breakdown = (["warm", "cold"] as const).flatMap((mode) =>
  list.map((s) => {
    const xs = samples.get(s)![mode];
    const p = dataProc(s);
    const data = (x: Sample) => (p ? req(x, p) : undefined);
    return [
      `| ${s.name} | ${rowsOf(s)} | ${mode}`,
      medianOf(xs, (x) => x.document),
      medianOf(xs, (x) => x.domContentLoaded),
      medianOf(xs, (x) => req(x, "auth.me")?.start),
      medianOf(xs, (x) => req(x, "auth.me")?.end),
      medianOf(xs, (x) => data(x)?.start),
      medianOf(xs, (x) => data(x)?.end),
      medianOf(xs, (x) => {
        const q = data(x);
        return q ? q.firstByte - q.start : undefined;
      }),
      medianOf(xs, (x) => x.rendered),
      medianOf(xs, (x) => x.interactive),
      `${medianOf(xs, (x) => x.longTaskMs)} |`,
    ].join(" | ");
  }),
);
const md = [
  `Panel time to interactive, Chromium ${chromiumVersion}, production build (server/http/main.ts) on SQLite, ` +
    `${RUNS} runs, ${os.cpus().length} CPUs, load average ${load0[0]!.toFixed(1)} → ${load1[0]!.toFixed(1)} ` +
    `(${date.slice(0, 10)}). ms from navigation start until the page is settled and the main thread idle ` +
    "(bench/panel-measure.ts); warm = second load in the same context, cold = first load in a fresh one:",
  "",
  "| page | tenant's containers | warm median | warm p95 | cold median | cold p95 | goal (warm median) |",
  "|---|---|---|---|---|---|---|",
  ...main,
  "",
  "Where the time goes (medians, ms from navigation start; document = its last byte; server = the data request's " +
    "first byte − sent; data request = `containers.table` on the list, `containers.get` on the container page; " +
    "long tasks = ms of tasks over 50 ms before interactive):",
  "",
  "| page | tenant's containers | load | document | DOMContentLoaded | auth.me sent | auth.me done | " +
    "data request sent | data request done | server | rendered | interactive | long tasks |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...breakdown,
  "",
  'No "before" build is measured: the list has been paginated on the server since before this bench; ' +
    "the 10-container " +
    "tenant and the 100-rows page are the baselines for what rows cost, /account for what the shell costs. The " +
    "engine is a stub (the real protocol over a Unix socket, answered from memory): the real engine's own time for " +
    "container.status and host.power is not included.",
].join("\n");
const rel = publishResults({
  name: "panel",
  title: "Panel time to interactive",
  date,
  result: {
    date,
    runs: RUNS,
    cpus: os.cpus().length,
    loadavg: { start: load0, end: load1 },
    chromium: chromiumVersion,
    scenarios: list.map((s) => ({
      name: s.name,
      path: s.path,
      rows: s.tenant.rows,
      shown: s.shown,
      goal: s.goal,
      ...samples.get(s),
    })),
  },
  md,
  log,
});
process.stdout.write(`${md}\n\nresults: ${rel}\n`);
