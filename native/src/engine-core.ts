/**
 * The engine's core: the state its parts share — records, journal, per-container locks, idmap slots,
 * drivers, network and CPU placement — and the steps they all use (validation, runtime config, live limits,
 * container info, removal of everything a container holds). It implements EngineInternals; wire.ts builds
 * it first and hands it to every part. It imports no part, so nothing here can form an import cycle.
 */
import { chmod, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { EngineConfig } from "./config.js";
import { EngineError } from "./errors.js";
import { run } from "./exec.js";
import { Journal } from "./journal.js";
import { LxcfsView } from "./lxcfs.js";
import { RecordStore, type ContainerRecord } from "./records.js";
import { defaultLimits, effectiveCpulimit, type Limits } from "./settings.js";
import { CpuPlacement } from "./cpu-placement.js";
import type { CgroupLimits } from "./drivers/cgroup/types.js";
import type { RunView, RuntimeSpec, RuntimeState } from "./drivers/runtime/types.js";
import { containerCgroupDirs } from "./drivers/index.js";
import { netIps } from "./net/config.js";
import { NetManager } from "./net/index.js";
import { closeGate } from "./gate.js";
import { checkCtid, checkNameForm, fmtBytes } from "./checks.js";
import { mergeLimits } from "./limits-check.js";
import { DumpStore } from "./checkpoint-store.js";
import { SnapshotMetaStore } from "./snapshot-meta.js";
import { ensureRootLink, rootLinkPath } from "./root-links.js";
import { ensureSubIds, hostCpuCount, ownHardNofile } from "./host-probe.js";
import { IdmapSlots } from "./idmap-slots.js";
import type { EngineInternals } from "./engine-internals.js";
import { IDMAP_SIZE, type ContainerInfo, type ContainerState, type Drivers, type OpContext } from "./engine-types.js";
import { Revert } from "./revert.js";
import { featureDeviceDir, makeFeatureDevices } from "./feature-devices.js";
import { runtimeSpecFor } from "./runtime-spec.js";

const STATES: Partial<Record<RuntimeState, ContainerState>> = {
  RUNNING: "running",
  FROZEN: "suspended",
  STOPPED: "stopped",
};

interface RemoveOptions {
  removeRecord: boolean;
  /** crash tests: the failpoint between the volume's and the config's removal */
  failpoint?: string;
}

export class EngineCore implements EngineInternals {
  readonly records: RecordStore;
  readonly journal: Journal;
  readonly hostCpus: number;
  /** The engine's own hard RLIMIT_NOFILE: without CAP_SYS_RESOURCE a container cannot get more. */
  readonly maxNofile: number;
  readonly net: NetManager;
  /** which cores running containers' vCPUs sit on (cpu-placement.ts) */
  readonly cpu: CpuPlacement;
  /** checkpoints on disk (checkpoint.ts writes them; info and removal read them here) */
  readonly dumps: DumpStore;
  readonly snapshotMeta: SnapshotMetaStore;
  readonly view: LxcfsView;
  /** init pid per running container, for container.usage (verified on every use: exit and pid reuse) */
  readonly initPids = new Map<number, number>();
  private readonly locks = new Map<number, Promise<unknown>>();
  private readonly slots: IdmapSlots;
  private logLine: (line: string) => void = () => {};

  constructor(
    readonly config: EngineConfig,
    readonly drivers: Drivers,
  ) {
    this.records = new RecordStore(path.join(config.stateDir, "containers"));
    this.journal = new Journal(config.journalDir);
    this.hostCpus = hostCpuCount();
    this.maxNofile = ownHardNofile();
    this.net = new NetManager(config.stateDir, config.netUplinks);
    this.dumps = new DumpStore(config.stateDir);
    this.slots = new IdmapSlots(config, this.records);
    this.snapshotMeta = new SnapshotMetaStore(path.join(config.stateDir, "snapshots"));
    this.view = new LxcfsView({
      ...config.lxcfs,
      log: (l) => this.logLine(l),
      cgroup:
        config.cgroupDelegate && this.drivers.cgroups.version === 2
          ? this.drivers.cgroups.path(`${config.cgroupDelegate}/ovz.lxcfs`)
          : null,
    });
    this.cpu = new CpuPlacement({
      hostCpus: this.hostCpus,
      cgroups: drivers.cgroups,
      cgroupDir: (ctid) => this.cgroupDir(ctid),
      log: (line) => this.logLine(line),
    });
  }

  /** The engine's log (the daemon's stderr once init() set it). */
  log(line: string): void {
    this.logLine(line);
  }

  /** A revert stack (revert.ts): failed undos go to the operation's log and to the engine's. */
  revert(ctx?: OpContext): Revert {
    return new Revert((line) => {
      ctx?.log(line);
      this.logLine(line);
    });
  }

  /** A best-effort clean-up step: its failure is logged, never thrown (the caller's result does not depend on it). */
  async bestEffort(what: string, step: Promise<unknown>): Promise<void> {
    await step.catch((e: unknown) => this.logLine(`${what}: ${e instanceof Error ? e.message : String(e)}`));
  }

  /** Directories, id ranges and the storage pool the engine needs before anything else. */
  async prepareHost(log: (l: string) => void): Promise<void> {
    this.logLine = log;
    await mkdir(this.config.stateDir, { recursive: true, mode: 0o711 });
    await mkdir(this.config.lxcPath, { recursive: true, mode: 0o711 });
    // Unprivileged container roots (host uids ≥ idmapBase) must traverse these to reach their rootfs.
    for (const d of [this.config.stateDir, this.config.lxcPath]) await chmod(d, 0o711);
    ensureSubIds(this.config.idmapBase, this.config.idmapSlots * IDMAP_SIZE);
    await this.drivers.storage.init();
  }

  /** Defaults for a new container, clamped to what this host can grant. */
  newContainerDefaults(): Limits {
    const d = defaultLimits();
    return { ...d, numfile: Math.min(d.numfile, this.maxNofile) };
  }

  // ---------------------------------------------------------------- paths and ids

  /** OpenVZ's /vz/root/CTID: the host's path to a container's files. */
  rootLink(ctid: number): string {
    return rootLinkPath(this.config.stateDir, ctid);
  }
  async ensureRootLink(rec: ContainerRecord): Promise<void> {
    await ensureRootLink(this.config.stateDir, this.config.lxcPath, rec.ctid, this.hostGid(rec));
  }
  cgroupDir(ctid: number): string {
    return containerCgroupDirs(this.config.cgroupParent, ctid).container;
  }
  monitorCgroupDir(ctid: number): string {
    return containerCgroupDirs(this.config.cgroupParent, ctid).monitor;
  }
  /** The host uid/gid of the container's root. */
  hostGid(rec: ContainerRecord): number {
    return this.config.idmapBase + rec.idmapSlot * IDMAP_SIZE;
  }

  // ---------------------------------------------------------------- locks and records

  async withLock<T>(ctid: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(ctid) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = prev.then(() => mine);
    this.locks.set(ctid, chained);
    await prev.catch(() => {}); // the previous holder's failure is its caller's, not ours
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(ctid) === chained) this.locks.delete(ctid);
    }
  }

  async mustGet(ctid: number): Promise<ContainerRecord> {
    checkCtid(ctid);
    const rec = await this.records.get(ctid);
    if (!rec)
      throw new EngineError("NOT_FOUND", `container ${ctid} does not exist; list containers to see which exist`);
    return rec;
  }

  /** The records of `ctids` by ctid (all when omitted); NOT_FOUND names the first that does not exist. */
  async recordsOf(ctids?: readonly number[]): Promise<ContainerRecord[]> {
    const all = await this.records.list();
    if (!ctids) return all;
    const byCtid = new Map(all.map((r) => [r.ctid, r]));
    return [...new Set(ctids)]
      .map((c) => {
        const r = byCtid.get(c);
        if (!r) throw new EngineError("NOT_FOUND", `container ${c} does not exist`);
        return r;
      })
      .sort((a, b) => a.ctid - b.ctid);
  }

  /** Accepts a ctid or a container name. */
  async resolve(ref: number | string): Promise<number> {
    if (typeof ref === "number") return ref;
    if (/^\d+$/.test(ref)) return Number(ref);
    const rec = await this.records.find((r) => r.name === ref);
    if (!rec) throw new EngineError("NOT_FOUND", `no container is named "${ref}"`);
    return rec.ctid;
  }

  async checkName(name: string, ctid: number): Promise<void> {
    checkNameForm(name);
    const other = await this.records.find((r) => r.name === name && r.ctid !== ctid);
    if (other) throw new EngineError("BAD_REQUEST", `name "${name}" is already used by container ${other.ctid}`);
  }

  async info(rec: ContainerRecord): Promise<ContainerInfo> {
    return (await this.infos([rec]))[0]!;
  }

  /** The info of many containers: their states from one runtime.states() call (no process per container). */
  async infos(recs: readonly ContainerRecord[]): Promise<ContainerInfo[]> {
    const views = await this.drivers.runtime.states(recs.map((r) => r.ctid));
    return Promise.all(recs.map((r) => this.infoOf(r, views.get(r.ctid) ?? { state: "STOPPED", initPid: null })));
  }

  private async infoOf(rec: ContainerRecord, view: RunView): Promise<ContainerInfo> {
    const st = view.state;
    const checkpoint = await this.dumps.info(rec.ctid);
    const state = STATES[st] ?? "transitioning";
    return {
      ctid: rec.ctid,
      name: rec.name,
      hostname: rec.hostname,
      template: rec.template,
      state: st === "STOPPED" && checkpoint ? "suspended" : state,
      initPid: st === "STOPPED" ? null : view.initPid,
      limits: rec.limits,
      features: rec.features ?? [],
      onboot: rec.onboot,
      bootorder: rec.bootorder ?? null,
      idmap: { hostId: this.hostGid(rec), size: IDMAP_SIZE },
      rootfs: this.drivers.storage.containerPath(rec.ctid),
      root: this.rootLink(rec.ctid),
      createdAt: rec.createdAt,
      ips: netIps(rec.net),
      checkpoint,
    };
  }

  // ---------------------------------------------------------------- limits

  /** Merge a patch over current limits and validate the whole result. */
  validateLimits(base: Limits, patch: unknown): Limits {
    const storage = { name: this.drivers.storage.name, inodeQuota: this.drivers.storage.caps.inodeQuota };
    return mergeLimits(base, patch, { cpus: this.hostCpus, maxNofile: this.maxNofile, storage });
  }

  /**
   * The cgroup limits of the LXC config: the CFS cap vCPUs imply, and only explicit CPU pins — a balanced
   * container's cores are the engine's choice at each start (cpu-placement.ts), never persisted.
   */
  async cgroupLimits(l: Limits): Promise<CgroupLimits> {
    return {
      ram: l.ram,
      swap: l.swap,
      cpuunits: l.cpuunits,
      cpulimit: effectiveCpulimit(l),
      cpus: this.cpu.configCpus(l),
      numproc: l.numproc,
      ioweight: l.ioweight,
      iolimit: l.iolimit,
      iopslimit: l.iopslimit,
      ioDevice: await this.drivers.storage.blockDevice(),
    };
  }

  /** The limits apply() writes to a running container: all but the cpuset, which only the CPU placement writes. */
  async liveLimits(l: Limits): Promise<CgroupLimits> {
    return { ...(await this.cgroupLimits(l)), cpus: null };
  }

  /** Apply a running container's limits, its CPU placement included. */
  async applyLive(ctid: number, l: Limits, previous?: Limits): Promise<void> {
    const prev = previous && (await this.liveLimits(previous));
    await this.drivers.cgroups.apply(this.cgroupDir(ctid), await this.liveLimits(l), prev);
    await this.cpu.place(ctid, l);
  }

  async applyNofile(ctid: number, n: number): Promise<void> {
    for (const pid of await this.drivers.cgroups.pids(this.cgroupDir(ctid))) {
      await run("prlimit", ["--pid", String(pid), `--nofile=${n}:${n}`], { allowFailure: true });
    }
  }

  /** Re-apply the record's limits to the running container (after a restore). */
  async applyLimits(rec: ContainerRecord): Promise<void> {
    await this.applyLive(rec.ctid, rec.limits);
    await this.applyNofile(rec.ctid, rec.limits.numfile);
  }

  /** The container's processes are gone: free its cores for the CPU placement. */
  cpuStopped(ctid: number): Promise<void> {
    return this.cpu.stopped(ctid);
  }

  private async runtimeSpecOf(rec: ContainerRecord, view = this.view.dir): Promise<RuntimeSpec> {
    return runtimeSpecFor(this.config, rec, {
      hostGid: this.hostGid(rec),
      cgroupDir: this.cgroupDir(rec.ctid),
      monitorCgroupDir: this.monitorCgroupDir(rec.ctid),
      cgroupKeys: this.drivers.cgroups.lxcKeys(await this.cgroupLimits(rec.limits)),
      network: await this.net.lxcKeys(rec.ctid, rec.net),
      view,
    });
  }

  /** The LXC config text the container would run with now. */
  async runtimeConfigText(rec: ContainerRecord): Promise<string> {
    return this.drivers.runtime.render(await this.runtimeSpecOf(rec));
  }

  async writeRuntimeConfig(rec: ContainerRecord, opts: { view?: string | null } = {}): Promise<void> {
    await makeFeatureDevices(featureDeviceDir(this.config.lxcPath, rec.ctid), rec.features ?? [], this.hostGid(rec));
    await this.drivers.runtime.writeConfig(await this.runtimeSpecOf(rec, opts.view));
    // every path that makes a container (create, restore) writes its config: the root link comes with it
    await this.ensureRootLink(rec);
  }

  /**
   * Under systemd the containers' cgroups live below the unit that delegates them (ovz-containers.service):
   * while that unit is not running its cgroup is gone, and a start would create cgroups systemd does not know.
   */
  async requireDelegatedCgroup(): Promise<void> {
    const d = this.config.cgroupDelegate;
    if (d && !(await this.drivers.cgroups.exists(d))) {
      throw new EngineError(
        "NOT_RUNNING",
        `the containers' cgroup ${d} does not exist: the unit that holds it is not running; start it with \`systemctl start ${path.basename(d)}\``,
      );
    }
  }

  /** A free idmap slot (or exactly `want`), reserved until release() so concurrent creates do not take it. */
  reserveSlot(want?: number): Promise<{ slot: number; release(): void }> {
    return this.slots.reserve(want);
  }

  // ---------------------------------------------------------------- checks and removal

  async failpoint(name: string): Promise<void> {
    // Fault injection for crash tests: OVZ_CRASH_AT=create:volume kills the engine right after that step.
    if (process.env.OVZ_CRASH_AT === name) process.kill(process.pid, "SIGKILL");
  }

  /** Remove everything the host holds for a container. Every step tolerates "already gone". */
  async removeHostResources(ctid: number, opts: RemoveOptions = { removeRecord: true }): Promise<void> {
    const { runtime, cgroups, storage } = this.drivers;
    const rec = await this.records.get(ctid);
    if (await runtime.configExists(ctid)) {
      const st = await runtime.state(ctid);
      // best effort: the kill below ends a frozen container too
      if (st === "FROZEN") await this.bestEffort(`container ${ctid}: thaw before the kill`, runtime.unfreeze(ctid));
      if (st !== "STOPPED") await runtime.kill(ctid);
    }
    await this.cpu.stopped(ctid);
    await closeGate(this.config.lxcPath, ctid);
    await rm(this.rootLink(ctid), { force: true });
    this.initPids.delete(ctid);
    await this.net.afterStop(ctid, rec?.net);
    await cgroups.remove(this.cgroupDir(ctid));
    await cgroups.remove(this.monitorCgroupDir(ctid));
    await storage.deleteContainerVolume(ctid);
    await storage.deleteSnapshots(ctid);
    await this.snapshotMeta.remove(ctid);
    await this.dumps.remove(ctid);
    if (opts.failpoint) await this.failpoint(opts.failpoint);
    await runtime.removeConfig(ctid);
    if (opts.removeRecord) {
      await this.records.remove(ctid);
      // its anti-spoofing and firewall rules, counters and DHCP entries go with the record
      await this.net.update(ctid, undefined);
    }
  }

  /** No record, runtime config or volume under this ctid (a half-made one counts as taken). */
  async assertCtidFree(ctid: number): Promise<void> {
    const { storage, runtime } = this.drivers;
    const taken = (await this.records.get(ctid)) || (await runtime.configExists(ctid));
    if (taken || (await storage.containerVolumeExists(ctid))) {
      throw new EngineError(
        "CTID_IN_USE",
        `container ID ${ctid} is already in use; pick another ID or destroy container ${ctid} first`,
      );
    }
  }

  /** The pool can hold a new container's disk limit (thin provisioning up to OVZ_DISK_OVERCOMMIT). */
  async checkDiskSpace(limits: Limits): Promise<void> {
    const { storage } = this.drivers;
    if (!storage.caps.quota) return;
    const { freeBytes } = await storage.space();
    if (limits.diskspace > freeBytes * this.config.diskOvercommit) {
      throw new EngineError(
        "NO_SPACE",
        `not enough space in the storage pool: container needs ${fmtBytes(limits.diskspace)}, pool has ` +
          `${fmtBytes(freeBytes)} free; lower diskspace or grow the pool`,
      );
    }
  }
}
