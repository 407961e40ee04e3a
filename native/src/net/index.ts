/**
 * The engine's network layer: validates a container's NetConfig against the host and the other
 * containers, gives LXC its keys, finishes the host side after start (gateway address, shaping),
 * applies changes live, keeps the nftables ruleset and DHCP host lists in line with the records
 * (the ruleset rebuilt whole at engine start, then changed one container at a time: ruleset.ts),
 * and reads traffic and drop counters. One object, used only by the Engine. What a device does
 * depends on its mode: this layer asks the device's NIC driver (nic/index.ts) and never tests the mode.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import { inNetwork, mergeNet, netIps } from "./config.js";
import { applyRate, ip, linkExists, listLinks, removeRate, waitLinkUp } from "./host.js";
import { netDevices, netLxcKeys, type NetDevice } from "./lxc.js";
import { NetworkStore } from "./networks.js";
import { counterName, readCounters, removeRuleset } from "./nft.js";
import { Ruleset } from "./ruleset.js";
import { deviceConfigs, driverOf } from "./nic/index.js";
import type { NicLiveContext } from "./nic/types.js";
import { HOST_IF_RE, ipVersion, networkSchema, type NetConfig, type NetPatch, type Network } from "./types.js";

export interface NetRecord {
  ctid: number;
  net?: NetConfig;
}

export interface NetStats {
  ctid: number;
  running: boolean;
  /** identifies this run of the container (init pid + its start time): counters restart with a new one */
  boot: string | null;
  ifaces: Array<{
    name: string;
    hostIf: string;
    rxBytes: number;
    txBytes: number;
    rxPackets: number;
    txPackets: number;
  }>;
  spoofDropped: { packets: number; bytes: number };
  firewallDropped: { packets: number; bytes: number };
}

/** The devices whose host side the engine owns (shaped, counted, brought up after a restore). */
function hostSideDevices(ctid: number, net: NetConfig): NetDevice[] {
  return netDevices(ctid, net).filter((d) => driverOf(d.kind).hostSide);
}

/** The addresses the host answers for on its uplinks while the container runs. */
function proxiedAddrs(net: NetConfig): string[] {
  return deviceConfigs(net).flatMap((d) => driverOf(d.kind).proxied(d.conf));
}

export class NetManager {
  readonly networks: NetworkStore;
  private chain: Promise<unknown> = Promise.resolve();
  /** every container's network as its record has it (init, then update): the ruleset's and DHCP's source */
  private readonly nets = new Map<number, NetConfig>();
  private readonly ruleset: Ruleset;
  private log: (line: string) => void = (l) => console.error(l);

  constructor(
    stateDir: string,
    private readonly uplinks: string[],
  ) {
    this.networks = new NetworkStore(stateDir);
    const source = async () => ({ nets: this.nets, networks: await this.networks.list() });
    this.ruleset = new Ruleset(uplinks, source, (l) => this.log(l));
  }

