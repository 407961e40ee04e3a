/** What the engine reports: containers, their limits, counters and usage, the host, template users. */
import { readdir } from "node:fs/promises";
import os from "node:os";
import type { EngineCore } from "./engine-core.js";
import { ENGINE_VERSION, type ContainerInfo, type ContainerUsage, type LimitsReadback } from "./engine-types.js";
import { LIMITS } from "./settings.js";
import type { Beancounter } from "./drivers/cgroup/types.js";
import type { ConsoleTail } from "./drivers/runtime/types.js";
import { findInitPid, mapLimit } from "./hostscope/proc.js";
import { isInitIn } from "./hostscope/ctmap.js";
import { readNofile, readPtyMax } from "./host-probe.js";
import { readHostLoad } from "./host-stats.js";

export class Queries {
  constructor(private readonly core: EngineCore) {}

  async status(ctid: number): Promise<ContainerInfo> {
    return this.core.info(await this.core.mustGet(ctid));
  }

  async list(): Promise<ContainerInfo[]> {
    return this.core.infos(await this.core.records.list());
  }

  async readLimits(ctid: number): Promise<LimitsReadback> {
    const { drivers } = this.core;
    const rec = await this.core.mustGet(ctid);
    const st = await drivers.runtime.state(ctid);
    const running = st !== "STOPPED";
    const dev = await drivers.storage.blockDevice();
    let nofile: number | null = null;
    let ptyMax: number | null = null;
    if (running) {
      const pid = await drivers.runtime.initPid(ctid);
      if (pid) [nofile, ptyMax] = await Promise.all([readNofile(pid), readPtyMax(pid)]);
    }
    return {
      configured: rec.limits,
      cgroup: running ? await drivers.cgroups.read(this.core.cgroupDir(ctid), dev) : null,
      disk: await drivers.storage.usage(ctid),
      nofile,
      ptyMax,
    };
  }

  /** The end of the container's console output (its boot log), at most maxBytes. */
  async bootLog(ctid: number, maxBytes: number): Promise<{ ctid: number; enabled: boolean } & ConsoleTail> {
    await this.core.mustGet(ctid);
    const enabled = this.core.config.consoleLog;
    return { ctid, enabled, ...(await this.core.drivers.runtime.consoleTail(ctid, maxBytes)) };
  }

  /** OpenVZ-style beancounters: usage, peak, limit, and how often each limit was hit. */
  async beancounters(ctid: number): Promise<Beancounter[]> {
    const { drivers } = this.core;
    const rec = await this.core.mustGet(ctid);
    const running = (await drivers.runtime.state(ctid)) !== "STOPPED";
    const rows: Beancounter[] = running ? await drivers.cgroups.counters(this.core.cgroupDir(ctid)) : [];
    const disk = await drivers.storage.usage(ctid);
    const bytes = disk.bytes;
    const limit = disk.limitBytes;
    rows.push({ resource: "diskspace", held: bytes, maxheld: bytes, limit, failcnt: 0, unit: "bytes" });
    if (disk.inodes !== null) {
      const n = disk.inodes;
      rows.push({ resource: "diskinodes", held: n, maxheld: n, limit: disk.limitInodes, failcnt: 0, unit: "count" });
    }
    if (running) {
      let files = 0;
      for (const pid of await drivers.cgroups.pids(this.core.cgroupDir(ctid))) {
        files += await readdir(`/proc/${pid}/fd`).then(
          (f) => f.length,
          () => 0,
        );
      }
      const limit = rec.limits.numfile;
      rows.push({ resource: "numfile", held: files, maxheld: files, limit, failcnt: 0, unit: "files" });
    }
    return rows;
  }

  async hostInfo() {
    const { storage, cgroups, runtime } = this.core.drivers;
    return {
      version: ENGINE_VERSION,
      hostname: os.hostname(),
      kernel: os.release(),
      cpus: this.core.hostCpus,
      memoryBytes: os.totalmem(),
      runtime: runtime.name,
      cgroupVersion: cgroups.version,
      cgroupParent: this.core.config.cgroupParent,
      storage: { driver: storage.name, caps: storage.caps, ...(await storage.space()) },
      containers: (await this.core.records.list()).length,
      limits: Object.values(LIMITS),
    };
  }

  /** The host's load for the node dashboard (host.stats): /proc files, the pool's space, one states read. */
  async hostStats() {
    const { storage, runtime } = this.core.drivers;
    const ctids = (await this.core.records.list()).map((r) => r.ctid);
    const [load, pool, states] = await Promise.all([readHostLoad(), storage.space(), runtime.states(ctids)]);
    let running = 0;
    for (const v of states.values()) if (v.state === "RUNNING" || v.state === "FROZEN") running++;
    return { ...load, cpus: this.core.hostCpus, pool, containers: { total: ctids.length, running } };
  }

  /**
   * Usage counters of the running (or suspended) containers among ctids (all when omitted). Cheap enough to
   * poll for hundreds of containers: cgroup and /proc files only, no lxc-* spawns; the init pid is cached and
   * re-verified (two /proc reads) on every call.
   */
  async usage(ctids?: number[]): Promise<ContainerUsage[]> {
    const recs = await this.core.recordsOf(ctids);
    const rows = await mapLimit(recs, 32, async (r) => {
      try {
        return await this.usageOf(r.ctid);
      } catch {
        return null; // stopped while we read it
      }
    });
    return rows.filter((r): r is ContainerUsage => r !== null).sort((a, b) => a.ctid - b.ctid);
  }

  private async usageOf(ctid: number): Promise<ContainerUsage | null> {
    const { drivers, initPids, cpu } = this.core;
    const rel = this.core.cgroupDir(ctid);
    const u = await drivers.cgroups.usage(rel);
    const sampledAt = Date.now();
    if (!u) {
      initPids.delete(ctid);
      // a container that stopped by itself (halt inside) leaves its cores counted until someone notices
      await cpu.forgetIfGone(ctid).catch((e) => this.core.log(`cpu placement: ${(e as Error).message}`));
      return null;
    }
    // the cgroup path as /proc/<pid>/cgroup shows it (the engine runs in the host's cgroup namespace)
    const base = `/${rel}`;
    let initPid = initPids.get(ctid) ?? null;
    if (initPid === null || !(await isInitIn(initPid, base))) {
      initPid = await findInitPid(await drivers.cgroups.pids(rel));
      if (initPid === null || !(await isInitIn(initPid, base))) {
        initPids.delete(ctid);
        return null; // a cgroup without its init: the container is starting or stopping
      }
      initPids.set(ctid, initPid);
    }
    return { ctid, initPid, cgroup: base, ...u, sampledAt };
  }

  async templateUsers(name: string): Promise<number[]> {
    return (await this.core.records.list()).filter((r) => r.template === name).map((r) => r.ctid);
  }

  /** A template nobody uses (its users are refused by the template store). */
  async deleteTemplate(name: string): Promise<void> {
    await this.core.drivers.templates.get(name);
    await this.core.drivers.templates.delete(name, await this.templateUsers(name));
  }
}
