/**
 * CPU placement benchmark: what a CPU-burning 1-vCPU container does to its 1-vCPU neighbour, with the
 * old placement ("the first N CPUs": every 1-vCPU container on CPU 0, reproduced with cpumask 0 for
 * both) against the engine's balanced placement (cpus 1, cores chosen by the engine), interleaved in one
 * run against a real engine daemon (startTestEngine: own netns, state dir, pool, cgroup parent).
 *
 * The burner burns all the time. For each placement and repetition, the neighbour is measured twice:
 *   throughput — the neighbour burns too; CPU time it gets per second of wall time (its cpuacct.usage),
 *                in cores (1.0 = all its vCPU allows)
 *   latency    — the neighbour serves "requests": a probe process moved into its cpu/cpuacct/cpuset
 *                cgroups (scheduled like its own processes) gets them at a fixed rate, each a fixed
 *                amount of CPU work, calibrated once in CPU time: light (2 ms every 20 ms) and heavy
 *                (10 ms every 50 ms); response time from arrival to done, p50/p99 in ms
 * The machine is shared: before each window the run waits (up to --wait s) until the CPUs kept busy by
 * work outside this run's containers (/proc/stat busy time minus their cpuacct) drop below QUIET, and it
 * records that other load for every window. The table's first rows use only the windows that stayed
 * quiet; the "all windows" rows show everything.
 *
 * Usage: npx tsx bench/cpu.bench.ts [--reps 5] [--seconds 3] [--wait 120]
 * Writes bench/results/cpu-<ISO date>.json, bench/results/cpu-latest.md and the <!-- bench:cpu -->
 * section of README.md.
 */
import { spawn } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseCpuList } from "../native/src/settings.js";
import { argValue, publishResults } from "./common.js";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";

const REPS = argValue("reps", 5);
const SECONDS = argValue("seconds", 3);
const WAIT_S = argValue("wait", 120);
/**
 * A window counts as quiet when other work kept fewer CPUs than this busy during it. Not 0: with the old
 * placement one core stays free, and the machine's background work takes more of it than it gets when
 * both cores burn, so "other load" reads higher there even when nothing else happens.
 */
const QUIET = 0.5;
/** Request streams of the latency phase: CPU work per request and arrival period, in ms. */
const LOADS = [
  { name: "light", workMs: 2, periodMs: 20 },
  { name: "heavy", workMs: 10, periodMs: 50 },
] as const;
type LoadName = (typeof LOADS)[number]["name"];
const BURNER = 401;
const NEIGHBOUR = 402;
const BURN = "(while :; do :; done) </dev/null >/dev/null 2>&1 & echo $!";
const PROBE = path.join(import.meta.dirname, "cpu-probe.mjs");

type Placement = "old" | "balanced";
const PLACEMENTS: Record<Placement, { label: string; cpumask: string | null }> = {
  old: { label: "old: both on CPU 0 (`cpus 1`, `cpumask 0`)", cpumask: "0" },
  balanced: { label: "balanced (`cpus 1`, cores chosen by the engine)", cpumask: null },
};

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

function quantile(samples: number[], q: number): number {
  const s = [...samples].sort((a, b) => a - b);
  if (!s.length) return NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  return s[lo]! + (s[Math.ceil(pos)]! - s[lo]!) * (pos - lo);
}
const r2 = (x: number) => Math.round(x * 100) / 100;

// ------------------------------------------------------------------------------------------- host counters

