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
 * section of README.md. The parts: net-measure.ts (arguments, iperf3, ping, path facts), net-setup.ts
 * (addresses, firewall, baseline netns), net-report.ts (summaries, the table).
 */
import { randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import os from "node:os";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { run } from "../native/src/exec.js";
import { publishResults } from "./common.js";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";
import {
  inNs,
  iperf,
  latency,
  linkFacts,
  log,
  MODES,
  netfilterFacts,
  nsNamed,
  nsPid,
  PING_ROUNDS,
  pingRound,
  PINGS,
  PORT,
  REPS,
  SECONDS,
  txCounters,
  type Latency,
  type Scenario,
  type Throughput,
} from "./net-measure.js";
import { gbit, markdown, ms, summarise } from "./net-report.js";
import { BASE, createBaseline, destroyBaseline, firewallFor, initPid, LAN, VENET, VETH } from "./net-setup.js";

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