  /** Serialise host-global changes (the nft ruleset, DHCP host files). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  async init(
    records: NetRecord[],
    isRunning: (ctid: number) => Promise<boolean>,
    log: (l: string) => void,
  ): Promise<void> {
    this.log = log;
    this.nets.clear();
    for (const r of records) if (r.net) this.nets.set(r.ctid, r.net);
    // The host routes between containers (venet); forwarding is limited to container devices and
    // configured uplinks by the forward chain of table inet ovz.
    // IPv6 forwarding makes the kernel ignore router advertisements where accept_ra=1: keep the host's
    // own SLAAC working by switching those interfaces to 2 ("accept even when forwarding") first.
    for (const dev of await readdir("/proc/sys/net/ipv6/conf").catch(() => [] as string[])) {
      if (dev === "all" || dev === "default" || dev === "lo") continue;
      const f = `/proc/sys/net/ipv6/conf/${dev}/accept_ra`;
      if ((await readFile(f, "utf8").catch(() => "")).trim() === "1") await writeFile(f, "2").catch(() => {});
    }
    for (const k of ["net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"]) await run("sysctl", ["-q", "-w", k]);
    for (const u of this.uplinks) {
      if (!(await linkExists(u)))
        log(`network: uplink ${u} does not exist (OVZ_NET_UPLINKS); containers cannot be reached through it`);
      else await run("sysctl", ["-q", "-w", `net.ipv6.conf.${u}.proxy_ndp=1`], { allowFailure: true });
    }
    // Proxy ARP/NDP entries on the uplinks: exactly the venet addresses of running containers.
    const want = new Set<string>();
    for (const r of records) {
      const addrs = r.net ? proxiedAddrs(r.net) : [];
      if (!addrs.length || !(await isRunning(r.ctid))) continue;
      for (const a of addrs) for (const u of this.uplinks) want.add(`${a} ${u}`);
    }
    const have = JSON.parse((await ip(["-j", "neigh", "show", "proxy"])).stdout || "[]") as Array<{
      dst: string;
      dev: string;
    }>;
    for (const e of have) {
      if (this.uplinks.includes(e.dev) && !want.has(`${e.dst} ${e.dev}`))
        await ip(["neigh", "del", "proxy", e.dst, "dev", e.dev], { allowFailure: true });
    }
    for (const w of want) {
      const [a, u] = w.split(" ") as [string, string];
      await this.proxy("add", a, u);
    }
    for (const n of await this.networks.list()) {
      await this.networks
        .ensure(n, this.dhcpHosts(records, n.name))
        .catch((e) => log(`network ${n.name}: ${(e as Error).message}`));
    }
    await this.serial(() => this.ruleset.rebuild());
    // Shaping devices (IFB) outlive a crash of the engine or a container stopped behind its back.
    for (const name of (await listLinks()).keys()) {
      const m = /^i(vn(\d+)|ve(\d+)i\d+)$/.exec(name);
      if (!m) continue;
      const ctid = Number(m[2] ?? m[3]);
      if (!(await isRunning(ctid))) {
        log(`network: removing stale shaping device ${name}`);
        await ip(["link", "del", "dev", name], { allowFailure: true });
      }
    }
  }

  /** The containers' networks as the engine knows them (no copies: read only). */
  known(): NetRecord[] {
    return [...this.nets].map(([ctid, net]) => ({ ctid, net }));
  }

  /**
   * Normalise and check a container's network against the host and the other containers (by default every
   * container the engine knows; a restore passes its own list).
   */
  async validate(ctid: number, net: NetConfig, others: NetRecord[] = this.known()): Promise<NetConfig> {
    const networks = await this.networks.map();
    const out: NetConfig = structuredClone(net);
    const names = new Set<string>();
    const seen = new Map<string, string>();
    const claim = (addr: string, where: string) => {
      if (seen.has(addr))
        throw new EngineError("BAD_REQUEST", `address ${addr} is listed twice (${seen.get(addr)} and ${where})`);
      seen.set(addr, where);
    };
    const mine = netDevices(ctid, out);
    for (const d of mine) {
      if (names.has(d.name))
        throw new EngineError(
          "BAD_REQUEST",
          `two devices are named ${d.name} inside the container; give each NIC its own name`,
        );
      names.add(d.name);
      const drv = driverOf(d.kind);
      await drv.validate(d, { networks });
      drv.addresses(d.conf).forEach((a) => claim(a, d.name));
    }
    for (const o of others) {
      if (o.ctid === ctid || !o.net) continue;
      for (const a of netIps(o.net)) {
        if (seen.has(a))
          throw new EngineError(
            "BAD_REQUEST",
            `address ${a} is already used by container ${o.ctid}; pick a free address`,
          );
      }
      for (const t of deviceConfigs(o.net)) {
        for (const m of mine) {
          const clash = m.kind === t.kind ? driverOf(t.kind).clash(m.conf, t.conf, o.ctid) : null;
          if (clash) throw new EngineError("BAD_REQUEST", clash);
        }
      }
    }
    return out;
  }

  async lxcKeys(ctid: number, net: NetConfig | undefined): Promise<Array<[string, string]>> {
    if (!net) return [];
    return netLxcKeys(ctid, net, await this.networks.map());
  }

  devices(ctid: number, net: NetConfig | undefined): NetDevice[] {
    return net ? netDevices(ctid, net) : [];
  }

