/**
 * Host-side packet filtering for containers, in two nftables tables the engine owns completely:
 *
 *   table inet ovz    venet anti-spoofing (prerouting, by host-side device), the per-container
 *                     firewall (by address: forward/input/output hooks, so it also covers bridged
 *                     traffic via br_netfilter), and the "containers never leave through a non-uplink"
 *                     guard in forward.
 *   table bridge ovz  veth anti-spoofing per bridge port: MAC, ARP sender and IP source.
 *
 * The whole ruleset is rendered from the container records (a pure function, unit-tested) and replaced
 * atomically in one `nft -f` transaction; named counters are carried over from the live tables, so
 * drop counts survive every change. A destroyed container simply is not rendered: nothing can be left.
 * The container itself cannot touch these rules: they live in the host's network namespace.
 */
import { run } from "../exec.js";
import { netIps } from "./config.js";
import { counterName, setDecl } from "./nft-syntax.js";
import { driverOf, netDevices } from "./nic/index.js";
import { NIC_MODES } from "./nic/modes.js";
import type { NftPart } from "./nic/types.js";
import { ipVersion, type FirewallRule, type NetConfig, type Network } from "./types.js";

export { counterName };

export interface NftContainer {
  ctid: number;
  net: NetConfig;
}
export type Counters = Map<string, { packets: number; bytes: number }>;

const TABLE = "ovz";

export function renderRuleset(opts: {
  containers: NftContainer[];
  networks: Network[];
  uplinks: string[];
  counters: { inet: Counters; bridge: Counters };
}): string {
  const cts = [...opts.containers].sort((a, b) => a.ctid - b.ctid);
  const out: string[] = [];
  // Declare, delete, redeclare: one transaction that works whether or not the table existed.
  for (const fam of ["inet", "bridge"]) out.push(`table ${fam} ${TABLE}`, `delete table ${fam} ${TABLE}`);
  const parts = new Map(cts.map((c) => [c.ctid, driverParts(c)]));
  out.push(...renderInet(cts, parts, opts.networks, opts.uplinks, opts.counters.inet));
  out.push(...renderBridge(cts, parts, opts.counters.bridge));
  return out.join("\n") + "\n";
}

/** Each NIC driver's rules for one container's devices of its mode, in table order. */
function driverParts({ ctid, net }: NftContainer): Array<{ inet: NftPart; bridge: NftPart }> {
  const devs = netDevices(ctid, net);
  return NIC_MODES.map((mode) =>
    driverOf(mode).nft(
      ctid,
      devs.filter((d) => d.kind === mode),
    ),
  );
}

/** A driver part's counters and sets into the table body; its dispatch entries and chains into the lists. */
function addPart(p: NftPart, L: string[], dispatch: Array<[string, string]>, chains: string[], counters: Counters) {
  for (const name of p.counters) L.push(counterDecl(name, counters));
  L.push(...p.decls);
  dispatch.push(...p.dispatch);
  chains.push(...p.chains);
}

function counterDecl(name: string, c: Counters): string {
  const v = c.get(name) ?? { packets: 0, bytes: 0 };
  return `  counter ${name} { packets ${v.packets} bytes ${v.bytes} }`;
}

function vmapDecl(name: string, key: "ipv4_addr" | "ipv6_addr" | "ifname", elems: Array<[string, string]>): string {
  const body = elems.length
    ? ` elements = { ${elems.map(([k, chain]) => `${key === "ifname" ? JSON.stringify(k) : k} : jump ${chain}`).join(", ")} };`
    : "";
  return `  map ${name} { type ${key} : verdict;${body} }`;
}

type Parts = Map<number, Array<{ inet: NftPart; bridge: NftPart }>>;

