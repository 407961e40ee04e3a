/**
 * Engine benchmark: what the engine costs on top of the bare tools it drives, measured side by side in
 * one run against a real engine daemon (startTestEngine: own netns, state dir, btrfs loop pool, cgroup
 * parent — the host's production engine is never touched).
 *
 *   1. create:  container.create (btrfs CoW snapshot of the template)  vs  untarring the same template
 *               tarball into a fresh btrfs subvolume of the same pool
 *   2. start:   container.start (returns when RUNNING)  vs  bare `lxc-start -d` + `lxc-wait -s RUNNING`
 *               on an already created, stopped container, inside the engine's netns
 *   3. density: N idle busybox containers: host MemAvailable drop / N and sum of the containers'
 *               memory cgroup usage / N (MiB)
 *
 * Usage: npx tsx bench/engine.bench.ts [--n 30] [--reps 10]
 * Writes bench/results/engine-<ISO date>.json, bench/results/engine-latest.md and the
 * <!-- bench:engine --> section of README.md.
 */
import { existsSync } from "node:fs";
import { cachedDebianTarballPath } from "../native/src/templates/debian.js";
import { mkdir, readFile, readdir, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "../native/src/exec.js";
import { argValue, publishResults } from "./common.js";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";

// ------------------------------------------------------------------------------------------- args

const N = argValue("n", 30);
const REPS = argValue("reps", 10);
const TEMPLATE = "busybox";
const MiB = 1024 * 1024;

// ------------------------------------------------------------------------------------------- stats

interface Stats {
  n: number;
  median: number;
  p90: number;
  min: number;
  max: number;
  samples: number[];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  const a = sorted[lo] as number;
  const b = sorted[hi] as number;
  return a + (b - a) * (pos - lo);
}

function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const r = (x: number) => Math.round(x * 100) / 100;
  return {
    n: s.length,
    median: r(quantile(s, 0.5)),
    p90: r(quantile(s, 0.9)),
    min: r(s[0] ?? NaN),
    max: r(s[s.length - 1] ?? NaN),
    samples: samples.map(r),
  };
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function must(p: ReturnType<typeof run>, what: string): Promise<void> {
  const r = await p;
  if (r.code !== 0)
    throw new Error(
      `${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`,
    );
}

async function memAvailable(): Promise<number> {
  const text = await readFile("/proc/meminfo", "utf8");
  const m = /^MemAvailable:\s+(\d+)\s+kB/m.exec(text);
  if (!m) throw new Error("MemAvailable not found in /proc/meminfo");
  return Number(m[1]) * 1024;
}

// ------------------------------------------------------------------------------------------- benchmarks

interface CreateResult {
  ours: Stats;
  baseline: Stats;
  tarball: string;
  tarballBytes: number;
}

async function benchCreate(te: TestEngine, ctidBase: number, template = TEMPLATE, reps = REPS): Promise<CreateResult> {
  const tplDir = path.join(te.stateDir, "templates");
  const tarName = (await readdir(tplDir)).find((f) => f.startsWith(`${template}.tar`));
  if (!tarName) throw new Error(`no tarball of template ${template} in ${tplDir}`);
  const tarball = path.join(tplDir, tarName);
  const tarballBytes = (await stat(tarball)).size;
  const pool = path.join(te.stateDir, "pool");
  const scratch = path.join(pool, "bench-untar");
  await mkdir(scratch, { recursive: true });

  const ours: number[] = [];
  const base: number[] = [];
  // warm-up (page cache for the tarball, engine code paths) — not recorded
  await te.client.call("container.create", { ctid: ctidBase, template: template });
  await te.client.call("container.destroy", { ctid: ctidBase, force: true });
  for (let i = 0; i < reps; i++) {
    // alternate so drift (page cache, btrfs commits) hits both sides alike
    const ctid = ctidBase + 1 + i;
    ours.push(await timed(() => te.client.call("container.create", { ctid, template: template })));
    const dir = path.join(scratch, String(i));
    base.push(
      await timed(async () => {
        await must(run("btrfs", ["subvolume", "create", dir], { allowFailure: true }), "btrfs subvolume create");
        await must(
          run("tar", ["-x", "--numeric-owner", "-I", "zstd", "-f", tarball, "-C", dir], { allowFailure: true }),
          "tar -x",
        );
      }),
    );
  }
  for (let i = 0; i < reps; i++) {
    await te.client
      .call("container.destroy", { ctid: ctidBase + 1 + i, force: true })
      .catch((e) => log(`destroy ${ctidBase + 1 + i}: ${e}`));
    await run("btrfs", ["subvolume", "delete", path.join(scratch, String(i))], { allowFailure: true });
  }
  await run("rmdir", [scratch], { allowFailure: true });
  return { ours: stats(ours), baseline: stats(base), tarball, tarballBytes };
}

interface StartResult {
  ours: Stats;
  baseline: Stats;
}

async function benchStart(te: TestEngine, ctidOurs: number, ctidBare: number): Promise<StartResult> {
  const lxcPath = path.join(te.stateDir, "lxc");
  for (const ctid of [ctidOurs, ctidBare]) {
    await te.client.call("container.create", { ctid, template: TEMPLATE });
    // one engine start/stop so the LXC config exists and everything is warm
    await te.client.call("container.start", { ctid });
    await te.client.call("container.stop", { ctid, force: true });
  }
  const ours: number[] = [];
  const base: number[] = [];
  for (let i = 0; i < REPS; i++) {
    ours.push(await timed(() => te.client.call("container.start", { ctid: ctidOurs })));
    await te.client.call("container.stop", { ctid: ctidOurs, force: true });

    const name = String(ctidBare);
    base.push(
      await timed(async () => {
        await must(te.inNetns("lxc-start", ["-n", name, "-P", lxcPath, "-d"]), "lxc-start");
        await must(te.inNetns("lxc-wait", ["-n", name, "-P", lxcPath, "-s", "RUNNING", "-t", "30"]), "lxc-wait");
      }),
    );
    await must(te.inNetns("lxc-stop", ["-n", name, "-P", lxcPath, "-k"]), "lxc-stop -k");
    await te.inNetns("lxc-wait", ["-n", name, "-P", lxcPath, "-s", "STOPPED", "-t", "30"]);
  }
  for (const ctid of [ctidOurs, ctidBare]) {
    await te.client.call("container.destroy", { ctid, force: true }).catch((e) => log(`destroy ${ctid}: ${e}`));
  }
  return { ours: stats(ours), baseline: stats(base) };
}

interface DensityResult {
  n: number;
  memAvailableBeforeBytes: number;
  memAvailableAfterBytes: number;
  hostMiBPerContainer: number;
  cgroupMiBPerContainer: number;
  cgroupUsageSumBytes: number;
  cgroupsRead: number;
  startAllMs: number;
}

async function benchDensity(te: TestEngine, ctidBase: number): Promise<DensityResult> {
  const ctids = Array.from({ length: N }, (_, i) => ctidBase + i);
  for (const ctid of ctids) await te.client.call("container.create", { ctid, template: TEMPLATE });
  await sleep(3000);
  const before = await memAvailable();
  const t0 = performance.now();
  for (const ctid of ctids) await te.client.call("container.start", { ctid });
  const startAllMs = performance.now() - t0;
  await sleep(3000);
  const after = await memAvailable();
  let sum = 0;
  let read = 0;
  for (const ctid of ctids) {
    try {
      sum += Number(
        (await readFile(`/sys/fs/cgroup/memory/${te.cgroupParent}/${ctid}/memory.usage_in_bytes`, "utf8")).trim(),
      );
      read++;
    } catch (e) {
      log(`memory cgroup of ${ctid} unreadable: ${e}`);
    }
  }
  log(`   read ${read}/${N} memory cgroups; destroying ${N} containers`);
  for (const ctid of ctids)
    await te.client.call("container.destroy", { ctid, force: true }).catch((e) => log(`destroy ${ctid}: ${e}`));
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return {
    n: N,
    memAvailableBeforeBytes: before,
    memAvailableAfterBytes: after,
    hostMiBPerContainer: r2((before - after) / N / MiB),
    cgroupMiBPerContainer: r2(read ? sum / read / MiB : NaN),
    cgroupUsageSumBytes: sum,
    cgroupsRead: read,
    startAllMs: Math.round(startAllMs),
  };
}

// ------------------------------------------------------------------------------------------- report

function fmt(x: number, d = 1): string {
  return Number.isFinite(x) ? x.toFixed(d) : "n/a";
}

function ratio(a: number, b: number): string {
  return Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a";
}

function markdown(
  r: {
    create: CreateResult;
    createDebian: CreateResult | null;
    start: StartResult;
    density: DensityResult;
    host: Record<string, string | number>;
  } & Record<string, unknown>,
): string {
  const { create: c, createDebian: cd, start: s, density: d, host } = r;
  return [
    "| benchmark | ours | baseline | ratio |",
    "|---|---|---|---|",
    `| create from template, median (ms) | ${fmt(c.ours.median)} (container.create, CoW snapshot) | ${fmt(c.baseline.median)} (subvolume + \`tar -x -I zstd\`) | ${ratio(c.ours.median, c.baseline.median)} |`,
    `| create from template, p90 (ms) | ${fmt(c.ours.p90)} | ${fmt(c.baseline.p90)} | ${ratio(c.ours.p90, c.baseline.p90)} |`,
    ...(cd
      ? [
          `| create from debian-12 (${fmt(cd.tarballBytes / MiB, 0)} MiB tar.zst), median (ms) | ${fmt(cd.ours.median)} (CoW snapshot) | ${fmt(cd.baseline.median)} (untar) | ${ratio(cd.ours.median, cd.baseline.median)} |`,
          `| create from debian-12, p90 (ms) | ${fmt(cd.ours.p90)} | ${fmt(cd.baseline.p90)} | ${ratio(cd.ours.p90, cd.baseline.p90)} |`,
        ]
      : []),
    `| start to RUNNING, median (ms) | ${fmt(s.ours.median)} (container.start) | ${fmt(s.baseline.median)} (\`lxc-start -d\` + \`lxc-wait\`) | ${ratio(s.ours.median, s.baseline.median)} |`,
    `| start to RUNNING, p90 (ms) | ${fmt(s.ours.p90)} | ${fmt(s.baseline.p90)} | ${ratio(s.ours.p90, s.baseline.p90)} |`,
    `| idle busybox density, host MemAvailable drop per container (MiB, N=${d.n}) | ${fmt(d.hostMiBPerContainer, 2)} | — | — |`,
    `| idle busybox density, memory cgroup usage per container (MiB, N=${d.n}) | ${fmt(d.cgroupMiBPerContainer, 2)} | — | — |`,
    "",
    `${REPS} repetitions each (after one untimed warm-up), create/baseline and start/baseline alternated; template \`${TEMPLATE}\` (tarball ${fmt(c.tarballBytes / MiB, 2)} MiB). ` +
      `Starting all ${d.n} density containers took ${d.startAllMs} ms. Ratio = ours / baseline (lower is better for ours).`,
    "",
    `Host: kernel ${host.kernel}, ${host.cpus} CPUs (${host.cpuModel}), ${host.memGiB} GiB RAM, ${host.lxc}; date ${host.date}.`,
  ].join("\n");
}

// ------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const host = {
    kernel: os.release(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    lxc: `LXC ${(await run("lxc-start", ["--version"], { allowFailure: true })).stdout.trim() || "unknown"}`,
    node: process.version,
    date,
  };
  log(`starting test engine (N=${N}, reps=${REPS})`);
  const te = await startTestEngine({ poolSize: "6G" });
  let result;
  try {
    log("building template busybox");
    const t = await timed(() => te.client.call("template.build", { kind: "busybox" }));
    log(`template built in ${Math.round(t)} ms`);

    log("1/3 create vs untar");
    const create = await benchCreate(te, 1000);
    log(`   ours median ${fmt(create.ours.median)} ms, untar median ${fmt(create.baseline.median)} ms`);

    let createDebian: CreateResult | null = null;
    const debianTar = cachedDebianTarballPath();
    if (existsSync(debianTar)) {
      log("1b/3 create vs untar with debian-12 (5 reps)");
      await te.client.call("template.import", { path: debianTar, name: "debian-12" });
      createDebian = await benchCreate(te, 1500, "debian-12", 5);
      log(`   ours median ${fmt(createDebian.ours.median)} ms, untar median ${fmt(createDebian.baseline.median)} ms`);
    } else {
      log(`skipping the debian-12 create comparison: no cached tarball at ${debianTar} (the test suite builds it)`);
    }

    log("2/3 engine start vs bare lxc-start");
    const start = await benchStart(te, 2000, 2001);
    log(`   ours median ${fmt(start.ours.median)} ms, bare median ${fmt(start.baseline.median)} ms`);

    log(`3/3 idle density with ${N} containers`);
    const density = await benchDensity(te, 3000);
    log(
      `   ${fmt(density.hostMiBPerContainer, 2)} MiB/container (host), ${fmt(density.cgroupMiBPerContainer, 2)} MiB/container (cgroup)`,
    );

    result = { date, host, args: { n: N, reps: REPS, template: TEMPLATE }, create, createDebian, start, density };
  } finally {
    log("cleanup");
    await te.cleanup();
  }

  const md = markdown(result);
  const rel = publishResults({ name: "engine", title: "Engine benchmark", date, result, md, log });
  process.stdout.write(`${md}\n\nresults: ${rel}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
