/**
 * The fake engine's networks and container network settings, with the same rules as the real engine's
 * (native/src/net/index.ts, native/src/net/networks.ts): validation, live changes, devices and users.
 */
import { EngineError } from "../../native/src/errors.js";
import { inNetwork, mergeNet, netIps } from "../../native/src/net/config.js";
import { netDevices } from "../../native/src/net/nic/index.js";
import type { NetDevice } from "../../native/src/net/nic/types.js";
import { defaultMac, emptyNetConfig, type NetConfig, type Network } from "../../native/src/net/types.js";

export type Device = Pick<NetDevice, "name" | "hostIf" | "kind">;

/** What the fake engine keeps of networks: each container's settings, and the engine networks by name. */
export interface NetState {
  readonly nets: Map<number, NetConfig>;
  readonly networks: Map<string, Network>;
}

export function devices(s: NetState, ctid: number): Device[] {
  const net = s.nets.get(ctid);
  return net ? netDevices(ctid, net) : [];
}

/** container.net.get: the settings, and the devices (host side names only while it runs). */
export function netInfo(s: NetState, ctid: number, running: boolean) {
  return {
    config: s.nets.get(ctid) ?? emptyNetConfig(),
    devices: devices(s, ctid).map((d) => ({ name: d.name, hostIf: running ? d.hostIf : null, kind: d.kind })),
  };
}

/** A container's settings checked against its own devices and every other container's addresses. */
export function validateNet(s: NetState, ctid: number, net: NetConfig): NetConfig {
  const out = structuredClone(net);
  const seen = new Map<string, string>();
  const claim = (a: string, where: string) => {
    if (seen.has(a)) throw new EngineError("BAD_REQUEST", `address ${a} is listed twice (${seen.get(a)} and ${where})`);
    seen.set(a, where);
  };
  out.venet.forEach((a) => claim(a, "venet0"));
  const names = new Set<string>(out.venet.length ? ["venet0"] : []);
  out.nics.forEach((nic, i) => {
    const name = nic.type === "veth" ? nic.name : (nic.name ?? nic.hostDev);
    if (names.has(name)) {
      throw new EngineError(
        "BAD_REQUEST",
        `two devices are named ${name} inside the container; give each NIC its own name`,
      );
    }
    names.add(name);
    if (nic.type === "veth") {
      if (!s.networks.has(nic.network)) {
        const known = [...s.networks.keys()].join(", ") || "none";
        throw new EngineError(
          "NOT_FOUND",
          `network "${nic.network}" does not exist on this node; ` +
            `create it first (network.create) or pick one of: ${known}`,
        );
      }
      nic.mac ??= defaultMac(ctid, i);
      nic.ips.forEach((a) => claim(a, name));
    }
  });
  for (const [other, n] of s.nets) {
    if (other === ctid) continue;
    for (const a of netIps(n)) {
      if (seen.has(a)) {
        throw new EngineError("BAD_REQUEST", `address ${a} is already used by container ${other}; pick a free address`);
      }
    }
  }
  return out;
}

/** container.net.set: each key given replaces that key; devices change only while stopped (the engine's own rule). */
export { mergeNet };

export function networkUsers(s: NetState, name: string): number[] {
  return [...s.nets].filter(([, n]) => inNetwork(n, name)).map(([ctid]) => ctid);
}

export function networkInfo(s: NetState, n: Network) {
  return { ...n, exists: true, dhcpRunning: n.dhcp, containers: networkUsers(s, n.name) };
}

export function createNetwork(s: NetState, n: Network) {
  if (s.networks.has(n.name)) throw new EngineError("BAD_REQUEST", `network ${n.name} already exists`);
  if ([...s.networks.values()].some((x) => x.bridge === n.bridge)) {
    throw new EngineError("BAD_REQUEST", `bridge ${n.bridge} is already used by another network`);
  }
  if (/^(vn\d+|ve\d+i\d+)$/.test(n.bridge)) {
    throw new EngineError("BAD_REQUEST", `bridge name ${n.bridge} is reserved for container devices`);
  }
  if (n.dhcp && !n.hostCidr?.includes(".")) {
    throw new EngineError(
      "BAD_REQUEST",
      `network ${n.name}: DHCP needs an IPv4 host address on the bridge (hostCidr, e.g. 198.18.2.1/24)`,
    );
  }
  s.networks.set(n.name, structuredClone(n));
  return networkInfo(s, n);
}

export function deleteNetwork(s: NetState, name: string): { ok: true } {
  if (!s.networks.get(name)) throw new EngineError("NOT_FOUND", `network ${name} does not exist`);
  const users = networkUsers(s, name);
  if (users.length) {
    throw new EngineError(
      "BUSY",
      `network ${name} is used by container(s) ${users.join(", ")}; move or destroy them first`,
    );
  }
  s.networks.delete(name);
  return { ok: true };
}