function renderInet(
  cts: NftContainer[],
  parts: Parts,
  networks: Network[],
  uplinks: string[],
  counters: Counters,
): string[] {
  const L: string[] = [`table inet ${TABLE} {`];
  // prerouting by host-side device (venet anti-spoofing); the map keeps the name it had when only venet used it
  const fromDevice: Array<[string, string]> = [];
  const fwIn: Record<4 | 6, Array<[string, string]>> = { 4: [], 6: [] };
  const fwOut: Record<4 | 6, Array<[string, string]>> = { 4: [], 6: [] };
  const ctIfaces = new Set<string>(networks.map((n) => n.bridge));
  const chains: string[] = [];

  for (const { ctid, net } of cts) {
    L.push(counterDecl(counterName.spoof(ctid), counters), counterDecl(counterName.fwdrop(ctid), counters));
    for (const d of netDevices(ctid, net)) if (driverOf(d.kind).hostSide) ctIfaces.add(d.hostIf);
    for (const p of parts.get(ctid)!) addPart(p.inet, L, fromDevice, chains, counters);
    const fw = net.firewall;
    if (fw.enabled) {
      for (const ip of netIps(net)) {
        fwIn[ipVersion(ip)].push([ip, `fw_ct${ctid}_in`]);
        fwOut[ipVersion(ip)].push([ip, `fw_ct${ctid}_out`]);
      }
      for (const dir of ["in", "out"] as const) {
        const policy = dir === "in" ? fw.policyIn : fw.policyOut;
        chains.push(
          `  chain fw_ct${ctid}_${dir} {`,
          // replies to allowed connections always pass; "return" (not accept) so the other
          // container's chain (container-to-container traffic) is still evaluated
          `    ct state established,related return`,
          `    ct state invalid counter name ${counterName.fwdrop(ctid)} drop`,
          ...fw.rules.filter((r) => r.direction === dir).flatMap((r) => ruleLines(r, ctid)),
          ...(policy === "drop" ? [`    counter name ${counterName.fwdrop(ctid)} drop`] : []),
          `  }`,
        );
      }
    }
  }
  const ifaces = [...ctIfaces].sort();
  // Without any firewall the hooks only carry anti-spoofing and the routing guard (every rule costs
  // per packet: measured in bench/net.bench.ts).
  const anyFw = cts.some((c) => c.net.firewall.enabled);
  const dispatch = (lines: string[]) => (anyFw ? lines : []);
  L.push(
    setDecl("ct_ifaces", "ifname", ifaces),
    setDecl("uplinks", "ifname", uplinks),
    vmapDecl("from_venet", "ifname", fromDevice),
    vmapDecl("fw_in4", "ipv4_addr", fwIn[4]),
    vmapDecl("fw_in6", "ipv6_addr", fwIn[6]),
    vmapDecl("fw_out4", "ipv4_addr", fwOut[4]),
    vmapDecl("fw_out6", "ipv6_addr", fwOut[6]),
    `  chain prerouting {`,
    `    type filter hook prerouting priority raw; policy accept;`,
    `    iifname vmap @from_venet`,
    `  }`,
    `  chain forward {`,
    `    type filter hook forward priority filter; policy accept;`,
    ...dispatch([
      `    ip saddr vmap @fw_out4`,
      `    ip6 saddr vmap @fw_out6`,
      `    ip daddr vmap @fw_in4`,
      `    ip6 daddr vmap @fw_in6`,
    ]),
    // container traffic is routed only to other containers and to the configured uplinks
    `    iifname @ct_ifaces oifname != @ct_ifaces oifname != @uplinks counter drop`,
    `  }`,
    ...dispatch([
      `  chain input {`,
      `    type filter hook input priority filter; policy accept;`,
      `    ip saddr vmap @fw_out4`,
      `    ip6 saddr vmap @fw_out6`,
      `  }`,
      `  chain output {`,
      `    type filter hook output priority filter; policy accept;`,
      `    ip daddr vmap @fw_in4`,
      `    ip6 daddr vmap @fw_in6`,
      `  }`,
    ]),
    ...chains,
    `}`,
  );
  return L;
}

/** A rule's ports in nft: one port or range as is, a list as an anonymous set ({ 22, 80, 1000-2000 }). */
export function dports(ports: string | undefined): string {
  if (!ports) return "1-65535";
  return ports.includes(",") ? `{ ${ports.split(",").join(", ")} }` : ports;
}

function ruleLines(r: FirewallRule, ctid: number): string[] {
  const verdict = r.action === "accept" ? "return" : `counter name ${counterName.fwdrop(ctid)} drop`;
  const peerDir = r.direction === "in" ? "saddr" : "daddr";
  const comment = r.comment ? ` comment "${r.comment}"` : "";
  const protos = r.proto === "any" ? [null] : [r.proto];
  const lines: string[] = [];
  for (const proto of protos) {
    const families: Array<4 | 6> = r.peer ? [ipVersion(r.peer.split("/")[0]!)] : [4, 6];
    for (const fam of families) {
      const parts: string[] = [];
      if (r.peer) parts.push(`${fam === 4 ? "ip" : "ip6"} ${peerDir} ${r.peer}`);
      if (proto === "icmp") parts.push(fam === 4 ? "meta l4proto icmp" : "meta l4proto ipv6-icmp");
      else if (proto) parts.push(`meta nfproto ${fam === 4 ? "ipv4" : "ipv6"} ${proto} dport ${dports(r.ports)}`);
      else if (!r.peer) parts.push(`meta nfproto ${fam === 4 ? "ipv4" : "ipv6"}`);
      lines.push(`    ${parts.join(" ")} ${verdict}${comment}`);
    }
  }
  return lines;
}

function renderBridge(cts: NftContainer[], parts: Parts, counters: Counters): string[] {
  const L: string[] = [`table bridge ${TABLE} {`];
  const ports: Array<[string, string]> = [];
  const chains: string[] = [];
  for (const { ctid } of cts) for (const p of parts.get(ctid)!) addPart(p.bridge, L, ports, chains, counters);
  L.push(
    vmapDecl("from_port", "ifname", ports),
    `  chain prerouting {`,
    `    type filter hook prerouting priority filter; policy accept;`,
    `    iifname vmap @from_port`,
    `  }`,
    ...chains,
    `}`,
  );
  return L;
}

// ---------------------------------------------------------------- I/O

export async function readCounters(family: "inet" | "bridge"): Promise<Counters> {
  const r = await run("nft", ["-j", "list", "counters", "table", family, TABLE], { allowFailure: true });
  const out: Counters = new Map();
  if (r.code !== 0) return out; // no table yet
  const doc = JSON.parse(r.stdout) as {
    nftables: Array<{ counter?: { name: string; packets: number; bytes: number } }>;
  };
  for (const e of doc.nftables)
    if (e.counter) out.set(e.counter.name, { packets: e.counter.packets, bytes: e.counter.bytes });
  return out;
}

export async function applyRuleset(text: string): Promise<void> {
  await run("nft", ["-f", "-"], { input: text });
}

export async function removeRuleset(): Promise<void> {
  for (const fam of ["inet", "bridge"]) await run("nft", ["delete", "table", fam, TABLE], { allowFailure: true });
}
