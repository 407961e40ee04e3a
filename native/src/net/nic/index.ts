/**
 * The NIC drivers, one row per network device mode; a new mode is one driver file, one row here and its name in
 * ./modes.ts (and its config in the NetConfig schema, net/types.ts). The generic code finds a device's driver
 * here by its kind.
 */
import type { NetConfig } from "../types.js";
import type { NicMode } from "./modes.js";
import { phys } from "./phys.js";
import type { NetDevice, NicConfigs, NicDriver } from "./types.js";
import { venet } from "./venet.js";
import { veth } from "./veth.js";

export const NIC_DRIVERS: { readonly [K in NicMode]: NicDriver<K> } = { venet, veth, phys };

export function driverOf<K extends NicMode>(kind: K): NicDriver<K> {
  return NIC_DRIVERS[kind];
}

/** Compile-time check: a driver for every config kind of the schema and a config for every mode. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
export type ModesMatchConfigs = Assert<Same<keyof NicConfigs, NicMode>>;

export type NicSlot = { [K in NicMode]: { kind: K; conf: NicConfigs[K]; nic: number | null } }[NicMode];

/** The configs of a container's devices, in LXC index order: venet0 first (when it has addresses), then the NICs. */
export function deviceConfigs(net: NetConfig): NicSlot[] {
  const out: NicSlot[] = net.venet.length ? [{ kind: "venet", conf: net.venet, nic: null }] : [];
  // a NIC's type is its mode (ModesMatchConfigs); TypeScript does not pair the two unions by itself
  net.nics.forEach((n, i) => out.push({ kind: n.type, conf: n, nic: i } as NicSlot));
  return out;
}

/** The devices a container gets, in LXC index order. */
export function netDevices(ctid: number, net: NetConfig): NetDevice[] {
  return deviceConfigs(net).map((s) => ({ ...s, ctid, ...driverOf(s.kind).place(ctid, s.conf, s.nic) }));
}
