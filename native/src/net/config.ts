/** Pure helpers over a container's NetConfig. */
import { deviceConfigs, driverOf } from "./nic/index.js";
import { emptyNetConfig, type NetConfig } from "./types.js";

/** Every address a container was given, venet first, in order. */
export function netIps(net: NetConfig | undefined): string[] {
  if (!net) return [];
  return deviceConfigs(net).flatMap((d) => driverOf(d.kind).addresses(d.conf));
}

/**
 * The network a clone gets when none is given: the source's firewall, DNS servers, rate and what each NIC's
 * driver keeps of it (bridged NICs without their addresses, which belong to one container, and without their
 * MACs, made again from the new ctid; host interfaces passed through stay with the source); no venet addresses.
 */
export function cloneNet(src: NetConfig | undefined): NetConfig {
  const n = src ?? emptyNetConfig();
  return {
    venet: [],
    nics: n.nics.flatMap((nic) => driverOf(nic.type).clone(nic) ?? []),
    nameservers: [...n.nameservers],
    firewall: structuredClone(n.firewall),
    rate: { ...n.rate },
  };
}