  /** OpenVZ-style proxy ARP/NDP: the host answers for a container's venet address on each uplink. */
  private async proxy(op: "add" | "del", addr: string, uplink: string): Promise<void> {
    await ip([`-${ipVersion(addr)}`, "neigh", op === "add" ? "replace" : "del", "proxy", addr, "dev", uplink], {
      allowFailure: op === "del",
    });
  }
  private async proxies(op: "add" | "del", addrs: string[]): Promise<void> {
    for (const a of addrs)
      for (const u of this.uplinks) if (op === "del" || (await linkExists(u))) await this.proxy(op, a, u);
  }

  /**
   * After LXC started the container (init `pid`, when known): each device's host side (the gateway address of
   * venet, IPv6 without duplicate address detection, bridge ports), shaping, proxy ARP/NDP on the uplinks.
   */
  async postStart(ctid: number, net: NetConfig | undefined, pid: number | null = null): Promise<void> {
    if (!net) return;
    const networks = await this.networks.map();
    const ctx = { networks, pid, ensureNetwork: (n: Network) => this.networks.ensure(n, []) };
    for (const d of netDevices(ctid, net)) {
      const drv = driverOf(d.kind);
      await drv.postStart(d, ctx);
      if (drv.hostSide) await applyRate(d.hostIf, net.rate);
      if (drv.hostSide && pid && !(await waitLinkUp(pid, d.hostIf, d.name))) {
        console.error(`container ${ctid}: ${d.name}/${d.hostIf} not up yet after 10 s; it carries traffic once it is`);
      }
    }
    await this.proxies("add", proxiedAddrs(net));
  }

  /**
   * After a CRIU restore: LXC recreated the devices from its config; make sure of the host side a start
   * gives them (gateway address, host routes and gateway proxy ARP of router-mode venet, bridge ports,
   * shaping, proxy ARP on the uplinks). Idempotent.
   */
  async postRestore(ctid: number, net: NetConfig | undefined, pid: number | null = null): Promise<void> {
    if (!net) return;
    // CRIU recreates the veth pairs (named as LXC asked) with the host side down
    for (const d of hostSideDevices(ctid, net)) await ip(["link", "set", "dev", d.hostIf, "up"]);
    for (const d of netDevices(ctid, net)) await driverOf(d.kind).postRestore(d);
    await this.postStart(ctid, net, pid);
  }

  /** After the container stopped: what outlives its devices. */
  async afterStop(ctid: number, net: NetConfig | undefined): Promise<void> {
    if (!net) return;
    for (const d of hostSideDevices(ctid, net)) await removeRate(d.hostIf);
    await this.proxies("del", proxiedAddrs(net));
  }

  /** Merge a patch; refuse device changes while running (addresses, firewall and rate change live). */
  merge(old: NetConfig, patch: NetPatch, running: boolean): NetConfig {
    return mergeNet(old, patch, running);
  }

  /** Apply address and rate changes to a running container (its devices are the same: merge). */
  async applyLive(ctid: number, pid: number, old: NetConfig, next: NetConfig): Promise<void> {
    const proxies: NicLiveContext["proxies"] = (op, addrs) => this.proxies(op, addrs);
    const ctx: NicLiveContext = { networks: await this.networks.map(), pid, proxies };
    const before = netDevices(ctid, old);
    for (const [i, d] of netDevices(ctid, next).entries()) {
      const o = before[i];
      if (o?.kind === d.kind) await driverOf(d.kind).applyLive(o, d, ctx);
    }
    if (JSON.stringify(old.rate) !== JSON.stringify(next.rate)) {
      for (const d of hostSideDevices(ctid, next)) await applyRate(d.hostIf, next.rate);
    }
  }

  /**
   * A container's network changed (undefined: it is gone): its own firewall and anti-spoofing rules in one small
   * nft transaction, and the DHCP host lists of the networks it was or is in. Nothing else is rewritten.
   */
  update(ctid: number, net: NetConfig | undefined): Promise<void> {
    return this.serial(async () => {
      const old = this.nets.get(ctid);
      if (net) this.nets.set(ctid, net);
      else this.nets.delete(ctid);
      await this.ruleset.change(ctid, net);
      const touched = (n: Network) => inNetwork(old, n.name) || inNetwork(net, n.name);
      for (const n of await this.networks.list())
        if (n.dhcp && touched(n)) await this.networks.writeDhcpHosts(n, this.dhcpHosts(this.known(), n.name));
    });
  }

