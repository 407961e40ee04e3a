/**
 * veth: an L2 device bridged on the host into an engine network (bridge). The host assigns its MAC (made from
 * the ctid unless given) and addresses: static inside the container, or handed out by the network's dnsmasq
 * (exactly the assigned addresses) when it serves DHCP. Anti-spoofing per bridge port in table bridge: MAC,
 * ARP sender and IP source.
 */
import { EngineError } from "../../errors.js";
import { ip, ipIn, linkExists } from "../host.js";
import { counterName } from "../nft-syntax.js";
import { defaultMac, hostIfName, ipVersion, parseCidr, type Network } from "../types.js";
import { defineNic, emptyNftPart } from "./define.js";
import type { NicDevice } from "./types.js";

const macOf = (d: NicDevice<"veth">) => d.conf.mac ?? defaultMac(d.ctid, d.nic!);

/** The prefix length of an address on this network: the subnet's, or a host route. */
function prefixOn(nw: Network, a: string): string {
  const c = nw.hostCidr?.split("/");
  return c && ipVersion(c[0]!) === ipVersion(a) ? c[1]! : ipVersion(a) === 4 ? "32" : "128";
}

export const veth = defineNic<"veth">({
  place: (ctid, conf, nic) => ({ name: conf.name, hostIf: hostIfName.veth(ctid, nic!) }),
  hostSide: true,
  addresses: (conf) => conf.ips,
  identity: (conf) => [conf.name, conf.network, conf.mac ?? null],
  keep: (next, old) => (!next.mac && old.network === next.network ? { ...next, mac: old.mac } : next),
  clone: (conf) => ({ type: "veth", name: conf.name, network: conf.network, ips: [], antiSpoof: conf.antiSpoof }),
  network: (conf) => conf.network,
  leases: (d) => d.conf.ips.map((a) => ({ mac: macOf(d), ip: a })),

  async validate(d, { networks }) {
    if (!networks.has(d.conf.network)) {
      throw new EngineError(
        "NOT_FOUND",
        `network "${d.conf.network}" does not exist on this node; create it first (network.create) or pick one of: ${[...networks.keys()].join(", ") || "none"}`,
      );
    }
    d.conf.mac ??= defaultMac(d.ctid, d.nic!);
  },

  clash: (mine, theirs, owner) =>
    theirs.mac && mine.mac === theirs.mac ? `MAC ${theirs.mac} is already used by container ${owner}` : null,

  lxcKeys(d, { networks }) {
    const nw = networks.get(d.conf.network);
    if (!nw) throw new Error(`network ${d.conf.network} is not defined`);
    const keys: Array<[string, string]> = [
      ["type", "veth"],
      ["veth.pair", d.hostIf],
      // No lxc "link": LXC checks the bridge through /sys, which shows the host's root netns even when
      // the engine runs in another one. The engine plugs the host side into the bridge after start.
      ["name", d.name],
      ["hwaddr", macOf(d)],
      ["flags", "up"],
    ];
    if (nw.dhcp) return keys; // the container asks dnsmasq, which hands out exactly these addresses
    const sub = nw.hostCidr ? parseCidr(nw.hostCidr) : null;
    const gw = nw.gateway ?? (sub?.version === 4 ? sub.addr : undefined);
    for (const a of d.conf.ips) {
      const v = ipVersion(a);
      const prefix = sub && sub.version === v ? sub.prefix : v === 4 ? 32 : 128;
      keys.push([`ipv${v}.address`, `${a}/${prefix}`]);
    }
    if (gw && d.conf.ips.some((a) => ipVersion(a) === ipVersion(gw))) keys.push([`ipv${ipVersion(gw)}.gateway`, gw]);
    return keys;
  },

  /** Plug the host side into the network's bridge (made again if it went missing). */
  async postStart(d, { networks, ensureNetwork }) {
    const nw = networks.get(d.conf.network);
    if (!nw)
      throw new EngineError("NOT_FOUND", `network of ${d.name} no longer exists; change the container's network`);
    if (!(await linkExists(nw.bridge))) await ensureNetwork(nw);
    await ip(["link", "set", "dev", d.hostIf, "master", nw.bridge, "up"]);
  },

  async applyLive(old, next, { pid, networks }) {
    const nw = networks.get(next.conf.network);
    if (!nw || nw.dhcp) return; // DHCP clients renew into the new address list
    for (const a of old.conf.ips.filter((x) => !next.conf.ips.includes(x))) {
      await ipIn(pid, ["addr", "del", `${a}/${prefixOn(nw, a)}`, "dev", next.conf.name], { allowFailure: true });
    }
    for (const a of next.conf.ips.filter((x) => !old.conf.ips.includes(x))) {
      await ipIn(pid, ["addr", "add", `${a}/${prefixOn(nw, a)}`, "dev", next.conf.name]);
    }
  },

  /** Anti-spoofing per bridge port: the NIC's MAC, its ARP sender and its addresses. */
  nft(ctid, devs) {
    const bridge = emptyNftPart();
    if (devs.length) bridge.counters.push(counterName.spoof(ctid));
    for (const d of devs) {
      if (!d.conf.antiSpoof) continue;
      const mac = macOf(d);
      const base = `ct${ctid}_${d.nic}`;
      bridge.sets.push(
        { name: `${base}_4`, type: "ipv4_addr", elems: d.conf.ips.filter((a) => ipVersion(a) === 4) },
        { name: `${base}_6`, type: "ipv6_addr", elems: d.conf.ips.filter((a) => ipVersion(a) === 6) },
      );
      bridge.dispatch.push([d.hostIf, `port_${base}`]);
      const drop = `counter name ${counterName.spoof(ctid)} drop`;
      bridge.chains.push({
        name: `port_${base}`,
        rules: [
          // the common case first: one MAC compare and one set lookup per packet
          `ether saddr ${mac} ip saddr @${base}_4 return`,
          `ether saddr ${mac} ip6 saddr @${base}_6 return`,
          `ether saddr != ${mac} ${drop}`,
          `ether type arp arp saddr ether != ${mac} ${drop}`,
          `ether type arp arp saddr ip @${base}_4 return`,
          // ARP probes (RFC 5227) carry sender address 0.0.0.0
          `ether type arp arp saddr ip 0.0.0.0 return`,
          // DHCP discover/request before the container has its address
          `ether type ip ip saddr 0.0.0.0 udp sport 68 udp dport 67 return`,
          `ether type ip6 ip6 saddr { fe80::/10, :: } return`,
          drop,
        ],
      });
    }
    return { inet: emptyNftPart(), bridge };
  },
});
