/**
 * The networking benchmark's setup (net.bench.ts): its addresses, the firewall of a firewalled pair, and
 * the baseline's two bare network namespaces.
 */
import { run } from "../native/src/exec.js";
import type { TestEngine } from "../native/test/helpers/engine.js";
import { must, PORT } from "./net-measure.js";

// ------------------------------------------------------------------------------------------- setup

export const BASE = { a: "198.18.9.1", b: "198.18.9.2", prefix: 24 };
export const VENET = { a: { ctid: 101, addr: "198.18.1.2" }, b: { ctid: 102, addr: "198.18.1.3" } };
export const LAN = { name: "lan", bridge: "ovzbr0", hostCidr: "198.18.2.1/24" };
export const VETH = { a: { ctid: 111, addr: "198.18.2.11" }, b: { ctid: 112, addr: "198.18.2.12" } };

/** The firewall of one side of a firewalled pair: policyIn drop, a few accepts, the iperf port open. */
export function firewallFor(peer: string) {
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

export async function createBaseline(id: string): Promise<{ a: string; b: string }> {
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

export async function destroyBaseline(names: { a: string; b: string } | null): Promise<void> {
  if (!names) return;
  // deleting netns a takes the veth pair (and so its peer in b) with it
  for (const n of [names.a, names.b]) await run("ip", ["netns", "del", n], { allowFailure: true });
}

export const initPid = async (te: TestEngine, ctid: number) => {
  const pid = (await te.client.call("container.status", { ctid })).initPid;
  if (!pid) throw new Error(`container ${ctid} has no init pid (not running?)`);
  return pid;
};
