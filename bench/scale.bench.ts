/**
 * Scale benchmark (issue 16): does one container's create and destroy cost more when the node holds many
 * containers? A real engine daemon (startTestEngine: own netns, state dir, btrfs loop pool, cgroup parent — the
 * host's engine is never touched) is filled with N busybox containers, each with a venet address and every third
 * with a firewall (so the nftables ruleset grows with N), two of them running. At each N, alternating, each
 * repetition measures:
 *
 *   create   container.create of a busybox container without network, and one with venet + firewall
 *            vs  baseline: `btrfs subvolume snapshot` of the template + writing an LXC config of the same size
 *   destroy  container.destroy of each (stopped)
 *            vs  baseline: `lxc-stop -k` (in the engine's netns) + `btrfs subvolume delete` + removing the config
 *            and baseline 2: the same with the delete committed and the subvolume dropped (`--commit-after`,
 *            `btrfs subvolume sync`), which a destroy waits for to remove the volume's qgroup (btrfs-delete.ts)
 *
 * and counts the processes the engine spawned for each (OVZ_TRACE). Median and p90 in ms.
 *
 * Usage: npx tsx bench/scale.bench.ts [--reps 10]      N list: SCALE_N=100,300 (default; at most 1000)
 * Writes bench/results/scale-<ISO date>.json, bench/results/scale-latest.md and the <!-- bench:scale -->
 * section of README.md.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { run } from "../native/src/exec.js";
import { argValue, publishResults } from "./common.js";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";

const REPS = argValue("reps", 10);
const NS = (process.env.SCALE_N ?? "100,300").split(",").map(Number);
if (NS.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) throw new Error("SCALE_N: integers from 1 to 1000");
NS.sort((a, b) => a - b);
const MiB = 1024 * 1024;
const LIMITS = { ram: 64 * MiB, diskspace: 64 * MiB };
const FIRST = 10_000; // the background containers: FIRST, FIRST+1, …
const PROBE = 20_000; // the measured ones

interface Stats {
  median: number;
  p90: number;
  samples: number[];
}
const round = (x: number) => Math.round(x * 10) / 10;
function stats(samples: number[]): Stats {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => {
    const pos = (s.length - 1) * p;
    const lo = s[Math.floor(pos)]!;
    return lo + (s[Math.ceil(pos)]! - lo) * (pos - Math.floor(pos));
  };
  return { median: round(q(0.5)), p90: round(q(0.9)), samples: samples.map(round) };
}
const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

let traceFile = "";
const spawned = () =>
  readFileSync(traceFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("exec ")).length;

/** Time `fn`, and count the processes the engine spawned meanwhile. */
async function measure(fn: () => Promise<unknown>): Promise<{ ms: number; spawns: number }> {
  const before = spawned();
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  return { ms, spawns: spawned() - before };
}

const venetOf = (i: number) => `198.18.${64 + Math.floor(i / 250)}.${(i % 250) + 2}`;
const fwOn = {
  enabled: true,
  rules: [{ direction: "in" as const, action: "accept" as const, proto: "tcp" as const, ports: "22" }],
};

