/**
 * The engine's network layer: validates a container's NetConfig against the host and the other
 * containers, gives LXC its keys, finishes the host side after start (gateway address, shaping),
 * applies changes live, keeps the nftables ruleset and DHCP host lists in sync with the records,
 * and reads traffic and drop counters. One object, used only by the Engine.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import { netDevices, netLxcKeys, type NetDevice } from "./lxc.js";
import { applyRate, ip, ipIn, linkExists, listLinks, removeRate, venetAddLive, venetDelLive, venetHostSide, venetNoDad, waitLinkUp } from "./host.js";
import { NetworkStore } from "./networks.js";
import { applyRuleset, counterName, readCounters, removeRuleset, renderRuleset } from "./nft.js";
import { defaultMac, hostIfName, ipVersion, networkSchema, VENET_GW4, VENET_GW6, type NetConfig, type NetPatch, type Network } from "./types.js";

export interface NetRecord {
  ctid: number;
  net?: NetConfig;
}

export interface NetStats {
  ctid: number;
  running: boolean;
  /** identifies this run of the container (init pid + its start time): counters restart with a new one */
  boot: string | null;
  ifaces: Array<{ name: string; hostIf: string; rxBytes: number; txBytes: number; rxPackets: number; txPackets: number }>;
  spoofDropped: { packets: number; bytes: number };
  firewallDropped: { packets: number; bytes: number };
}

const HOST_IF_RE = /^(vn\d+|ve\d+i\d+)$/;