  private dhcpHosts(records: NetRecord[], network: string): Array<{ mac: string; ip: string }> {
    const out: Array<{ mac: string; ip: string }> = [];
    for (const r of records) {
      for (const d of r.net ? netDevices(r.ctid, r.net) : []) {
        const drv = driverOf(d.kind);
        if (drv.network(d.conf) === network) out.push(...drv.leases(d));
      }
    }
    return out;
  }

  async stats(records: NetRecord[], running: Map<number, string | null>): Promise<NetStats[]> {
    const links = await listLinks();
    const inet = await readCounters("inet");
    const bridge = await readCounters("bridge");
    const zero = { packets: 0, bytes: 0 };
    return records.map((r) => {
      const isRunning = running.has(r.ctid);
      const ifaces = isRunning
        ? this.devices(r.ctid, r.net).flatMap((d) => {
            const l = driverOf(d.kind).hostSide ? links.get(d.hostIf) : undefined;
            // host side rx = what the container sent
            return l
              ? [
                  {
                    name: d.name,
                    hostIf: d.hostIf,
                    rxBytes: l.txBytes,
                    txBytes: l.rxBytes,
                    rxPackets: l.txPackets,
                    txPackets: l.rxPackets,
                  },
                ]
              : [];
          })
        : [];
      const s1 = inet.get(counterName.spoof(r.ctid)) ?? zero;
      const s2 = bridge.get(counterName.spoof(r.ctid)) ?? zero;
      return {
        ctid: r.ctid,
        running: isRunning,
        boot: running.get(r.ctid) ?? null,
        ifaces,
        spoofDropped: { packets: s1.packets + s2.packets, bytes: s1.bytes + s2.bytes },
        firewallDropped: inet.get(counterName.fwdrop(r.ctid)) ?? zero,
      };
    });
  }

  // ---------------------------------------------------------------- engine networks

  async createNetwork(input: unknown): Promise<Network> {
    const n = networkSchema.parse(input);
    return this.serial(async () => {
      const all = await this.networks.list();
      if (all.some((x) => x.name === n.name)) throw new EngineError("BAD_REQUEST", `network ${n.name} already exists`);
      if (all.some((x) => x.bridge === n.bridge))
        throw new EngineError("BAD_REQUEST", `bridge ${n.bridge} is already used by another network`);
      if (HOST_IF_RE.test(n.bridge))
        throw new EngineError("BAD_REQUEST", `bridge name ${n.bridge} is reserved for container devices`);
      if (await linkExists(n.bridge))
        throw new EngineError(
          "BAD_REQUEST",
          `interface ${n.bridge} already exists on this host; pick another bridge name`,
        );
      try {
        await this.networks.ensure(n, this.dhcpHosts(this.known(), n.name));
        await this.networks.save([...all, n]);
        await this.ruleset.bridge("add", n.bridge);
      } catch (e) {
        await this.networks.teardown(n).catch(() => {});
        throw e;
      }
      return n;
    });
  }

  async deleteNetwork(name: string): Promise<void> {
    await this.serial(async () => {
      const all = await this.networks.list();
      const n = all.find((x) => x.name === name);
      if (!n) throw new EngineError("NOT_FOUND", `network ${name} does not exist`);
      const users = this.known()
        .filter((r) => inNetwork(r.net, name))
        .map((r) => r.ctid);
      if (users.length)
        throw new EngineError(
          "BUSY",
          `network ${name} is used by container(s) ${users.join(", ")}; move or destroy them first`,
        );
      await this.networks.teardown(n);
      await this.networks.save(all.filter((x) => x.name !== name));
      await this.ruleset.bridge("delete", n.bridge);
    });
  }

  async listNetworks() {
    const records = this.known();
    const out = [];
    for (const n of await this.networks.list()) {
      out.push({
        ...n,
        exists: await linkExists(n.bridge),
        dhcpRunning: this.networks.dhcpPid(n.name) !== null,
        containers: records.filter((r) => inNetwork(r.net, n.name)).map((r) => r.ctid),
      });
    }
    return out;
  }

  /** Remove everything of this layer from the host (tests, uninstall). */
  async teardownAll(): Promise<void> {
    for (const n of await this.networks.list()) await this.networks.teardown(n);
    await removeRuleset();
  }
}
