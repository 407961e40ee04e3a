/**
 * The measurements of the networking benchmark (net.bench.ts): its arguments, one iperf3 run with the
 * CPU load around it, ping rounds and their latency summary, and facts about a path (links, netfilter).
 */
import { spawn } from "node:child_process";
import { readdir, readFile } from "node:fs/promises";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "../native/src/exec.js";
import { argValue } from "./common.js";

// ------------------------------------------------------------------------------------------- args

export const REPS = argValue("reps", 3);
export const SECONDS = argValue("seconds", 5);
export const PINGS = argValue("pings", 200);
export const PORT = 5201;
/** pings go in this many rounds (scenarios alternating), PINGS in all per scenario */
export const PING_ROUNDS = Math.min(4, PINGS);
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
export const MODES = ["free", "cpu0"] as const;
export type Mode = (typeof MODES)[number];
const pinArgs = (m: Mode): string[] => (m === "cpu0" ? ["-A", "0"] : []);
export const GOAL = 0.9; // containers should get at least 90% of the baseline's throughput

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

export function log(msg: string): void {
  process.stderr.write(`[bench] ${msg}\n`);
}

export async function must(p: ReturnType<typeof run>, what: string): Promise<string> {
  const r = await p;
  if (r.code !== 0)
    throw new Error(
      `${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`,
    );
  return r.stdout;
}

export function quantile(sorted: number[], q: number): number {
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
export const nsNamed = (name: string): Ns => [`--net=/run/netns/${name}`];
export const nsPid = (pid: number): Ns => ["-t", String(pid), "-n"];
export const inNs = (ns: Ns, cmd: string, args: string[], timeoutMs = 30_000) =>
  run("nsenter", [...ns, "--", cmd, ...args], { allowFailure: true, timeoutMs });

// ------------------------------------------------------------------------------------------- measurements

interface Side {
  ns: Ns;
  addr: string;
}

export interface Scenario {
  key: string;
  label: string;
  path: string;
  client: Side;
  server: Side;
}

export interface Throughput {
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
export async function iperf(s: Scenario, mode: Mode): Promise<Throughput> {
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

export interface Latency {
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
export async function pingRound(
  s: Scenario,
  count: number,
  warmUp: boolean,
): Promise<{ rtts: number[]; sent: number }> {
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

export function latency(rtts: number[], sent: number): Latency {
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
export async function linkFacts(ns: Ns): Promise<Array<Record<string, unknown>>> {
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
export async function txCounters(ns: Ns, dev: string): Promise<{ bytes: number; packets: number }> {
  const r = await inNs(ns, "ip", ["-s", "-j", "link", "show", "dev", dev]);
  const l = r.code === 0 ? (JSON.parse(r.stdout) as IpLink[])[0] : undefined;
  return { bytes: l?.stats64?.tx?.bytes ?? NaN, packets: l?.stats64?.tx?.packets ?? NaN };
}

export async function netfilterFacts(ns: Ns): Promise<Record<string, unknown>> {
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
