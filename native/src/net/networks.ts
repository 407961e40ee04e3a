/**
 * Engine networks: host bridges that veth NICs plug into, declared in <stateDir>/networks.json and
 * (re)created at engine start. A network may carry a host address (the containers' gateway) and serve
 * DHCP with dnsmasq (Debian's dnsmasq-base) in "static" mode: only the MACs the engine lists get an
 * address, and exactly the address IPAM gave them. dnsmasq binds to the bridge only, with DNS off.
 */
import { existsSync, readFileSync } from "node:fs";
import { chmod, mkdir, readFile, rm } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import { readJson, writeFileAtomic } from "../fsutil.js";
import { ip, linkExists } from "./host.js";
import { ipVersion, parseCidr, intToIp4, ip4ToInt, type Network } from "./types.js";

export class NetworkStore {
  constructor(private readonly stateDir: string) {}

  private get file() {
    return path.join(this.stateDir, "networks.json");
  }
  dhcpDir(): string {
    return path.join(this.stateDir, "dhcp");
  }

  async list(): Promise<Network[]> {
    return (await readJson<Network[]>(this.file)) ?? [];
  }
  async map(): Promise<Map<string, Network>> {
    return new Map((await this.list()).map((n) => [n.name, n]));
  }
  async save(all: Network[]): Promise<void> {
    await writeFileAtomic(this.file, JSON.stringify(all, null, 2) + "\n");
  }

  /** Create the bridge (if missing), its address, and start DHCP. Idempotent. */
  async ensure(n: Network, hosts: Array<{ mac: string; ip: string }>): Promise<void> {
    if (!(await linkExists(n.bridge))) {
      await ip(["link", "add", "name", n.bridge, "type", "bridge"]);
    } else {
      const kind = JSON.parse((await ip(["-d", "-j", "link", "show", "dev", n.bridge])).stdout)[0]?.linkinfo?.info_kind;
      if (kind !== "bridge")
        throw new EngineError(
          "BAD_REQUEST",
          `interface ${n.bridge} exists and is not a bridge; pick another bridge name`,
        );
    }
    if (n.hostCidr) await ip(["addr", "replace", n.hostCidr, "dev", n.bridge]);
    await ip(["link", "set", "dev", n.bridge, "up"]);
    // Bridged IPv4/IPv6 traffic passes the inet hooks, so the per-container firewall covers it too.
    for (const k of ["bridge-nf-call-iptables", "bridge-nf-call-ip6tables"]) {
      await run("sysctl", ["-q", "-w", `net.bridge.${k}=1`], { allowFailure: true });
    }
    if (n.dhcp) await this.startDhcp(n, hosts);
  }

  /** Remove the bridge and stop its DHCP server. */
  async teardown(n: Network): Promise<void> {
    await this.stopDhcp(n.name);
    await ip(["link", "del", "dev", n.bridge], { allowFailure: true });
    await rm(path.join(this.dhcpDir(), `${n.name}.hosts`), { force: true });
    await rm(path.join(this.dhcpDir(), `${n.name}.leases`), { force: true });
  }

  private pidFile(name: string) {
    return path.join(this.dhcpDir(), `${name}.pid`);
  }

  dhcpPid(name: string): number | null {
    try {
      const pid = Number(readFileSync(this.pidFile(name), "utf8").trim());
      if (!pid) return null;
      const comm = readFileSync(`/proc/${pid}/comm`, "utf8").trim();
      return comm === "dnsmasq" ? pid : null;
    } catch {
      return null;
    }
  }

  /** Write the MAC → address list and make dnsmasq re-read it (SIGHUP). */
  async writeDhcpHosts(n: Network, hosts: Array<{ mac: string; ip: string }>): Promise<void> {
    // dnsmasq drops to "nobody" and re-reads the hosts file on SIGHUP: it must be able to reach it
    await mkdir(this.dhcpDir(), { recursive: true, mode: 0o711 });
    await chmod(this.dhcpDir(), 0o711);
    const lines = hosts.filter((h) => ipVersion(h.ip) === 4).map((h) => `${h.mac},${h.ip}`);
    await writeFileAtomic(path.join(this.dhcpDir(), `${n.name}.hosts`), lines.join("\n") + "\n", 0o644);
    const pid = this.dhcpPid(n.name);
    if (pid) process.kill(pid, "SIGHUP");
  }

  private async startDhcp(n: Network, hosts: Array<{ mac: string; ip: string }>): Promise<void> {
    await this.writeDhcpHosts(n, hosts);
    if (this.dhcpPid(n.name)) return;
    const sub = n.hostCidr ? parseCidr(n.hostCidr) : null;
    if (!sub || sub.version !== 4) {
      throw new EngineError(
        "BAD_REQUEST",
        `network ${n.name}: DHCP needs an IPv4 host address on the bridge (hostCidr, e.g. 198.18.2.1/24)`,
      );
    }
    const size = 2 ** (32 - sub.prefix);
    const netAddr = intToIp4(Math.floor(ip4ToInt(sub.addr) / size) * size);
    const mask = intToIp4(2 ** 32 - size);
    const args = [
      "--conf-file=/dev/null",
      "--port=0", // no DNS
      `--interface=${n.bridge}`,
      "--bind-interfaces",
      "--except-interface=lo",
      `--dhcp-range=${netAddr},static,${mask},12h`,
      `--dhcp-hostsfile=${path.join(this.dhcpDir(), `${n.name}.hosts`)}`,
      `--dhcp-leasefile=${path.join(this.dhcpDir(), `${n.name}.leases`)}`,
      `--pid-file=${this.pidFile(n.name)}`,
      `--dhcp-option=option:router,${n.gateway ?? sub.addr}`,
      "--dhcp-authoritative",
    ];
    await run("dnsmasq", args);
    for (let i = 0; i < 50 && !this.dhcpPid(n.name); i++) await new Promise((r) => setTimeout(r, 20));
    if (!this.dhcpPid(n.name)) throw new EngineError("HOST_TOOL_FAILED", `dnsmasq for network ${n.name} did not start`);
  }

  async stopDhcp(name: string): Promise<void> {
    const pid = this.dhcpPid(name);
    if (pid) {
      process.kill(pid, "SIGTERM");
      for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 20));
    }
    await rm(this.pidFile(name), { force: true });
  }

  async leases(name: string): Promise<string> {
    return readFile(path.join(this.dhcpDir(), `${name}.leases`), "utf8").catch(() => "");
  }
}
