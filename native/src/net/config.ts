/** Pure helpers over a container's NetConfig. */
import { deviceConfigs, driverOf } from "./nic/index.js";
import { EngineError } from "../errors.js";
import { emptyNetConfig, type NetConfig, type NetPatch } from "./types.js";

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

/** Whether a container has a device in engine network `name`. */
export function inNetwork(net: NetConfig | undefined, name: string): boolean {
  return !!net && deviceConfigs(net).some((d) => driverOf(d.kind).network(d.conf) === name);
}

/** Merge a patch; refuse device changes while running (addresses, firewall and rate change live). */
export function mergeNet(old: NetConfig, patch: NetPatch, running: boolean): NetConfig {
  const given = Object.entries(patch).filter(([, v]) => v !== undefined);
  const next: NetConfig = { ...old, ...Object.fromEntries(given) } as NetConfig;
  if (running) {
    const shape = (n: NetConfig) =>
      JSON.stringify(deviceConfigs(n).map((d) => [d.kind, driverOf(d.kind).identity(d.conf)]));
    // Keep generated MACs comparable: a NIC list given again without MACs keeps the old ones.
    next.nics = next.nics.map((n, i) => {
      const o = old.nics[i];
      return o?.type === n.type ? driverOf(n.type).keep(n, o) : n;
    });
    if (shape(next) !== shape(old)) {
      throw new EngineError(
        "RUNNING",
        "network devices (adding or removing venet0 or a NIC, or changing its network) change only while the container is stopped; addresses, firewall and rate change live",
      );
    }
  }
  return next;
}