async function fill(te: TestEngine, from: number, to: number): Promise<void> {
  const t0 = performance.now();
  for (let i = from; i < to; i++) {
    await te.client.call("container.create", {
      ctid: FIRST + i,
      template: "busybox",
      limits: LIMITS,
      net: { venet: [venetOf(i)], firewall: i % 3 === 0 ? fwOn : {} },
    });
    if (i < 2) await te.client.call("container.start", { ctid: FIRST + i });
  }
  log(`   ${to - from} containers created in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

interface AtN {
  n: number;
  create: { bare: Stats; net: Stats; baseline: Stats };
  destroy: { bare: Stats; net: Stats; baseline: Stats; dropped: Stats };
  spawns: { create: number; createNet: number; destroy: number; destroyNet: number };
}

async function benchAt(te: TestEngine, n: number): Promise<AtN> {
  const lxc = path.join(te.stateDir, "lxc");
  const pool = path.join(te.stateDir, "pool");
  const config = await readFile(path.join(lxc, String(FIRST + 2), "config"), "utf8");
  const scratch = path.join(pool, "bench-scale");
  await mkdir(scratch, { recursive: true });
  const s = {
    create: { bare: [] as number[], net: [] as number[], baseline: [] as number[] },
    destroy: { bare: [] as number[], net: [] as number[], baseline: [] as number[], dropped: [] as number[] },
    spawns: { create: [] as number[], createNet: [] as number[], destroy: [] as number[], destroyNet: [] as number[] },
  };
  const ours = {
    create: async (ctid: number, withNet: boolean) => {
      const net = withNet ? { venet: ["198.18.100.2"], firewall: fwOn } : undefined;
      const m = await measure(() =>
        te.client.call("container.create", { ctid, template: "busybox", limits: LIMITS, ...(net ? { net } : {}) }),
      );
      (withNet ? s.create.net : s.create.bare).push(m.ms);
      (withNet ? s.spawns.createNet : s.spawns.create).push(m.spawns);
    },
    destroy: async (ctid: number, withNet: boolean) => {
      const m = await measure(() => te.client.call("container.destroy", { ctid }));
      (withNet ? s.destroy.net : s.destroy.bare).push(m.ms);
      (withNet ? s.spawns.destroyNet : s.spawns.destroy).push(m.spawns);
    },
  };
  const base = {
    create: async (i: number) => {
      const t0 = performance.now();
      const r = await run("btrfs", [
        "subvolume",
        "snapshot",
        path.join(pool, "templates", "busybox"),
        `${scratch}/${i}`,
      ]);
      if (r.code !== 0) throw new Error(r.stderr);
      await mkdir(path.join(lxc, `b${i}`), { recursive: true });
      await writeFile(path.join(lxc, `b${i}`, "config"), config);
      s.create.baseline.push(performance.now() - t0);
    },
    destroy: async (i: number, dropped: boolean) => {
      const vol = `${scratch}/${i}`;
      const id = dropped ? (await run("btrfs", ["inspect-internal", "rootid", vol])).stdout.trim() : "";
      const t0 = performance.now();
      await te.inNetns("lxc-stop", ["-n", `b${i}`, "-P", lxc, "-k"]); // not running: LXC says so and exits
      await run("btrfs", ["subvolume", "delete", ...(dropped ? ["--commit-after"] : []), vol]);
      if (dropped) await run("btrfs", ["subvolume", "sync", pool, id]);
      await rm(path.join(lxc, `b${i}`), { recursive: true, force: true });
      (dropped ? s.destroy.dropped : s.destroy.baseline).push(performance.now() - t0);
    },
  };
  // one untimed round: page cache, code paths
  await ours.create(PROBE, false);
  await ours.destroy(PROBE, false);
  for (const k of Object.values(s)) for (const a of Object.values(k)) a.length = 0;
  for (let i = 0; i < REPS; i++) {
    // alternate the order so drift (btrfs commits, the other tenants of the machine) hits every side alike
    const steps = [
      () => ours.create(PROBE, false),
      () => ours.create(PROBE + 1, true),
      () => base.create(i),
      () => base.create(REPS + i),
      () => ours.destroy(PROBE, false),
      () => ours.destroy(PROBE + 1, true),
      () => base.destroy(i, false),
      () => base.destroy(REPS + i, true),
    ];
    if (i % 2) [steps[0], steps[2]] = [steps[2]!, steps[0]!];
    if (i % 2) [steps[4], steps[6]] = [steps[6]!, steps[4]!];
    for (const step of steps) await step();
  }
  await rm(scratch, { recursive: true, force: true });
  const med = (a: number[]) => stats(a).median;
  return {
    n,
    create: { bare: stats(s.create.bare), net: stats(s.create.net), baseline: stats(s.create.baseline) },
    destroy: {
      bare: stats(s.destroy.bare),
      net: stats(s.destroy.net),
      baseline: stats(s.destroy.baseline),
      dropped: stats(s.destroy.dropped),
    },
    spawns: {
      create: med(s.spawns.create),
      createNet: med(s.spawns.createNet),
      destroy: med(s.spawns.destroy),
      destroyNet: med(s.spawns.destroyNet),
    },
  };
}

function markdown(rows: AtN[], host: Record<string, string | number>): string {
  const head = `| N on the node | ${rows.map((r) => r.n).join(" | ")} |`;
  const line = (label: string, f: (r: AtN) => string) => `| ${label} | ${rows.map(f).join(" | ")} |`;
  const ms = (x: Stats) => `${x.median.toFixed(1)} (p90 ${x.p90.toFixed(1)})`;
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const growth = (f: (r: AtN) => number) => `${(f(last) / f(first)).toFixed(2)}×`;
  return [
    head,
    `|---|${rows.map(() => "---|").join("")}`,
    line("create, no network, median ms", (r) => ms(r.create.bare)),
    line("create, venet + firewall, median ms", (r) => ms(r.create.net)),
    line("baseline: subvolume snapshot + config", (r) => ms(r.create.baseline)),
    line("destroy, no network, median ms", (r) => ms(r.destroy.bare)),
    line("destroy, venet + firewall, median ms", (r) => ms(r.destroy.net)),
    line("baseline: `lxc-stop -k` + subvolume delete", (r) => ms(r.destroy.baseline)),
    line("baseline 2: the same, committed and dropped", (r) => ms(r.destroy.dropped)),
    line("processes spawned: create / with network", (r) => `${r.spawns.create} / ${r.spawns.createNet}`),
    line("processes spawned: destroy / with network", (r) => `${r.spawns.destroy} / ${r.spawns.destroyNet}`),
    "",
    `N=${last.n} against N=${first.n}: create ${growth((r) => r.create.bare.median)} (with network ` +
      `${growth((r) => r.create.net.median)}), destroy ${growth((r) => r.destroy.bare.median)} (with network ` +
      `${growth((r) => r.destroy.net.median)}). The N containers each have a venet address, every third a ` +
      `firewall, two run. ${REPS} repetitions per N after one untimed round, ours and the baselines alternated.`,
    "",
    `Host: kernel ${host.kernel}, ${host.cpus} CPUs (${host.cpuModel}), ${host.memGiB} GiB RAM, ${host.lxc}; ` +
      `date ${host.date}.`,
  ].join("\n");
}

async function main(): Promise<void> {
  const date = new Date().toISOString();
  const host = {
    kernel: os.release(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    memGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    lxc: `LXC ${(await run("lxc-start", ["--version"], { allowFailure: true })).stdout.trim() || "unknown"}`,
    date,
  };
  const dir = mkdtempSync(path.join(os.tmpdir(), "ovz-bench-scale-"));
  traceFile = path.join(dir, "trace");
  await writeFile(traceFile, "");
  log(`starting test engine (N=${NS.join(",")}, reps=${REPS})`);
  const te = await startTestEngine({ poolSize: "6G", env: { OVZ_TRACE: traceFile } });
  const rows: AtN[] = [];
  try {
    await te.client.call("template.build", { kind: "busybox" });
    let present = 0;
    for (const n of NS) {
      log(`filling the node to ${n} containers`);
      await fill(te, present, n);
      present = n;
      log(`measuring at N=${n}`);
      const r = await benchAt(te, n);
      log(
        `   create ${r.create.bare.median} ms (baseline ${r.create.baseline.median}), destroy ${r.destroy.bare.median} ms`,
      );
      rows.push(r);
    }
  } finally {
    log("cleanup");
    const t0 = performance.now();
    await te.cleanup();
    log(`   ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    rmSync(dir, { recursive: true, force: true });
  }
  const md = markdown(rows, host);
  const result = { date, host, args: { ns: NS, reps: REPS }, rows };
  const rel = publishResults({ name: "scale", title: "Scale benchmark", date, result, md, log });
  process.stdout.write(`${md}\n\nresults: ${rel}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
