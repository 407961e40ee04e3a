/**
 * Container networking benchmark: TCP throughput and ping latency between two containers, through the
 * engine's real network layer, against a plain-netns baseline measured in the same run. Everything
 * lives in network namespaces this run creates (the test engine's own netns and two baseline netns);
 * addresses are from 198.18.0.0/15 and nothing is routed anywhere else.
 *
 *   baseline   two bare network namespaces (`ip netns add`) joined by one veth pair, no bridge,
 *              no nftables, no tc
 *   venet      two busybox containers with venet addresses, routed through the engine's netns
 *              (host router, nftables anti-spoofing active)
 *   veth       two busybox containers on one engine network (bridge), anti-spoofing active
 *   +firewall  the venet and veth pairs again with the per-container firewall enabled on both sides
 *              (policyIn drop, a few accept rules including the iperf port); its `ct state` rules switch
 *              on connection tracking for the whole engine netns, so the firewall is turned on only
 *              around these runs (alternating with the others in every repetition)
 *
 * Throughput: the host's iperf3 run inside each namespace with nsenter (server `-s -1 -B addr`, client
 * `-c addr -t 5 -J`, end.sum_received.bits_per_second), --reps times per scenario (default 3), reps
 * interleaved across scenarios, median reported; every run twice: unpinned, and with client and server
 * both pinned to CPU 0 (`-A 0`, see MODES). Latency: the host's `busybox ping -i 0.01`, 200 per
 * scenario in 4 rounds alternating between scenarios (per-packet RTTs → avg, p50, p99, max). Same
 * binaries, duration, MTU for every scenario.
 *
 * Usage (root): npx tsx bench/net.bench.ts [--reps 3] [--seconds 5] [--pings 200]
 * Writes bench/results/net-<ISO date>.json, bench/results/net-latest.md and the <!-- bench:net -->
 * section of README.md.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "../native/src/exec.js";
import { argValue, publishResults } from "./common.js";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";

// ------------------------------------------------------------------------------------------- args

const REPS = argValue("reps", 3);
const SECONDS = argValue("seconds", 5);
const PINGS = argValue("pings", 200);
const PORT = 5201;
/** pings go in this many rounds (scenarios alternating), PINGS in all per scenario */
const PING_ROUNDS = Math.min(4, PINGS);
/**
 * iperf3 placement. "free": no pinning (what a user gets). The sender's CPU does its TCP transmit, the
 * veth transmit, and then, in the softirq of the same CPU, everything up to the receiver's TCP stack
 * (routing or bridging, nftables, the second veth); the receiver's CPU mostly copies data to user space.
 * The sender's CPU is the bottleneck, and the data direction's share of what the path adds lands on it
 * (the receiver's CPU carries the ACKs' share, which is smaller).
 * "cpu0": client and server both pinned to CPU 0 (`-A 0`): the whole flow runs on one CPU, so the
 * throughput is one CPU divided by the flow's total per-byte cost, copies included; the path's extra
 * cost is a smaller share of that, so its ratio to the baseline is closer to 1 than the unpinned one.
 */
const MODES = ["free", "cpu0"] as const;
type Mode = (typeof MODES)[number];
const pinArgs = (m: Mode): string[] => (m === "cpu0" ? ["-A", "0"] : []);
const GOAL = 0.9; // containers should get at least 90% of the baseline's throughput

// ------------------------------------------------------------------------------------------- helpers

/** The parts of `iperf3 --json` output read here. */
interface Iperf3Doc {
  error?: string;
  end?: {
    sum_received?: { bits_per_second?: number; seconds?: number };
    sum_sent?: { retransmits?: number };
    cpu_utilization_percent?: { host_total?: number; remote_total?: number };
  };
}
/** One device of `ip -d -j -s link show`, as far as it is read here. */
interface IpLink {
  ifname: string;
  mtu?: number;
  qdisc?: string;
  txqlen?: number;
  linkinfo?: { info_kind?: string; info_slave_kind?: string };
  stats64?: { tx?: { bytes?: number; packets?: number } };
  [key: string]: unknown;
}

function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

