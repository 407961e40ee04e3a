/**
 * venet: a routed L3 device (venet0), as in OpenVZ. The host is the router: LXC makes a veth pair in router
 * mode (host routes to each address via the host-side device, proxy ARP/NDP for the gateways); inside, venet0
 * gets /32 and /128 addresses and default routes via 169.254.0.1 and fe80::1, which the engine puts on the
 * host-side device. Nothing but the container's own addresses can leave it (anti-spoofing in table inet), and
 * the host answers for its addresses on the uplinks (proxy ARP/NDP).
 */
import { run } from "../../exec.js";
import { ip, venetAddLive, venetDelLive, venetHostSide, venetNoDad } from "../host.js";
import { counterName } from "../nft-syntax.js";
import { hostIfName, ipVersion, VENET_GW4, VENET_GW6 } from "../types.js";
import { defineNic, emptyNftPart } from "./define.js";

const hasV6 = (addrs: string[]) => addrs.some((a) => ipVersion(a) === 6);

export const venet = defineNic<"venet">({
  place: (ctid) => ({ name: "venet0", hostIf: hostIfName.venet(ctid) }),
  hostSide: true,
  addresses: (addrs) => addrs,
  proxied: (addrs) => addrs,
  identity: () => [],

  lxcKeys(d) {
    const v4 = d.conf.filter((a) => ipVersion(a) === 4);
    const v6 = d.conf.filter((a) => ipVersion(a) === 6);
    return [
      ["type", "veth"],
      ["veth.mode", "router"],
      ["veth.pair", d.hostIf],
      ["name", d.name],
      ["flags", "up"],
      ...v4.map((a): [string, string] => ["ipv4.address", `${a}/32`]),
      ...(v4.length ? [["ipv4.gateway", VENET_GW4] as [string, string]] : []),
      ...v6.map((a): [string, string] => ["ipv6.address", `${a}/128`]),
      ...(v6.length ? [["ipv6.gateway", VENET_GW6] as [string, string]] : []),
    ];
  },

  /** The gateway address on the host side; IPv6 inside without duplicate address detection. */
  async postStart(d, { pid }) {
    await venetHostSide(d.hostIf);
    if (pid && hasV6(d.conf)) await venetNoDad(pid, d.hostIf);
  },

  /** The host routes and gateway proxy ARP/NDP LXC's router mode makes at start. */
  async postRestore(d) {
    if (hasV6(d.conf))
      await run("sysctl", ["-q", "-w", `net.ipv6.conf.${d.hostIf}.proxy_ndp=1`], { allowFailure: true });
    for (const a of d.conf) {
      const v = ipVersion(a);
      await ip([`-${v}`, "route", "replace", `${a}/${v === 4 ? 32 : 128}`, "dev", d.hostIf]);
    }
    if (d.conf.some((a) => ipVersion(a) === 4))
      await ip(["-4", "neigh", "replace", "proxy", VENET_GW4, "dev", d.hostIf]);
    if (hasV6(d.conf)) await ip(["-6", "neigh", "replace", "proxy", VENET_GW6, "dev", d.hostIf]);
  },

  async applyLive(old, next, { pid, proxies }) {
    const removed = old.conf.filter((a) => !next.conf.includes(a));
    const added = next.conf.filter((a) => !old.conf.includes(a));
    await proxies("del", removed);
    for (const a of removed) await venetDelLive(pid, next.hostIf, a);
    for (const a of added) {
      const fam = ipVersion(a);
      const hadFamily =
        old.conf.some((x) => ipVersion(x) === fam) && next.conf.some((x) => ipVersion(x) === fam && !added.includes(x));
      await venetAddLive(pid, next.hostIf, a, !hadFamily);
    }
    await proxies("add", added);
  },

  /** Anti-spoofing by host-side device: only the container's addresses (nothing without a venet device). */
  nft(ctid, devs) {
    const addrs = devs.flatMap((d) => d.conf);
    const inet = emptyNftPart();
    if (!devs.length) return { inet, bridge: emptyNftPart() };
    const v4 = `ct${ctid}_venet4`;
    const v6 = `ct${ctid}_venet6`;
    inet.sets.push(
      { name: v4, type: "ipv4_addr", elems: addrs.filter((a) => ipVersion(a) === 4) },
      { name: v6, type: "ipv6_addr", elems: addrs.filter((a) => ipVersion(a) === 6) },
    );
    for (const d of devs) inet.dispatch.push([d.hostIf, `spoof_ct${ctid}`]);
    inet.chains.push({
      name: `spoof_ct${ctid}`,
      rules: [
        `ip saddr @${v4} return`,
        `ip6 saddr @${v6} return`,
        // link-local (neighbour discovery) and the unspecified address (duplicate address detection)
        `ip6 saddr { fe80::/10, :: } return`,
        `counter name ${counterName.spoof(ctid)} drop`,
      ],
    });
    return { inet, bridge: emptyNftPart() };
  },
});
