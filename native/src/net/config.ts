/** Pure helpers over a container's NetConfig. */
import { emptyNetConfig, type NetConfig } from "./types.js";

/** Every address a container was given, venet first, in order. */
export function netIps(net: NetConfig | undefined): string[] {
  if (!net) return [];
  return [...net.venet, ...net.nics.flatMap((n) => (n.type === "veth" ? n.ips : []))];
}

/**
 * The network a clone gets when none is given: the source's firewall, DNS servers, rate and bridged NICs, but
 * no address (addresses belong to one container) and no MAC (made again from the new ctid); host interfaces
 * passed through (phys) stay with the source.
 */
export function cloneNet(src: NetConfig | undefined): NetConfig {
  const n = src ?? emptyNetConfig();
  return {
    venet: [],
    nics: n.nics.flatMap((nic) =>
      nic.type === "veth" ? [{ type: "veth" as const, name: nic.name, network: nic.network, ips: [], antiSpoof: nic.antiSpoof }] : [],
    ),
    nameservers: [...n.nameservers],
    firewall: structuredClone(n.firewall),
    rate: { ...n.rate },
  };
}