async function must(p: ReturnType<typeof run>, what: string): Promise<string> {
  const r = await p;
  if (r.code !== 0)
    throw new Error(
      `${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`,
    );
  return r.stdout;
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

const r2 = (x: number) => Math.round(x * 100) / 100;
const r3 = (x: number) => Math.round(x * 1000) / 1000;

/** nsenter arguments that put a command into one side's network namespace. */
type Ns = string[];
const nsNamed = (name: string): Ns => [`--net=/run/netns/${name}`];
const nsPid = (pid: number): Ns => ["-t", String(pid), "-n"];
const inNs = (ns: Ns, cmd: string, args: string[], timeoutMs = 30_000) =>
  run("nsenter", [...ns, "--", cmd, ...args], { allowFailure: true, timeoutMs });

// ------------------------------------------------------------------------------------------- measurements

interface Side {
  ns: Ns;
  addr: string;
}

interface Scenario {
  key: string;
  label: string;
  path: string;
  client: Side;
  server: Side;
}

interface Throughput {
  mode: Mode;
  bitsPerSecond: number;
  retransmits: number;
  senderCpuPercent: number;
  receiverCpuPercent: number;
  /**
   * CPUs kept busy by anything other than this run (iperf3 client and server, ksoftirqd) while it ran,
   * from /proc/stat: other work on a 2-CPU machine takes its share from the measurement.
   */
  otherCpus: number;
}

const USER_HZ = 100;
/** Busy jiffies of all CPUs (everything but idle and iowait). */
async function busyJiffies(): Promise<number> {
  const f = (await readFile("/proc/stat", "utf8")).split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user, nice, system, , , irq, softirq, steal] = f as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return user + nice + system + irq + softirq + steal;
}
let ksoftirqdPids: number[] | null = null;
/** CPU jiffies (utime + stime) of the ksoftirqd threads: softirq work deferred out of our processes. */
async function ksoftirqdJiffies(): Promise<number> {
  if (!ksoftirqdPids) {
    ksoftirqdPids = [];
    for (const d of await readdir("/proc")) {
      if (!/^\d+$/.test(d)) continue;
      const comm = await readFile(`/proc/${d}/comm`, "utf8").catch(() => "");
      if (/^ksoftirqd\//.test(comm)) ksoftirqdPids.push(Number(d));
    }
  }
  let sum = 0;
  for (const pid of ksoftirqdPids) {
    const st = await readFile(`/proc/${pid}/stat`, "utf8").catch(() => "");
    const f = st.slice(st.lastIndexOf(")") + 2).split(" ");
    sum += Number(f[11] ?? 0) + Number(f[12] ?? 0); // fields 14 and 15: utime, stime
  }
  return sum;
}

/** One iperf3 run: one-off server in the server's netns, client in the client's netns. */
async function iperf(s: Scenario, mode: Mode): Promise<Throughput> {
  // the server exits after one client (-1); the timeout only guards against a client that never came
  const server = spawn(
    "nsenter",
    [...s.server.ns, "--", "iperf3", "-s", "-1", "-B", s.server.addr, "-p", String(PORT), ...pinArgs(mode)],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let serverOut = "";
  server.stdout.on("data", (d) => (serverOut += d));
  server.stderr.on("data", (d) => (serverOut += d));
  const serverExit = new Promise<number | null>((resolve) => server.once("exit", (code) => resolve(code)));
  const guard = setTimeout(() => server.kill("SIGKILL"), (SECONDS + 30) * 1000);
  try {
    // wait until it listens (polling the socket table of its namespace: no output buffering to guess about)
    const deadline = Date.now() + 10_000;
    for (;;) {
      const ss = await inNs(s.server.ns, "ss", ["-Hltn", `sport = :${PORT}`]);
      if (ss.stdout.trim()) break;
      if (server.exitCode !== null) throw new Error(`iperf3 server exited: ${serverOut.trim()}`);
      if (Date.now() > deadline) throw new Error(`iperf3 server not listening after 10 s: ${serverOut.trim()}`);
      await sleep(20);
    }
    const busy0 = await busyJiffies();
    const soft0 = await ksoftirqdJiffies();
    const w0 = performance.now();
    const c = await inNs(
      s.client.ns,
      "iperf3",
      ["-c", s.server.addr, "-p", String(PORT), "-t", String(SECONDS), "-J", ...pinArgs(mode)],
      (SECONDS + 20) * 1000,
    );
    const wall = (performance.now() - w0) / 1000;
    const busy = (await busyJiffies()) - busy0;
    const soft = (await ksoftirqdJiffies()) - soft0;
    let doc: Iperf3Doc;
    try {
      doc = JSON.parse(c.stdout);
    } catch {
      throw new Error(
        `iperf3 client (${s.key}) printed no JSON (exit ${c.code}): ${(c.stderr || c.stdout).trim().slice(0, 400)}`,
      );
    }
    if (doc.error) throw new Error(`iperf3 client (${s.key}): ${doc.error}`);
    const bps = doc.end?.sum_received?.bits_per_second;
    if (typeof bps !== "number") throw new Error(`iperf3 client (${s.key}): no end.sum_received.bits_per_second`);
    await serverExit;
    const cpu = doc.end?.cpu_utilization_percent ?? {};
    const testSeconds = doc.end?.sum_received?.seconds ?? SECONDS;
    const ours = (((cpu.host_total ?? 0) + (cpu.remote_total ?? 0)) / 100) * testSeconds + soft / USER_HZ;
    return {
      mode,
      otherCpus: r2(Math.max(0, busy / USER_HZ - ours) / wall),
      bitsPerSecond: bps,
      retransmits: doc.end?.sum_sent?.retransmits ?? NaN,
      senderCpuPercent: r2(doc.end?.cpu_utilization_percent?.host_total ?? NaN),
      receiverCpuPercent: r2(doc.end?.cpu_utilization_percent?.remote_total ?? NaN),
    };
  } finally {
    clearTimeout(guard);
    if (server.exitCode === null && server.signalCode === null) {
      server.kill("SIGKILL");
      await serverExit;
    }
  }
}

interface Latency {
  sent: number;
  received: number;
  intervalS: number;
  avgMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
}

let pingInterval = 0.01;

/**
 * One round of `busybox ping` from the client side to the server side; per-packet RTTs in ms. Falls back
 * to -i 0.2 (at most 100 packets in all) if this busybox refuses the 10 ms interval.
 */
async function pingRound(s: Scenario, count: number, warmUp: boolean): Promise<{ rtts: number[]; sent: number }> {
  // ARP/neighbour resolution and route lookups out of the way first (not recorded)
  if (warmUp) await inNs(s.client.ns, "busybox", ["ping", "-c", "3", "-i", "0.2", "-W", "2", s.server.addr]);
  const go = () =>
    inNs(
      s.client.ns,
      "busybox",
      ["ping", "-c", String(count), "-i", String(pingInterval), "-W", "2", s.server.addr],
      120_000,
    );
  let r = await go();
  if (r.code !== 0 && pingInterval < 0.2 && /interval|invalid|permitted/i.test(r.stderr)) {
    log(`   busybox ping refused -i ${pingInterval}: using -i 0.2`);
    pingInterval = 0.2;
    count = Math.max(1, Math.min(count, Math.floor(100 / PING_ROUNDS)));
    r = await go();
  }
  const rtts = [...r.stdout.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
  if (!rtts.length)
    throw new Error(
      `ping ${s.key} ${s.server.addr}: no replies (exit ${r.code}): ${(r.stderr || r.stdout).trim().slice(-300)}`,
    );
  return { rtts, sent: count };
}

function latency(rtts: number[], sent: number): Latency {
  const sorted = [...rtts].sort((a, b) => a - b);
  return {
    sent,
    received: rtts.length,
    intervalS: pingInterval,
    avgMs: r3(rtts.reduce((a, b) => a + b, 0) / rtts.length),
    p50Ms: r3(quantile(sorted, 0.5)),
    p99Ms: r3(quantile(sorted, 0.99)),
    minMs: r3(sorted[0]!),
    maxMs: r3(sorted[sorted.length - 1]!),
  };
}

// ------------------------------------------------------------------------------------------- path facts

/** MTU, qdisc and GSO/TSO/GRO limits of the devices on a path, for the JSON (and the README's reasoning). */
async function linkFacts(ns: Ns): Promise<Array<Record<string, unknown>>> {
  const r = await inNs(ns, "ip", ["-d", "-j", "link", "show"]);
  if (r.code !== 0) return [];
  return (JSON.parse(r.stdout) as IpLink[])
    .filter((l) => l.ifname !== "lo")
    .map((l) => ({
      ifname: l.ifname,
      kind: l.linkinfo?.info_kind ?? null,
      slave: l.linkinfo?.info_slave_kind ?? null,
      mtu: l.mtu,
      qdisc: l.qdisc,
      txqlen: l.txqlen,
      gso_max_size: l.gso_max_size,
      gso_max_segs: l.gso_max_segs,
      tso_max_size: l.tso_max_size,
      gro_max_size: l.gro_max_size,
      num_rx_queues: l.num_rx_queues,
      num_tx_queues: l.num_tx_queues,
    }));
}

/** tx counters of a device (bytes, packets), to show how big the packets on a path are (GSO kept or not). */
async function txCounters(ns: Ns, dev: string): Promise<{ bytes: number; packets: number }> {
  const r = await inNs(ns, "ip", ["-s", "-j", "link", "show", "dev", dev]);
  const l = r.code === 0 ? (JSON.parse(r.stdout) as IpLink[])[0] : undefined;
  return { bytes: l?.stats64?.tx?.bytes ?? NaN, packets: l?.stats64?.tx?.packets ?? NaN };
}

async function netfilterFacts(ns: Ns): Promise<Record<string, unknown>> {
  const rules = (await inNs(ns, "nft", ["list", "ruleset"])).stdout;
  const conntrack = await inNs(ns, "cat", ["/proc/sys/net/netfilter/nf_conntrack_count"]);
  const sysctl = async (k: string) => (await inNs(ns, "sysctl", ["-n", k])).stdout.trim() || null;
  return {
    nftRulesetLines: rules.split("\n").filter((l) => l.trim()).length,
    nftTables: [...rules.matchAll(/^table (\S+ \S+)/gm)].map((m) => m[1]),
    conntrackCount: conntrack.code === 0 ? Number(conntrack.stdout.trim()) : null,
    bridgeNfCallIptables: await sysctl("net.bridge.bridge-nf-call-iptables"),
    ipForward: await sysctl("net.ipv4.ip_forward"),
    tcQdiscs: (await inNs(ns, "tc", ["qdisc", "show"])).stdout.trim().split("\n").filter(Boolean),
  };
}

// ------------------------------------------------------------------------------------------- setup

const BASE = { a: "198.18.9.1", b: "198.18.9.2", prefix: 24 };
const VENET = { a: { ctid: 101, addr: "198.18.1.2" }, b: { ctid: 102, addr: "198.18.1.3" } };
const LAN = { name: "lan", bridge: "ovzbr0", hostCidr: "198.18.2.1/24" };
const VETH = { a: { ctid: 111, addr: "198.18.2.11" }, b: { ctid: 112, addr: "198.18.2.12" } };

/** The firewall of one side of a firewalled pair: policyIn drop, a few accepts, the iperf port open. */
function firewallFor(peer: string) {
  return {
    enabled: true,
    policyIn: "drop" as const,
    policyOut: "accept" as const,
    rules: [
      { direction: "in" as const, action: "accept" as const, proto: "tcp" as const, ports: "22", comment: "ssh" },
      { direction: "in" as const, action: "accept" as const, proto: "tcp" as const, ports: "80", comment: "http" },
      { direction: "in" as const, action: "accept" as const, proto: "tcp" as const, ports: "443", comment: "https" },
      {
        direction: "in" as const,
        action: "accept" as const,
        proto: "icmp" as const,
        peer: `${peer}/32`,
        comment: "ping from the peer",
      },
      {
        direction: "in" as const,
        action: "accept" as const,
        proto: "tcp" as const,
        ports: String(PORT),
        comment: "iperf3",
      },
      { direction: "out" as const, action: "drop" as const, proto: "tcp" as const, ports: "25", comment: "no smtp" },
    ],
  };
}

async function createBaseline(id: string): Promise<{ a: string; b: string }> {
  const a = `ovzb-${id}-a`;
  const b = `ovzb-${id}-b`;
  await must(run("ip", ["netns", "add", a], { allowFailure: true }), `ip netns add ${a}`);
  await must(run("ip", ["netns", "add", b], { allowFailure: true }), `ip netns add ${b}`);
  // the pair is created inside netns a with its peer moved straight into netns b: it never exists in
  // the host's namespace
  await must(
    run("ip", ["-n", a, "link", "add", "veth0", "type", "veth", "peer", "name", "veth0", "netns", b], {
      allowFailure: true,
    }),
    "ip link add veth",
  );
  for (const [ns, addr] of [
    [a, BASE.a],
    [b, BASE.b],
  ] as const) {
    await must(run("ip", ["-n", ns, "link", "set", "lo", "up"], { allowFailure: true }), "lo up");
    await must(
      run("ip", ["-n", ns, "addr", "add", `${addr}/${BASE.prefix}`, "dev", "veth0"], { allowFailure: true }),
      "ip addr add",
    );
    await must(run("ip", ["-n", ns, "link", "set", "veth0", "up"], { allowFailure: true }), "veth0 up");
  }
  return { a, b };
}

async function destroyBaseline(names: { a: string; b: string } | null): Promise<void> {
  if (!names) return;
  // deleting netns a takes the veth pair (and so its peer in b) with it
  for (const n of [names.a, names.b]) await run("ip", ["netns", "del", n], { allowFailure: true });
}

const initPid = async (te: TestEngine, ctid: number) => {
  const pid = (await te.client.call("container.status", { ctid })).initPid;
  if (!pid) throw new Error(`container ${ctid} has no init pid (not running?)`);
  return pid;
};

// ------------------------------------------------------------------------------------------- report

interface ThroughputSummary {
  runs: Throughput[];
  medianBitsPerSecond: number;
  minBitsPerSecond: number;
  maxBitsPerSecond: number;
  medianRetransmits: number;
}

interface ScenarioResult {
  key: string;
  label: string;
  path: string;
  throughput: Record<Mode, ThroughputSummary>;
  latency: Latency;
}

function summarise(s: Scenario, runs: Throughput[], latency: Latency): ScenarioResult {
  const one = (mode: Mode): ThroughputSummary => {
    const mine = runs.filter((r) => r.mode === mode);
    const bps = mine.map((r) => r.bitsPerSecond).sort((a, b) => a - b);
    const rt = mine.map((r) => r.retransmits).sort((a, b) => a - b);
    return {
      runs: mine,
      medianBitsPerSecond: quantile(bps, 0.5),
      minBitsPerSecond: bps[0] ?? NaN,
      maxBitsPerSecond: bps[bps.length - 1] ?? NaN,
      medianRetransmits: quantile(rt, 0.5),
    };
  };
  return { key: s.key, label: s.label, path: s.path, throughput: { free: one("free"), cpu0: one("cpu0") }, latency };
}

const gbit = (bps: number) => (Number.isFinite(bps) ? (bps / 1e9).toFixed(2) : "n/a");
const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
const pct = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${Math.round((a / b) * 100)}%` : "n/a";
const times = (a: number, b: number) =>
  Number.isFinite(a) && Number.isFinite(b) && b > 0 ? `${(a / b).toFixed(2)}×` : "n/a";

/** How much other work shared the 2 CPUs with the measurement (it lowers throughput and widens the spread). */
function otherLoadNote(scenarios: ScenarioResult[]): string {
  const all = scenarios.flatMap((s) => MODES.flatMap((m) => s.throughput[m].runs.map((r) => r.otherCpus)));
  const mean = all.reduce((a, b) => a + b, 0) / all.length;
  const max = Math.max(...all);
  const busy = all.filter((x) => x > 0.2).length;
  return (
    `Other load on the machine while iperf3 ran (CPUs busy outside the measurement, /proc/stat): mean ${mean.toFixed(2)}, max ${max.toFixed(2)}` +
    (busy
      ? `; ${busy} of ${all.length} runs shared the CPUs with more than 0.2 CPU of other work, so treat differences within the min–max spread as noise.`
      : ".")
  );
}

function packetNote(facts: unknown): string {
  const p = (
    facts as { avgBytesPerPacketTowardServer?: Array<{ device: string; avgBytesPerPacket: number }> } | undefined
  )?.avgBytesPerPacketTowardServer;
  if (!p?.length) return "";
  const kib = p.map((x) => x.avgBytesPerPacket / 1024);
  const f = facts as Record<string, Array<{ qdisc?: string }> | { tcQdiscs?: string[] }>;
  const links = ["baselineLinks", "engineLinks", "venetContainerLinks", "vethContainerLinks"].flatMap(
    (k) => (f[k] as Array<{ qdisc?: string }>) ?? [],
  );
  const tc = [
    (f.engineNetfilterNoFirewall as { tcQdiscs?: string[] })?.tcQdiscs ?? [],
    (f.engineNetfilterFirewall as { tcQdiscs?: string[] })?.tcQdiscs ?? [],
  ].flat();
  const noqueue = links.every((l) => l.qdisc === "noqueue") && tc.every((q) => /^qdisc noqueue /.test(q));
  return (
    `Packets toward the server averaged ${Math.min(...kib).toFixed(0)}–${Math.max(...kib).toFixed(0)} KiB on the three paths (TSO/GSO super-packets, not MTU-sized)` +
    (noqueue
      ? "; every device on every path has the noqueue qdisc (no tc)."
      : "; some device has a tc qdisc other than noqueue (see facts in the JSON).")
  );
}

function markdown(
  r: { scenarios: ScenarioResult[]; host: Record<string, string | number>; elapsedS: number } & Record<string, unknown>,
): string {
  const base = r.scenarios.find((s) => s.key === "baseline")!;
  const tput = (s: ScenarioResult, m: Mode) => {
    const t = s.throughput[m];
    const b = base.throughput[m].medianBitsPerSecond;
    const ratio =
      s.key === "baseline" ? "—" : `${pct(t.medianBitsPerSecond, b)}${t.medianBitsPerSecond / b >= GOAL ? "" : " ⚠"}`;
    return `${gbit(t.medianBitsPerSecond)} (${gbit(t.minBitsPerSecond)}–${gbit(t.maxBitsPerSecond)}) | ${ratio}`;
  };
  const rows = r.scenarios.map(
    (s) =>
      `| ${s.label} | ${tput(s, "free")} | ${tput(s, "cpu0")} | ` +
      `${ms(s.latency.avgMs)} | ${ms(s.latency.p99Ms)} | ${ms(s.latency.maxMs)} | ${s.key === "baseline" ? "—" : times(s.latency.avgMs, base.latency.avgMs)} |`,
  );
  const l = base.latency;
  return [
    `Container networking, \`npx tsx bench/net.bench.ts\` (root), ${r.host.cpus} CPUs, ${String(r.host.date).slice(0, 10)}:`,
    "",
    "| scenario (client → server) | TCP Gbit/s unpinned, median (min–max) | of baseline | TCP Gbit/s both on CPU 0 | of baseline | ping avg ms | p99 ms | max ms | ping avg vs baseline |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows,
    "",
    `Throughput: the host's iperf3 in each side's netns (\`-s -1 -B\` / \`-c -t ${SECONDS} -J\`), ${REPS} runs per scenario and placement, all interleaved; median (goal ≥ ${GOAL * 100}% of the baseline, ⚠ = below). ` +
      `"Unpinned": the sender's CPU also runs the whole path in its softirq (routing or bridging, nftables, the second veth) and is the bottleneck, so the path's cost shows fully; "both on CPU 0" (\`-A 0\` on both): one CPU runs the whole flow, copies included, so the same cost is a smaller share. ` +
      `Latency: \`busybox ping -i ${l.intervalS}\`, ${l.sent} per scenario in ${PING_ROUNDS} rounds alternating between scenarios, per-packet RTTs. All links MTU ${r.host.mtu}. ` +
      `Baseline = two bare netns joined by one veth pair; venet = routed through the engine's netns (2 veth pairs); ` +
      `veth = both containers on one engine bridge; firewall = policyIn drop + ${firewallFor("0.0.0.0").rules.length} rules on both containers (turns on conntrack). Run took ${r.elapsedS} s.`,
    "",
    otherLoadNote(r.scenarios) + " " + packetNote(r.facts),
    "",
    `Host: kernel ${r.host.kernel}, ${r.host.cpus} CPUs (${r.host.cpuModel}), ${r.host.iperf3}; date ${r.host.date}.`,
  ].join("\n");
}

// ------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const t0 = performance.now();
  const date = new Date().toISOString();
  const host = {
    kernel: os.release(),
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? "unknown",
    iperf3:
      (await run("iperf3", ["--version"], { allowFailure: true })).stdout.split("\n")[0]?.trim() || "iperf3 unknown",
    busybox: (await run("busybox", [], { allowFailure: true })).stdout.split("\n")[0]?.trim() || "busybox unknown",
    node: process.version,
    date,
    mtu: 0,
    /** other load on the machine skews throughput on 2 CPUs: recorded at start and end */
    loadavgStart: (await readFile("/proc/loadavg", "utf8")).trim(),
    loadavgEnd: "",
  };
  const id = randomBytes(3).toString("hex");
  let te: TestEngine | null = null;
  let baseNs: { a: string; b: string } | null = null;
  let result;
  // one cleanup, from the finally below or from Ctrl-C / SIGTERM (which would skip the finally)
  let cleaning: Promise<void> | null = null;
  const cleanup = () =>
    (cleaning ??= (async () => {
      log("cleanup");
      await te?.cleanup().catch((e) => log(`engine cleanup: ${e}`));
      await destroyBaseline(baseNs);
    })());
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  try {
    log(`baseline: two netns joined by a veth pair (ovzb-${id}-a/b)`);
    baseNs = await createBaseline(id);

    log("starting test engine");
    te = await startTestEngine();
    const engine = te;
    log("building template busybox");
    await engine.client.call("template.build", { kind: "busybox" });

    log("creating containers: venet pair, network lan + veth pair");
    await engine.client.call("network.create", LAN);
    for (const c of [VENET.a, VENET.b]) {
      await engine.client.call("container.create", { ctid: c.ctid, template: "busybox", net: { venet: [c.addr] } });
    }
    for (const c of [VETH.a, VETH.b]) {
      await engine.client.call("container.create", {
        ctid: c.ctid,
        template: "busybox",
        net: { nics: [{ type: "veth", network: LAN.name, ips: [c.addr] }] },
      });
    }
    for (const c of [VENET.a, VENET.b, VETH.a, VETH.b]) await engine.client.call("container.start", { ctid: c.ctid });

    const ns = {
      va: nsPid(await initPid(engine, VENET.a.ctid)),
      vb: nsPid(await initPid(engine, VENET.b.ctid)),
      ea: nsPid(await initPid(engine, VETH.a.ctid)),
      eb: nsPid(await initPid(engine, VETH.b.ctid)),
    };
    const baseline: Scenario = {
      key: "baseline",
      label: "baseline: netns ↔ netns, one veth pair",
      path: "veth pair, no bridge, no nftables, no tc",
      client: { ns: nsNamed(baseNs.a), addr: BASE.a },
      server: { ns: nsNamed(baseNs.b), addr: BASE.b },
    };
    const venet: Scenario = {
      key: "venet",
      label: "venet: container ↔ container, routed",
      path: "venet0 → vnA → engine router (nft anti-spoofing) → vnB → venet0",
      client: { ns: ns.va, addr: VENET.a.addr },
      server: { ns: ns.vb, addr: VENET.b.addr },
    };
    const veth: Scenario = {
      key: "veth",
      label: "veth: container ↔ container, bridged",
      path: "eth0 → veA → bridge ovzbr0 (nft bridge anti-spoofing, br_netfilter) → veB → eth0",
      client: { ns: ns.ea, addr: VETH.a.addr },
      server: { ns: ns.eb, addr: VETH.b.addr },
    };
    const venetFw: Scenario = {
      ...venet,
      key: "venet-fw",
      label: "venet + firewall on both",
      path: `${venet.path}; firewall chains + conntrack`,
    };
    const vethFw: Scenario = {
      ...veth,
      key: "veth-fw",
      label: "veth + firewall on both",
      path: `${veth.path}; firewall chains + conntrack`,
    };

    // all sides reachable before anything is timed
    for (const s of [baseline, venet, veth]) {
      let ok = false;
      for (let i = 0; i < 40 && !ok; i++) {
        ok = (await inNs(s.client.ns, "busybox", ["ping", "-c", "1", "-W", "1", s.server.addr])).code === 0;
        if (!ok) await sleep(250);
      }
      if (!ok) throw new Error(`${s.key}: ${s.server.addr} does not answer ping from ${s.client.addr}`);
    }

    const facts: Record<string, unknown> = {
      baselineLinks: await linkFacts(baseline.client.ns),
      engineLinks: await linkFacts(nsNamed(engine.netns)),
      venetContainerLinks: await linkFacts(ns.va),
      vethContainerLinks: await linkFacts(ns.ea),
    };
    const mtus = new Set(
      [facts.baselineLinks, facts.engineLinks, facts.venetContainerLinks, facts.vethContainerLinks].flatMap((ls) =>
        (ls as Array<{ mtu: number }>).map((l) => l.mtu),
      ),
    );
    host.mtu = mtus.size === 1 ? [...mtus][0]! : -1;
    if (mtus.size !== 1) log(`WARNING: MTUs differ along the paths: ${[...mtus].join(", ")} (see the JSON)`);

    const runs = new Map<string, Throughput[]>();
    const lat = new Map<string, Latency>();
    let firewallOn = false;
    const setFirewall = async (on: boolean) => {
      if (on === firewallOn) return;
      for (const [a, b] of [
        [VENET.a, VENET.b],
        [VETH.a, VETH.b],
      ] as const) {
        await engine.client.call("container.net.set", {
          ctid: a.ctid,
          net: { firewall: on ? firewallFor(b.addr) : { enabled: false } },
        });
        await engine.client.call("container.net.set", {
          ctid: b.ctid,
          net: { firewall: on ? firewallFor(a.addr) : { enabled: false } },
        });
      }
      firewallOn = on;
    };
    // The firewall's `ct state` rules switch connection tracking on for the whole engine netns (and off
    // again when the last firewall is disabled), so the firewalled scenarios run as their own group with
    // the firewall on and the others with it off; the groups alternate within each repetition, so slow
    // drift (other load on the host, the hypervisor) hits every scenario alike.
    const groups: Array<{ firewall: boolean; scenarios: Scenario[] }> = [
      { firewall: false, scenarios: [baseline, venet, veth] },
      { firewall: true, scenarios: [venetFw, vethFw] },
    ];
    log(
      `measuring: ${PINGS} pings per scenario, then ${REPS} × ${SECONDS} s iperf3 per scenario, unpinned and on CPU 0`,
    );
    // pings in rounds, scenarios alternating, so the machine's state (idle CPUs waking up, other work)
    // is shared alike; the RTTs of all rounds are pooled
    const pinged = new Map<string, { rtts: number[]; sent: number }>();
    for (let round = 0; round < PING_ROUNDS; round++) {
      for (const g of groups) {
        await setFirewall(g.firewall);
        for (const s of g.scenarios) {
          const r = await pingRound(s, Math.ceil(PINGS / PING_ROUNDS), round === 0);
          const acc = pinged.get(s.key) ?? { rtts: [], sent: 0 };
          pinged.set(s.key, { rtts: [...acc.rtts, ...r.rtts], sent: acc.sent + r.sent });
        }
        // after traffic went through: the conntrack count shows whether connections are tracked
        if (round === 0)
          facts[g.firewall ? "engineNetfilterFirewall" : "engineNetfilterNoFirewall"] = await netfilterFacts(
            nsNamed(engine.netns),
          );
      }
    }
    for (const [key, p] of pinged) {
      const l = latency(p.rtts, p.sent);
      lat.set(key, l);
      log(
        `   ${key}: ping avg ${ms(l.avgMs)} ms, p99 ${ms(l.p99Ms)} ms, max ${ms(l.maxMs)} ms (${l.received}/${l.sent})`,
      );
    }
    // the devices that carry the data toward each server: average bytes per packet over all runs shows
    // whether the path keeps TSO/GSO super-packets (tens of KB) or cuts them to the MTU
    const dataDevs = [
      { path: "baseline", ns: baseline.client.ns, dev: "veth0" },
      { path: "venet (host side of the server's venet0)", ns: nsNamed(engine.netns), dev: "vn102" },
      { path: "veth (host side of the server's eth0)", ns: nsNamed(engine.netns), dev: "ve112i0" },
    ];
    const tx0 = await Promise.all(dataDevs.map((d) => txCounters(d.ns, d.dev)));
    for (let i = 0; i < REPS; i++) {
      for (const mode of MODES) {
        for (const g of groups) {
          await setFirewall(g.firewall);
          for (const s of g.scenarios) {
            const t = await iperf(s, mode);
            if (!runs.has(s.key)) runs.set(s.key, []);
            runs.get(s.key)!.push(t);
            log(
              `   ${s.key} ${mode} run ${i + 1}/${REPS}: ${gbit(t.bitsPerSecond)} Gbit/s, ${t.retransmits} retransmits, other load ${t.otherCpus} CPUs`,
            );
          }
        }
      }
    }
    const tx1 = await Promise.all(dataDevs.map((d) => txCounters(d.ns, d.dev)));
    facts.avgBytesPerPacketTowardServer = dataDevs.map((d, i) => ({
      path: d.path,
      device: d.dev,
      bytes: tx1[i]!.bytes - tx0[i]!.bytes,
      packets: tx1[i]!.packets - tx0[i]!.packets,
      avgBytesPerPacket: Math.round((tx1[i]!.bytes - tx0[i]!.bytes) / (tx1[i]!.packets - tx0[i]!.packets)),
    }));
    log(
      `   bytes per packet toward the server: ${(facts.avgBytesPerPacketTowardServer as Array<{ device: string; avgBytesPerPacket: number }>).map((x) => `${x.device} ${x.avgBytesPerPacket}`).join(", ")}`,
    );
    const st = await engine.client.call("container.net.stats", {
      ctids: [VENET.a.ctid, VENET.b.ctid, VETH.a.ctid, VETH.b.ctid],
    });
    facts.dropCounters = st.map((x) => ({
      ctid: x.ctid,
      spoofDropped: x.spoofDropped,
      firewallDropped: x.firewallDropped,
    }));

    const scenarios = [baseline, venet, veth, venetFw, vethFw].map((s) =>
      summarise(s, runs.get(s.key)!, lat.get(s.key)!),
    );
    result = {
      date,
      host,
      args: { reps: REPS, seconds: SECONDS, pings: PINGS, port: PORT, modes: MODES },
      scenarios,
      facts,
      elapsedS: 0,
    };
  } finally {
    await cleanup();
  }
  result.elapsedS = Math.round((performance.now() - t0) / 1000);
  host.loadavgEnd = (await readFile("/proc/loadavg", "utf8")).trim();

  const md = markdown(result);
  const rel = publishResults({ name: "net", title: "Networking benchmark", date, result, md, log });
  process.stdout.write(`${md}\n\nresults: ${rel}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`[bench] failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
