/**
 * The networking benchmark's report (net.bench.ts): per-scenario summaries and the markdown table with
 * its notes.
 */
import {
  GOAL,
  MODES,
  PING_ROUNDS,
  quantile,
  REPS,
  SECONDS,
  type Latency,
  type Mode,
  type Scenario,
  type Throughput,
} from "./net-measure.js";
import { firewallFor } from "./net-setup.js";

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

export function summarise(s: Scenario, runs: Throughput[], latency: Latency): ScenarioResult {
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

export const gbit = (bps: number) => (Number.isFinite(bps) ? (bps / 1e9).toFixed(2) : "n/a");
export const ms = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : "n/a");
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

export function markdown(
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
