/**
 * The NIC driver interface: what one network device mode (venet, veth, phys) does, from checking its config to
 * its traffic. The generic network code (net/index.ts, lxc.ts, nft.ts, config.ts) walks a container's devices
 * and asks each one's driver (./index.ts NIC_DRIVERS); it never tests the mode itself.
 */
import type { NetConfig, Network, Nic } from "../types.js";
import type { NicMode } from "./modes.js";
import type { NftChain, NftSet } from "../nft-syntax.js";

/**
 * What configures one device of each mode: venet0 is made from the container's routed addresses
 * (NetConfig.venet, no device when empty); every other mode is one entry of NetConfig.nics.
 */
export type NicConfigs = { venet: NetConfig["venet"] } & { [N in Nic as N["type"]]: N };

/** One device of a container: where it sits and the config it is made from. */
export interface NicDevice<K extends NicMode = NicMode> {
  kind: K;
  ctid: number;
  /** name inside the container */
  name: string;
  /** host-side device (veth peer, or the physical device itself) */
  hostIf: string;
  /** NIC index in NetConfig.nics; null for venet */
  nic: number | null;
  conf: NicConfigs[K];
}

/** Any device, narrowed by its kind. */
export type NetDevice = { [K in NicMode]: NicDevice<K> }[NicMode];

export interface NicContext {
  /** the engine networks (bridges) by name */
  networks: ReadonlyMap<string, Network>;
}

export interface NicStartContext extends NicContext {
  /** the container's init, when known */
  pid: number | null;
  /** (re)create a network's bridge and DHCP server */
  ensureNetwork(n: Network): Promise<void>;
}

export interface NicLiveContext extends NicContext {
  pid: number;
  /** OpenVZ-style proxy ARP/NDP: the host answers for these addresses on each uplink ("del": stops) */
  proxies(op: "add" | "del", addrs: string[]): Promise<void>;
}

/** A driver's share of one container's rules in one nftables table (nft.ts renders the rest). */
export interface NftPart {
  /** named counters to declare (their values are carried over) */
  counters: string[];
  /** sets, declared before the table's maps */
  sets: NftSet[];
  /** entries [host-side device, chain] of the table's prerouting dispatch map */
  dispatch: Array<[string, string]>;
  chains: NftChain[];
}

export interface NicDriver<K extends NicMode> {
  /** The device's name inside the container and its host-side interface. */
  place(ctid: number, conf: NicConfigs[K], nic: number | null): { name: string; hostIf: string };
  /**
   * The host-side interface is a veth peer the engine owns, carrying only this container's traffic: it is
   * shaped (rate), counted (traffic statistics), may route (the forward guard's ct_ifaces) and is brought up
   * after a restore. False when the host device itself moves into the container (phys).
   */
  hostSide: boolean;
  /** The addresses the container gets on this device (uniqueness, firewall), in order. */
  addresses(conf: NicConfigs[K]): string[];
  /** The addresses the host answers for on its uplinks (proxy ARP/NDP) while the container runs. */
  proxied(conf: NicConfigs[K]): string[];
  /**
   * Check the device against the host before anything is made; may fill in defaults in `d.conf` (the
   * container's config is a copy at this point).
   */
  validate(d: NicDevice<K>, ctx: NicContext): Promise<void>;
  /** Why this device cannot be given while container `owner` holds `theirs` (same mode); null when it can. */
  clash(mine: NicConfigs[K], theirs: NicConfigs[K], owner: number): string | null;
  /** LXC keys of this device, without the `lxc.net.<index>.` prefix. */
  lxcKeys(d: NicDevice<K>, ctx: NicContext): Array<[string, string]>;
  /** Host-side work once LXC started the container. */
  postStart(d: NicDevice<K>, ctx: NicStartContext): Promise<void>;
  /** Host-side work a start does through LXC and a CRIU restore does not. */
  postRestore(d: NicDevice<K>): Promise<void>;
  /** What must stay the same while the container runs (devices are made at start only). */
  identity(conf: NicConfigs[K]): unknown;
  /** A running container's device given again: keep what the engine generated for the old one (a MAC). */
  keep(next: NicConfigs[K], old: NicConfigs[K]): NicConfigs[K];
  /** Apply a change of a running container's device (addresses; identity is unchanged). */
  applyLive(old: NicDevice<K>, next: NicDevice<K>, ctx: NicLiveContext): Promise<void>;
  /** What a clone gets of this device by default; null: nothing (it belongs to the source). */
  clone(conf: NicConfigs[K]): NicConfigs[K] | null;
  /** The engine network the device is plugged into, if any. */
  network(conf: NicConfigs[K]): string | undefined;
  /** DHCP host entries the device's network serves. */
  leases(d: NicDevice<K>): Array<{ mac: string; ip: string }>;
  /** Rules of one container's devices of this mode (possibly none) in table inet and table bridge. */
  nft(ctid: number, devs: Array<NicDevice<K>>): { inet: NftPart; bridge: NftPart };
}