/** Busy and total jiffies of the whole machine (/proc/stat "cpu" line). */
async function procStat(): Promise<{ busy: number; total: number }> {
  const f = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = f[3]! + f[4]!;
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

class Host {
  constructor(readonly te: TestEngine) {}
  cg(ctid: number | null, ctl: string, file: string): string {
    return path.join("/sys/fs/cgroup", ctl, this.te.cgroupParent, ctid === null ? "" : String(ctid), file);
  }
  async num(ctid: number | null, ctl: string, file: string): Promise<number> {
    return Number((await readFile(this.cg(ctid, ctl, file), "utf8")).trim());
  }
  async cpuset(ctid: number): Promise<string> {
    return (await readFile(this.cg(ctid, "cpuset", "cpuset.cpus"), "utf8")).trim();
  }
  async percpu(ctid: number): Promise<number[]> {
    return (await readFile(this.cg(ctid, "cpuacct", "cpuacct.usage_percpu"), "utf8")).trim().split(/\s+/).map(Number);
  }
  /** Waits (up to WAIT_S) for a second in which other work keeps fewer than QUIET CPUs busy; returns the wait. */
  async quiet(): Promise<number> {
    const t0 = performance.now();
    while ((performance.now() - t0) / 1000 < WAIT_S) {
      const { other } = await this.otherLoad(() => sleep(1000));
      if (other < QUIET) break;
    }
    return r2((performance.now() - t0) / 1000);
  }

  /** Runs fn; returns the CPUs (in cores) other work kept busy meanwhile: machine busy minus our containers. */
  async otherLoad<T>(fn: () => Promise<T>): Promise<{ value: T; other: number; wallS: number }> {
    const s0 = await procStat();
    const ours0 = await this.num(null, "cpuacct", "cpuacct.usage");
    const t0 = performance.now();
    const value = await fn();
    const wallS = (performance.now() - t0) / 1000;
    const s1 = await procStat();
    const ours1 = await this.num(null, "cpuacct", "cpuacct.usage");
    const busyCores = ((s1.busy - s0.busy) / (s1.total - s0.total)) * os.cpus().length;
    return { value, other: Math.max(0, busyCores - (ours1 - ours0) / 1e9 / wallS), wallS };
  }
}

// ------------------------------------------------------------------------------------------- workloads

async function shOut(te: TestEngine, ctid: number, script: string): Promise<string> {
  const r = await te.client.call("container.exec", { ctid, argv: ["sh", "-c", script] });
  if (r.code !== 0) throw new Error(`exec in ${ctid} failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}

/**
 * Iterations of the probe's work loop per millisecond of CPU. Timed in this process's CPU time, not wall
 * time, so other load on the machine while it runs does not skew it.
 */
let sink = 0;
function calibrate(): number {
  const cpuMs = (iters: number) => {
    let x = sink;
    const c0 = process.cpuUsage();
    for (let i = 0; i < iters; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
    const c = process.cpuUsage(c0);
    sink = x; // keeps the loop from being optimised away
    return (c.user + c.system) / 1000;
  };
  cpuMs(1e7);
  const ms = [] as number[];
  for (let i = 0; i < 7; i++) ms.push(cpuMs(1e8));
  return 1e8 / quantile(ms, 0.5);
}

/** The neighbour's request latency: the probe in its cgroups, one request stream for SECONDS. */
async function probe(
  h: Host,
  itersPerMs: number,
  load: (typeof LOADS)[number],
): Promise<{ response: number[]; late: number[] }> {
  const n = Math.round((SECONDS * 1000) / load.periodMs);
  const iters = Math.round(itersPerMs * load.workMs);
  const child = spawn(process.execPath, [PROBE, String(n), String(load.periodMs), String(iters)], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  try {
    for (const ctl of ["cpu", "cpuacct", "cpuset"])
      await writeFile(h.cg(NEIGHBOUR, ctl, "cgroup.procs"), String(child.pid));
    child.stdin.write("go\n");
    const code = await exited;
    if (code !== 0) throw new Error(`probe exited with ${code}`);
    return JSON.parse(out) as { response: number[]; late: number[] };
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
  }
}

/** CPU time the neighbour gets while it burns too, in cores, and where it and the burner ran. */
async function throughput(h: Host): Promise<{ cores: number; percpu: Record<string, number[]> }> {
  const pid = await shOut(h.te, NEIGHBOUR, BURN);
  try {
    await sleep(300); // let both settle on their cores
    const u0 = await h.num(NEIGHBOUR, "cpuacct", "cpuacct.usage");
    const p0 = { burner: await h.percpu(BURNER), neighbour: await h.percpu(NEIGHBOUR) };
    const t0 = performance.now();
    await sleep(SECONDS * 1000);
    const u1 = await h.num(NEIGHBOUR, "cpuacct", "cpuacct.usage");
    const wall = (performance.now() - t0) / 1000;
    const p1 = { burner: await h.percpu(BURNER), neighbour: await h.percpu(NEIGHBOUR) };
    const perSec = (a: number[], b: number[]) => b.map((v, i) => r2((v - a[i]!) / 1e9 / wall));
    return {
      cores: (u1 - u0) / 1e9 / wall,
      percpu: { burner: perSec(p0.burner, p1.burner), neighbour: perSec(p0.neighbour, p1.neighbour) },
    };
  } finally {
    await shOut(h.te, NEIGHBOUR, `kill ${Number(pid)}`);
  }
}

// ------------------------------------------------------------------------------------------- the run

interface Sample {
  placement: Placement;
  rep: number;
  cpusets: { burner: string; neighbour: string };
  quota: { burner: number; neighbour: number };
  throughputCores: number;
  percpuCoresPerSec: Record<string, number[]>;
  latency: Record<
    LoadName,
    {
      responseMs: { p50: number; p90: number; p99: number; max: number; mean: number };
      wakeLateMs: { p50: number; p99: number };
    }
  >;
  /** CPUs busy outside this run's containers during each window */
  otherLoad: Record<Window, number>;
  /** seconds spent waiting for a quiet machine before each window */
  waitedS: Record<Window, number>;
}
type Window = "throughput" | LoadName;

async function place(h: Host, p: Placement): Promise<void> {
  for (const ctid of [BURNER, NEIGHBOUR])
    await h.te.client.call("container.set", { ctid, limits: { cpumask: PLACEMENTS[p].cpumask } });
  const b = parseCpuList(await h.cpuset(BURNER));
  const n = parseCpuList(await h.cpuset(NEIGHBOUR));
  const ok = p === "old" ? b.join() === "0" && n.join() === "0" : b.length === 1 && n.length === 1 && b[0] !== n[0];
  if (!ok) throw new Error(`placement ${p} did not take: burner on ${b}, neighbour on ${n}`);
}

async function measure(h: Host, p: Placement, rep: number, itersPerMs: number): Promise<Sample> {
  await place(h, p);
  const waitedS = { throughput: await h.quiet() } as Sample["waitedS"];
  const tp = await h.otherLoad(() => throughput(h));
  const latency = {} as Sample["latency"];
  const otherLoad = { throughput: r2(tp.other) } as Sample["otherLoad"];
  for (const load of LOADS) {
    waitedS[load.name] = await h.quiet();
    const lat = await h.otherLoad(() => probe(h, itersPerMs, load));
    const resp = lat.value.response;
    latency[load.name] = {
      responseMs: {
        p50: r2(quantile(resp, 0.5)),
        p90: r2(quantile(resp, 0.9)),
        p99: r2(quantile(resp, 0.99)),
        max: r2(Math.max(...resp)),
        mean: r2(resp.reduce((a, b) => a + b, 0) / resp.length),
      },
      wakeLateMs: { p50: r2(quantile(lat.value.late, 0.5)), p99: r2(quantile(lat.value.late, 0.99)) },
    };
    otherLoad[load.name] = r2(lat.other);
  }
  const s: Sample = {
    placement: p,
    rep,
    cpusets: { burner: await h.cpuset(BURNER), neighbour: await h.cpuset(NEIGHBOUR) },
    quota: {
      burner: await h.num(BURNER, "cpu", "cpu.cfs_quota_us"),
      neighbour: await h.num(NEIGHBOUR, "cpu", "cpu.cfs_quota_us"),
    },
    throughputCores: r2(tp.value.cores),
    percpuCoresPerSec: tp.value.percpu,
    latency,
    otherLoad,
    waitedS,
  };
  const lat = LOADS.map(
    (l) => `${l.name} p50 ${latency[l.name].responseMs.p50} p99 ${latency[l.name].responseMs.p99}`,
  ).join(", ");
  log(
    `${p} #${rep}: neighbour ${s.throughputCores} cores; ${lat} ms; other load ${Object.values(otherLoad).join("/")}`,
  );
  return s;
}

function median(xs: number[]): number {
  return r2(quantile(xs, 0.5));
}

function table(samples: Sample[], itersPerMs: number, date: string, wallS: number): string {
  const metrics: Array<{ head: string; window: Window; get: (s: Sample) => number }> = [
    { head: "neighbour CPU while both burn, cores", window: "throughput", get: (s) => s.throughputCores },
    ...LOADS.flatMap((l) => [
      { head: `${l.name} request p50 ms`, window: l.name, get: (s: Sample) => s.latency[l.name].responseMs.p50 },
      { head: `${l.name} p99 ms`, window: l.name, get: (s: Sample) => s.latency[l.name].responseMs.p99 },
    ]),
  ];
  const cells = (p: Placement, quietOnly: boolean) =>
    metrics.map((m) => {
      const xs = samples.filter((s) => s.placement === p && (!quietOnly || s.otherLoad[m.window] < QUIET)).map(m.get);
      return { median: xs.length ? median(xs) : NaN, n: xs.length, min: Math.min(...xs), max: Math.max(...xs) };
    });
  const fmtCell = (c: { median: number; n: number; min: number; max: number }, withRange: boolean) =>
    c.n === 0 ? "—" : `${c.median}${withRange ? ` (${r2(c.min)}–${r2(c.max)})` : ""}, n=${c.n}`;
  const where = (p: Placement) => {
    const s = samples.find((x) => x.placement === p)!;
    return `${s.cpusets.burner} / ${s.cpusets.neighbour}`;
  };
  const rows = (label: string, quietOnly: boolean) => {
    const old = cells("old", quietOnly);
    const bal = cells("balanced", quietOnly);
    return [
      `| ${label}: ${PLACEMENTS.old.label} | ${where("old")} | ${old.map((c, i) => fmtCell(c, i === 0)).join(" | ")} |`,
      `| ${label}: ${PLACEMENTS.balanced.label} | ${where("balanced")} | ${bal.map((c, i) => fmtCell(c, i === 0)).join(" | ")} |`,
      `| ${label}: balanced / old | | ${bal.map((c, i) => (c.n && old[i]!.n ? `${r2(c.median / old[i]!.median)}×` : "—")).join(" | ")} |`,
    ];
  };
  const other = samples.flatMap((s) => Object.values(s.otherLoad));
  const waited = samples.flatMap((s) => Object.values(s.waitedS));
  return [
    `Neighbour of a CPU-burning 1-vCPU container, \`npx tsx bench/cpu.bench.ts\` (root), ${os.cpus().length} CPUs, ${date.slice(0, 10)}:`,
    "",
    `| windows: placement | cores (burner / neighbour) | ${metrics.map((m) => m.head).join(" | ")} |`,
    `|---|---|${metrics.map(() => "---").join("|")}|`,
    ...rows(`quiet (other load < ${QUIET} CPUs)`, true),
    ...rows("all", false),
    "",
    `${REPS} repetitions, placements alternated (old, balanced, then balanced, old, …), switched live with \`container.set\` and checked in the kernel's cpusets; CFS quota 100 % for both in both placements. ` +
      `Throughput: both containers burn, the neighbour's \`cpuacct.usage\` over ${SECONDS} s (1.0 = its whole vCPU; median, min–max). ` +
      `Latency: a probe process in the neighbour's cpu/cpuacct/cpuset cgroups serves requests for ${SECONDS} s each: ` +
      `${LOADS.map((l) => `${l.name} = ${l.workMs} ms of CPU every ${l.periodMs} ms`).join(", ")} (${Math.round(itersPerMs)} rounds of integer arithmetic per CPU-ms, calibrated in CPU time); ` +
      `response = due time to done; medians over windows of each window's p50/p99; n = windows. Run took ${Math.round(wallS)} s.`,
    "",
    `Other load on the machine (CPUs busy outside this run's containers, /proc/stat) per window: mean ${r2(other.reduce((a, b) => a + b, 0) / other.length)}, max ${r2(Math.max(...other))}; ` +
      `before each window the run waited up to ${WAIT_S} s for a quiet second (waited ${r2(waited.reduce((a, b) => a + b, 0))} s in all).`,
  ].join("\n");
}

async function main(): Promise<void> {
  if (os.cpus().length < 2) throw new Error("needs at least 2 CPUs: with one there is nothing to balance");
  const t0 = performance.now();
  const date = new Date().toISOString();
  const itersPerMs = calibrate();
  log(`calibrated: ${Math.round(itersPerMs)} iterations per CPU-ms`);
  const te = await startTestEngine();
  try {
    const h = new Host(te);
    await te.client.call("template.build", { kind: "busybox" });
    for (const ctid of [BURNER, NEIGHBOUR]) {
      await te.client.call("container.create", { ctid, template: "busybox", limits: { cpus: 1, ram: "64M" } });
      await te.client.call("container.start", { ctid });
    }
    await shOut(te, BURNER, BURN);
    const samples: Sample[] = [];
    for (let rep = 1; rep <= REPS; rep++) {
      const order: Placement[] = rep % 2 ? ["old", "balanced"] : ["balanced", "old"];
      for (const p of order) samples.push(await measure(h, p, rep, itersPerMs));
    }
    const wallS = (performance.now() - t0) / 1000;
    const md = table(samples, itersPerMs, date, wallS);
    const result = {
      date,
      host: { kernel: os.release(), cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model.trim() ?? "unknown" },
      params: {
        reps: REPS,
        seconds: SECONDS,
        waitS: WAIT_S,
        quiet: QUIET,
        loads: LOADS,
        itersPerMs: Math.round(itersPerMs),
      },
      samples,
    };
    const rel = publishResults({ name: "cpu", title: "CPU placement benchmark", date, result, md, log });
    process.stdout.write(`${md}\n\nresults: ${rel}\n`);
  } finally {
    log("cleanup");
    await te.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