export class NetManager {
  readonly networks: NetworkStore;
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    stateDir: string,
    private readonly uplinks: string[],
  ) {
    this.networks = new NetworkStore(stateDir);
  }

  /** Serialise host-global changes (the nft ruleset, DHCP host files). */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => {});
    return next;
  }

  async init(records: NetRecord[], isRunning: (ctid: number) => Promise<boolean>, log: (l: string) => void): Promise<void> {
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
      if (!(await linkExists(u))) log(`network: uplink ${u} does not exist (OVZ_NET_UPLINKS); containers cannot be reached through it`);
      else await run("sysctl", ["-q", "-w", `net.ipv6.conf.${u}.proxy_ndp=1`], { allowFailure: true });
    }
    // Proxy ARP/NDP entries on the uplinks: exactly the venet addresses of running containers.
    const want = new Set<string>();
    for (const r of records) if (r.net?.venet.length && (await isRunning(r.ctid))) for (const a of r.net.venet) for (const u of this.uplinks) want.add(`${a} ${u}`);
    const have = JSON.parse((await ip(["-j", "neigh", "show", "proxy"])).stdout || "[]") as Array<{ dst: string; dev: string }>;
    for (const e of have) {
      if (this.uplinks.includes(e.dev) && !want.has(`${e.dst} ${e.dev}`)) await ip(["neigh", "del", "proxy", e.dst, "dev", e.dev], { allowFailure: true });
    }
    for (const w of want) {
      const [a, u] = w.split(" ") as [string, string];
      await this.proxy("add", a, u);
    }
    for (const n of await this.networks.list()) {
      await this.networks.ensure(n, this.dhcpHosts(records, n.name)).catch((e) => log(`network ${n.name}: ${(e as Error).message}`));
    }
    await this.sync(records);
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

  /** Normalise and check a container's network against the host and the other containers. */
  async validate(ctid: number, net: NetConfig, others: NetRecord[]): Promise<NetConfig> {
    const networks = await this.networks.map();
    const out: NetConfig = structuredClone(net);
    const names = new Set<string>();
    if (out.venet.length) names.add("venet0");
    const seen = new Map<string, string>();
    const claim = (addr: string, where: string) => {
      if (seen.has(addr)) throw new EngineError("BAD_REQUEST", `address ${addr} is listed twice (${seen.get(addr)} and ${where})`);
      seen.set(addr, where);
    };
    out.venet.forEach((a) => claim(a, "venet0"));
    for (const [i, nic] of out.nics.entries()) {
      const name = nic.type === "veth" ? nic.name : (nic.name ?? nic.hostDev);
      if (names.has(name)) throw new EngineError("BAD_REQUEST", `two devices are named ${name} inside the container; give each NIC its own name`);
      names.add(name);
      if (nic.type === "veth") {
        if (!networks.has(nic.network)) {
          throw new EngineError("NOT_FOUND", `network "${nic.network}" does not exist on this node; create it first (network.create) or pick one of: ${[...networks.keys()].join(", ") || "none"}`);
        }
        nic.mac ??= defaultMac(ctid, i);
        nic.ips.forEach((a) => claim(a, name));
      } else {
        if (HOST_IF_RE.test(nic.hostDev) || [...networks.values()].some((n) => n.bridge === nic.hostDev)) {
          throw new EngineError("BAD_REQUEST", `${nic.hostDev} is managed by the engine and cannot be passed through`);
        }
        if (!(await linkExists(nic.hostDev))) throw new EngineError("NOT_FOUND", `host interface ${nic.hostDev} does not exist; list host interfaces with "ip link"`);
      }
    }
    for (const o of others) {
      if (o.ctid === ctid || !o.net) continue;
      const theirs = [...o.net.venet, ...o.net.nics.flatMap((n) => (n.type === "veth" ? n.ips : []))];
      for (const a of theirs) if (seen.has(a)) throw new EngineError("BAD_REQUEST", `address ${a} is already used by container ${o.ctid}; pick a free address`);
      for (const n of o.net.nics) {
        if (n.type === "phys" && out.nics.some((m) => m.type === "phys" && m.hostDev === n.hostDev)) {
          throw new EngineError("BAD_REQUEST", `host interface ${n.hostDev} is already given to container ${o.ctid}`);
        }
        if (n.type === "veth" && n.mac && out.nics.some((m) => m.type === "veth" && m.mac === n.mac)) {
          throw new EngineError("BAD_REQUEST", `MAC ${n.mac} is already used by container ${o.ctid}`);
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
    await ip([`-${ipVersion(addr)}`, "neigh", op === "add" ? "replace" : "del", "proxy", addr, "dev", uplink], { allowFailure: op === "del" });
  }
  private async proxies(op: "add" | "del", addrs: string[]): Promise<void> {
    for (const a of addrs) for (const u of this.uplinks) if (op === "del" || (await linkExists(u))) await this.proxy(op, a, u);
  }

  /**
   * After LXC started the container (init `pid`, when known): the host side of venet, IPv6 on venet
   * without duplicate address detection, and shaping.
   */
  async postStart(ctid: number, net: NetConfig | undefined, pid: number | null = null): Promise<void> {
    if (!net) return;
    const networks = await this.networks.map();
    for (const d of netDevices(ctid, net)) {
      if (d.kind === "venet") await venetHostSide(d.hostIf);
      if (d.kind === "venet" && pid && net.venet.some((a) => ipVersion(a) === 6)) await venetNoDad(pid, d.hostIf);
      if (d.kind === "veth") {
        const nic = net.nics[d.nic!]!;
        const nw = nic.type === "veth" ? networks.get(nic.network) : undefined;
        if (!nw) throw new EngineError("NOT_FOUND", `network of ${d.name} no longer exists; change the container's network`);
        if (!(await linkExists(nw.bridge))) await this.networks.ensure(nw, []);
        await ip(["link", "set", "dev", d.hostIf, "master", nw.bridge, "up"]);
      }
      if (d.kind !== "phys") await applyRate(d.hostIf, net.rate);
      if (d.kind !== "phys" && pid && !(await waitLinkUp(pid, d.hostIf, d.name))) {
        console.error(`container ${ctid}: ${d.name}/${d.hostIf} not up yet after 10 s; it carries traffic once it is`);
      }
    }
    await this.proxies("add", net.venet);
  }

  /**
   * After a CRIU restore: LXC recreated the devices from its config; make sure of the host side a start
   * gives them (gateway address, host routes and gateway proxy ARP of router-mode venet, bridge ports,
   * shaping, proxy ARP on the uplinks). Idempotent.
   */
  async postRestore(ctid: number, net: NetConfig | undefined, pid: number | null = null): Promise<void> {
    if (!net) return;
    const venetIf = hostIfName.venet(ctid);
    // CRIU recreates the veth pairs (named as LXC asked) with the host side down
    for (const d of netDevices(ctid, net)) if (d.kind !== "phys") await ip(["link", "set", "dev", d.hostIf, "up"]);
    if (net.venet.length) {
      if (net.venet.some((a) => ipVersion(a) === 6)) await run("sysctl", ["-q", "-w", `net.ipv6.conf.${venetIf}.proxy_ndp=1`], { allowFailure: true });
      for (const a of net.venet) {
        const v = ipVersion(a);
        await ip([`-${v}`, "route", "replace", `${a}/${v === 4 ? 32 : 128}`, "dev", venetIf]);
      }
      if (net.venet.some((a) => ipVersion(a) === 4)) await ip(["-4", "neigh", "replace", "proxy", VENET_GW4, "dev", venetIf]);
      if (net.venet.some((a) => ipVersion(a) === 6)) await ip(["-6", "neigh", "replace", "proxy", VENET_GW6, "dev", venetIf]);
    }
    await this.postStart(ctid, net, pid);
  }

  /** After the container stopped: what outlives its devices. */
  async afterStop(ctid: number, net: NetConfig | undefined): Promise<void> {
    if (!net) return;
    for (const d of netDevices(ctid, net)) if (d.kind !== "phys") await removeRate(d.hostIf);
    await this.proxies("del", net.venet);
  }

  /** Merge a patch; refuse device changes while running (addresses, firewall and rate change live). */
  merge(old: NetConfig, patch: NetPatch, running: boolean): NetConfig {
    const next: NetConfig = { ...old, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as NetConfig;
    if (running) {
      const shape = (n: NetConfig) => JSON.stringify([n.venet.length > 0, n.nics.map((x) => (x.type === "veth" ? [x.type, x.name, x.network, x.mac ?? null] : [x.type, x.hostDev, x.name ?? null]))]);
      // Keep generated MACs comparable: a NIC list given again without MACs keeps the old ones.
      next.nics = next.nics.map((n, i) => {
        const o = old.nics[i];
        return n.type === "veth" && !n.mac && o?.type === "veth" && o.network === n.network ? { ...n, mac: o.mac } : n;
      });
      if (shape(next) !== shape(old)) {
        throw new EngineError("RUNNING", "network devices (adding or removing venet0 or a NIC, or changing its network) change only while the container is stopped; addresses, firewall and rate change live");
      }
    }
    return next;
  }

  /** Apply address and rate changes to a running container. */
  async applyLive(ctid: number, pid: number, old: NetConfig, next: NetConfig): Promise<void> {
    const venetIf = hostIfName.venet(ctid);
    const removed = old.venet.filter((a) => !next.venet.includes(a));
    const added = next.venet.filter((a) => !old.venet.includes(a));
    await this.proxies("del", removed);
    for (const a of removed) await venetDelLive(pid, venetIf, a);
    for (const a of added) {
      const fam = ipVersion(a);
      const hadFamily = old.venet.some((x) => ipVersion(x) === fam) && next.venet.some((x) => ipVersion(x) === fam && !added.includes(x));
      await venetAddLive(pid, venetIf, a, !hadFamily);
    }
    await this.proxies("add", added);
    const networks = await this.networks.map();
    for (const [i, nic] of next.nics.entries()) {
      const o = old.nics[i];
      if (nic.type !== "veth" || o?.type !== "veth") continue;
      const nw = networks.get(nic.network);
      if (!nw || nw.dhcp) continue; // DHCP clients renew into the new address list
      const pfx = (a: string) => {
        const c = nw.hostCidr?.split("/");
        return c && ipVersion(c[0]!) === ipVersion(a) ? c[1] : ipVersion(a) === 4 ? "32" : "128";
      };
      for (const a of o.ips.filter((x) => !nic.ips.includes(x))) await ipIn(pid, ["addr", "del", `${a}/${pfx(a)}`, "dev", nic.name], { allowFailure: true });
      for (const a of nic.ips.filter((x) => !o.ips.includes(x))) await ipIn(pid, ["addr", "add", `${a}/${pfx(a)}`, "dev", nic.name]);
    }
    if (JSON.stringify(old.rate) !== JSON.stringify(next.rate)) {
      for (const d of netDevices(ctid, next)) if (d.kind !== "phys") await applyRate(d.hostIf, next.rate);
    }
  }

  /** Bring the nft ruleset and the DHCP host lists in line with the records. */
  sync(records: NetRecord[]): Promise<void> {
    return this.serial(async () => {
      const networks = await this.networks.list();
      const text = renderRuleset({
        containers: records.filter((r) => r.net).map((r) => ({ ctid: r.ctid, net: r.net! })),
        networks,
        uplinks: this.uplinks,
        counters: { inet: await readCounters("inet"), bridge: await readCounters("bridge") },
      });
      await applyRuleset(text);
      for (const n of networks) if (n.dhcp) await this.networks.writeDhcpHosts(n, this.dhcpHosts(records, n.name));
    });
  }

  private dhcpHosts(records: NetRecord[], network: string): Array<{ mac: string; ip: string }> {
    const out: Array<{ mac: string; ip: string }> = [];
    for (const r of records) {
      r.net?.nics.forEach((n, i) => {
        if (n.type === "veth" && n.network === network) for (const a of n.ips) out.push({ mac: n.mac ?? defaultMac(r.ctid, i), ip: a });
      });
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
            const l = d.kind === "phys" ? undefined : links.get(d.hostIf);
            // host side rx = what the container sent
            return l ? [{ name: d.name, hostIf: d.hostIf, rxBytes: l.txBytes, txBytes: l.rxBytes, rxPackets: l.txPackets, txPackets: l.rxPackets }] : [];
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

  async createNetwork(input: unknown, records: NetRecord[]): Promise<Network> {
    const n = networkSchema.parse(input);
    return this.serial(async () => {
      const all = await this.networks.list();
      if (all.some((x) => x.name === n.name)) throw new EngineError("BAD_REQUEST", `network ${n.name} already exists`);
      if (all.some((x) => x.bridge === n.bridge)) throw new EngineError("BAD_REQUEST", `bridge ${n.bridge} is already used by another network`);
      if (HOST_IF_RE.test(n.bridge)) throw new EngineError("BAD_REQUEST", `bridge name ${n.bridge} is reserved for container devices`);
      if (await linkExists(n.bridge)) throw new EngineError("BAD_REQUEST", `interface ${n.bridge} already exists on this host; pick another bridge name`);
      try {
        await this.networks.ensure(n, this.dhcpHosts(records, n.name));
        await this.networks.save([...all, n]);
      } catch (e) {
        await this.networks.teardown(n).catch(() => {});
        throw e;
      }
      return n;
    }).then(async (n) => (await this.sync(records), n));
  }

  async deleteNetwork(name: string, records: NetRecord[]): Promise<void> {
    await this.serial(async () => {
      const all = await this.networks.list();
      const n = all.find((x) => x.name === name);
      if (!n) throw new EngineError("NOT_FOUND", `network ${name} does not exist`);
      const users = records.filter((r) => r.net?.nics.some((x) => x.type === "veth" && x.network === name)).map((r) => r.ctid);
      if (users.length) throw new EngineError("BUSY", `network ${name} is used by container(s) ${users.join(", ")}; move or destroy them first`);
      await this.networks.teardown(n);
      await this.networks.save(all.filter((x) => x.name !== name));
    });
    await this.sync(records);
  }

  async listNetworks(records: NetRecord[]) {
    const out = [];
    for (const n of await this.networks.list()) {
      out.push({
        ...n,
        exists: await linkExists(n.bridge),
        dhcpRunning: this.networks.dhcpPid(n.name) !== null,
        containers: records.filter((r) => r.net?.nics.some((x) => x.type === "veth" && x.network === n.name)).map((r) => r.ctid),
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
