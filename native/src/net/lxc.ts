/**
 * Pure: a container's NetConfig → LXC network keys. LXC creates the devices and sets the addresses
 * before the container's init runs, so the container boots with its network in place:
 *   - venet → veth in LXC's router mode: host routes to each address via the host-side device, proxy
 *     ARP/NDP for the gateways; inside: venet0 with /32 and /128 addresses and default routes via
 *     169.254.0.1 and fe80::1 (the engine puts those on the host-side device).
 *   - veth  → veth with the assigned MAC (the engine plugs it into the network's bridge); static addresses unless
 *     the network serves DHCP (then dnsmasq hands out exactly the assigned address).
 *   - phys  → the host device is moved in; LXC moves it back when the container stops.
 */
import { defaultMac, hostIfName, ipVersion, parseCidr, VENET_GW4, VENET_GW6, type NetConfig, type Network } from "./types.js";

export interface NetDevice {
  kind: "venet" | "veth" | "phys";
  /** name inside the container */
  name: string;
  /** host-side device (veth peer, or the physical device itself) */
  hostIf: string;
  /** NIC index in NetConfig.nics; null for venet */
  nic: number | null;
}

/** The devices a container gets, in LXC index order. */
export function netDevices(ctid: number, net: NetConfig): NetDevice[] {
  const out: NetDevice[] = [];
  if (net.venet.length) out.push({ kind: "venet", name: "venet0", hostIf: hostIfName.venet(ctid), nic: null });
  net.nics.forEach((n, i) => {
    if (n.type === "veth") out.push({ kind: "veth", name: n.name, hostIf: hostIfName.veth(ctid, i), nic: i });
    else out.push({ kind: "phys", name: n.name ?? n.hostDev, hostIf: n.hostDev, nic: i });
  });
  return out;
}

export function netLxcKeys(ctid: number, net: NetConfig, networks: ReadonlyMap<string, Network>): Array<[string, string]> {
  const keys: Array<[string, string]> = [];
  netDevices(ctid, net).forEach((d, idx) => {
    const k = (name: string, v: string) => keys.push([`lxc.net.${idx}.${name}`, v]);
    if (d.kind === "venet") {
      k("type", "veth");
      k("veth.mode", "router");
      k("veth.pair", d.hostIf);
      k("name", d.name);
      k("flags", "up");
      const v4 = net.venet.filter((ip) => ipVersion(ip) === 4);
      const v6 = net.venet.filter((ip) => ipVersion(ip) === 6);
      for (const ip of v4) k("ipv4.address", `${ip}/32`);
      if (v4.length) k("ipv4.gateway", VENET_GW4);
      for (const ip of v6) k("ipv6.address", `${ip}/128`);
      if (v6.length) k("ipv6.gateway", VENET_GW6);
      return;
    }
    const nic = net.nics[d.nic!]!;
    if (nic.type === "phys") {
      k("type", "phys");
      k("link", nic.hostDev);
      k("name", d.name);
      k("flags", "up");
      return;
    }
    const nw = networks.get(nic.network);
    if (!nw) throw new Error(`network ${nic.network} is not defined`);
    k("type", "veth");
    k("veth.pair", d.hostIf);
    // No lxc "link": LXC checks the bridge through /sys, which shows the host's root netns even when
    // the engine runs in another one. The engine plugs the host side into the bridge after start.
    k("name", d.name);
    k("hwaddr", nic.mac ?? defaultMac(ctid, d.nic!));
    k("flags", "up");
    if (nw.dhcp) return; // the container asks dnsmasq, which hands out exactly these addresses
    const sub = nw.hostCidr ? parseCidr(nw.hostCidr) : null;
    const gw = nw.gateway ?? (sub?.version === 4 ? sub.addr : undefined);
    for (const ip of nic.ips) {
      const v = ipVersion(ip);
      const prefix = sub && sub.version === v ? sub.prefix : v === 4 ? 32 : 128;
      k(`ipv${v}.address`, `${ip}/${prefix}`);
    }
    if (gw && nic.ips.some((ip) => ipVersion(ip) === ipVersion(gw))) k(`ipv${ipVersion(gw)}.gateway`, gw);
  });
  return keys;
}
