/**
 * One container's share of the nftables ruleset (nft.ts), as data: the counters, sets and chains named after it,
 * and its entries in the tables' shared sets and maps (the dispatch by device or address, the routing guard's
 * interfaces). The whole ruleset and an incremental change are both rendered from these parts, so the two always
 * agree. A container without a network device has no part at all: no counter, set, chain or entry.
 */
import { netIps } from "./config.js";
import { counterName, type NftChain, type NftKeyType, type NftSet } from "./nft-syntax.js";
import { driverOf, netDevices } from "./nic/index.js";
import { NIC_MODES } from "./nic/modes.js";
import { ipVersion, type FirewallRule, type NetConfig } from "./types.js";

/** An entry of a shared set (no verdict) or verdict map of the table. */
export interface NftElem {
  set: string;
  type: NftKeyType;
  key: string;
  verdict?: string;
}

export interface TablePart {
  counters: string[];
  sets: NftSet[];
  chains: NftChain[];
  elems: NftElem[];
}

export interface ContainerPart {
  inet: TablePart;
  bridge: TablePart;
  /** it has firewall chains: the hooks must dispatch by address */
  firewall: boolean;
}

const emptyTable = (): TablePart => ({ counters: [], sets: [], chains: [], elems: [] });

/** The container's part, or null when it has no network device (it costs nothing in the ruleset). */
export function containerPart(ctid: number, net: NetConfig | undefined): ContainerPart | null {
  const devs = net ? netDevices(ctid, net) : [];
  if (!net || !devs.length) return null;
  const inet = emptyTable();
  const bridge = emptyTable();
  inet.counters.push(counterName.spoof(ctid), counterName.fwdrop(ctid));
  for (const d of devs)
    if (driverOf(d.kind).hostSide) inet.elems.push({ set: "ct_ifaces", type: "ifname", key: d.hostIf });
  for (const mode of NIC_MODES) {
    const p = driverOf(mode).nft(
      ctid,
      devs.filter((d) => d.kind === mode),
    );
    for (const [t, part, map] of [
      [inet, p.inet, "from_venet"],
      [bridge, p.bridge, "from_port"],
    ] as const) {
      t.counters.push(...part.counters);
      t.sets.push(...part.sets);
      t.chains.push(...part.chains);
      for (const [dev, chain] of part.dispatch)
        t.elems.push({ set: map, type: "ifname", key: dev, verdict: `jump ${chain}` });
    }
  }
  const fw = net.firewall;
  const ips = netIps(net);
  const firewall = fw.enabled && ips.length > 0;
  if (firewall) {
    for (const ip of ips) {
      const v = ipVersion(ip);
      const type = v === 4 ? "ipv4_addr" : "ipv6_addr";
      inet.elems.push({ set: `fw_in${v}`, type, key: ip, verdict: `jump fw_ct${ctid}_in` });
      inet.elems.push({ set: `fw_out${v}`, type, key: ip, verdict: `jump fw_ct${ctid}_out` });
    }
    for (const dir of ["in", "out"] as const) {
      const policy = dir === "in" ? fw.policyIn : fw.policyOut;
      inet.chains.push({
        name: `fw_ct${ctid}_${dir}`,
        rules: [
          // replies to allowed connections always pass; "return" (not accept) so the other
          // container's chain (container-to-container traffic) is still evaluated
          `ct state established,related return`,
          `ct state invalid counter name ${counterName.fwdrop(ctid)} drop`,
          ...fw.rules.filter((r) => r.direction === dir).flatMap((r) => ruleLines(r, ctid)),
          ...(policy === "drop" ? [`counter name ${counterName.fwdrop(ctid)} drop`] : []),
        ],
      });
    }
  }
  return { inet, bridge, firewall };
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
      lines.push(`${parts.join(" ")} ${verdict}${comment}`);
    }
  }
  return lines;
}
