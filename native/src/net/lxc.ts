/**
 * Pure: a container's NetConfig → LXC network keys. LXC creates the devices and sets the addresses
 * before the container's init runs, so the container boots with its network in place. Each device's keys
 * come from its NIC driver (nic/venet.ts, veth.ts, phys.ts).
 */
import { driverOf, netDevices } from "./nic/index.js";
import type { NetConfig, Network } from "./types.js";

export { netDevices };
export type { NetDevice } from "./nic/types.js";

export function netLxcKeys(
  ctid: number,
  net: NetConfig,
  networks: ReadonlyMap<string, Network>,
): Array<[string, string]> {
  return netDevices(ctid, net).flatMap((d, idx) =>
    driverOf(d.kind)
      .lxcKeys(d, { networks })
      .map(([name, v]): [string, string] => [`lxc.net.${idx}.${name}`, v]),
  );
}
