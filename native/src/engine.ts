/**
 * The host engine: one object behind the protocol that owns containers on this host. It validates a
 * whole request before touching the host, journals multi-step host changes (undo on failure, repair on
 * restart), serialises operations per container, and talks to the host only through its drivers.
 */
import os from "node:os";
import path from "node:path";
import { chmod, lstat, mkdir, readFile, readdir, readlink, rename, rm, symlink } from "node:fs/promises";
import { appendFileSync, readFileSync } from "node:fs";
import type { EngineConfig } from "./config.js";
import { EngineError, isEngineError, wrapError } from "./errors.js";
import { run } from "./exec.js";
import { Journal, type PendingEntry } from "./journal.js";
import { RecordStore, type ContainerRecord } from "./records.js";
import { readInRootfs, writeInRootfs } from "./rootfs.js";
import { crossCheck, defaultLimits, effectiveCpulimit, limitsPatchSchema, LIMITS, type Limits, type LimitsPatch } from "./settings.js";
import { CpuPlacement } from "./cpu-placement.js";
import type { Beancounter, CgroupDriver, CgroupLimits, CgroupReadback, CgroupUsage } from "./drivers/cgroup/types.js";
import type { StorageDriver, VolumeUsage } from "./drivers/storage/types.js";
import type { ExecResult, RuntimeDriver, RuntimeSpec, RuntimeState } from "./drivers/runtime/types.js";
import type { TemplateMeta, TemplateStoreApi } from "./templates/types.js";
import { netIps } from "./net/config.js";
import { closeGate, gatePath, openGate, prepareGate } from "./gate.js";
import { checkCtid, checkHostname, fmtBytes, parseNet } from "./checks.js";
import { findInitPid, mapLimit } from "./hostscope/proc.js";
import { isInitIn } from "./hostscope/ctmap.js";
import { NetManager, type NetStats } from "./net/index.js";
import type { z } from "zod";
import { emptyNetConfig, netConfigSchema, netPatchSchema, networkSchema, type NetPatch } from "./net/types.js";
import type { EngineInternals } from "./engine-internals.js";
import { SnapshotOps, type SnapshotInfo } from "./snapshots.js";
import { BackupOps, type RestoreRequest } from "./backup/backups.js";
import { ReinstallOps, type ReinstallRequest } from "./reinstall.js";
import { parseSshKeys, writeAuthorizedKeys } from "./ssh-keys.js";
import { checkPasswordInput, setContainerPassword, type AccountTarget } from "./passwd.js";
import type { BackupInfo } from "./backup/manifest.js";
import { CheckpointOps, type CheckpointInfo } from "./checkpoint.js";
import { MigrateOps, type MigrateManifest, type MigratePhase } from "./migrate.js";
import { CloneOps, type CloneRequest } from "./clone.js";

interface DataOps {
  snapshots: SnapshotOps;
  backups: BackupOps;
  reinstall: ReinstallOps;
  checkpoints: CheckpointOps;
  migrations: MigrateOps;
  clones: CloneOps;
}

export const IDMAP_SIZE = 65536;
export const ENGINE_VERSION = "0.1.0";
/** native/helpers/ovz-devpts-max.c, built by scripts/install-criu.sh */
const DEVPTS_MAX_BIN = process.env.OVZ_DEVPTS_MAX ?? "/usr/local/lib/ovz/ovz-devpts-max";

export interface OpContext {
  log(line: string): void;
  progress(percent: number, message?: string): void;
}
const silent: OpContext = { log: () => {}, progress: () => {} };

export interface CreateRequest {
  ctid: number;
  template: string;
  hostname?: string;
  name?: string | null;
  limits?: LimitsPatch;
  onboot?: boolean;
  net?: unknown;
}

export interface SetRequest {
  limits?: LimitsPatch;
  hostname?: string;
  name?: string | null;
  onboot?: boolean;
}

export type ContainerState = "stopped" | "running" | "suspended" | "transitioning";

export interface ContainerInfo {
  ctid: number;
  name: string | null;
  hostname: string;
  template: string;
  state: ContainerState;
  initPid: number | null;
  limits: Limits;
  onboot: boolean;
  idmap: { hostId: number; size: number };
  rootfs: string;
  /** <stateDir>/root/<ctid>: symlink to the gated rootfs mount, as OpenVZ's /vz/root/CTID */
  root: string;
  createdAt: string;
  ips: string[];
  /** the CRIU dump of a checkpointed container (state "suspended" while it is stopped); null without one */
  checkpoint: CheckpointInfo | null;
}

/** One entry of container.usage: cumulative counters of a running container. */
export interface ContainerUsage extends CgroupUsage {
  ctid: number;
  initPid: number;
  /** the container's cgroup as /proc/<pid>/cgroup shows it, e.g. "/ovz/101" (processes at or below it are its own) */
  cgroup: string;
  sampledAt: number;
}

export interface LimitsReadback {
  configured: Limits;
  /** from the kernel; null when the container is stopped (no cgroup) */
  cgroup: CgroupReadback | null;
  disk: VolumeUsage;
  /** RLIMIT_NOFILE of the container's init, read from /proc; null when stopped */
  nofile: number | null;
  /** max= of the container's /dev/pts (its PTY limit), from its init's mountinfo; null when stopped */
  ptyMax: number | null;
}

export interface Drivers {
  runtime: RuntimeDriver;
  cgroups: CgroupDriver;
  storage: StorageDriver;
  templates: TemplateStoreApi;
}

const NAME_RE = /^(?!\d+$)[a-zA-Z0-9][a-zA-Z0-9_.-]{0,63}$/;

export class Engine {
  readonly records: RecordStore;
  readonly journal: Journal;
  readonly hostCpus: number;
  /** The engine's own hard RLIMIT_NOFILE: without CAP_SYS_RESOURCE a container cannot get more. */
  readonly maxNofile: number;
  readonly net: NetManager;
  private readonly locks = new Map<number, Promise<unknown>>();
  private readonly reservedSlots = new Set<number>();
  /** init pid per running container, for container.usage (verified on every use: exit and pid reuse) */
  private readonly initPids = new Map<number, number>();
  /** which cores running containers' vCPUs sit on (cpu-placement.ts) */
  readonly cpu: CpuPlacement;
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
    this.cpu = new CpuPlacement({
      hostCpus: this.hostCpus,
      cgroups: drivers.cgroups,
      cgroupDir: (ctid) => this.cgroupDir(ctid),
      log: (line) => this.logLine(line),
    });
  }

  /** Defaults for a new container, clamped to what this host can grant. */
  newContainerDefaults(): Limits {
    const d = defaultLimits();
    return { ...d, numfile: Math.min(d.numfile, this.maxNofile) };
  }

  // ---------------------------------------------------------------- start-up and recovery

  async init(log: (l: string) => void = () => {}): Promise<void> {
    this.logLine = log;
    await mkdir(this.config.stateDir, { recursive: true, mode: 0o711 });
    await mkdir(this.config.lxcPath, { recursive: true, mode: 0o711 });
    // Unprivileged container roots (host uids ≥ idmapBase) must traverse these to reach their rootfs.
    for (const d of [this.config.stateDir, this.config.lxcPath]) await chmod(d, 0o711);
    ensureSubIds(this.config.idmapBase, this.config.idmapSlots * IDMAP_SIZE);
    await this.drivers.storage.init();
    await this.recover(log);
    await this.data.backups.init(log);
    await this.net.init(await this.records.list(), async (ctid) => (await this.drivers.runtime.state(ctid)) !== "STOPPED", log);
    await this.reconcileRunning(log);
    await this.reconcileRootLinks(log);
    await this.data.checkpoints.sweep(new Set((await this.records.list()).map((r) => r.ctid)));
    await this.data.migrations.sweep((await this.records.list()).map((r) => r.ctid));
  }

  /** Undo or finish operations that a crash interrupted. Idempotent. */
  async recover(log: (l: string) => void = () => {}): Promise<PendingEntry[]> {
    const pending = await this.journal.pending();
    for (const p of pending) {
      const { op, ctid } = p.header;
      if (op === "create" && p.committed) {
        log(`recovery: create of ${ctid} had committed; closing its journal`);
      } else if (op === "create") {
        log(`recovery: undoing interrupted create of ${ctid} (steps done: ${p.steps.join(", ") || "none"})`);
        await this.removeHostResources(ctid, { removeRecord: true });
      } else if (op === "destroy") {
        log(`recovery: finishing interrupted destroy of ${ctid}`);
        await this.removeHostResources(ctid, { removeRecord: true });
      } else if (op === "reinstall") {
        await this.data.reinstall.recover(p, log);
      } else if (op === "rollback") {
        await this.data.snapshots.recover(p, log);
      } else if (op === "restore" || op === "backup") {
        await this.data.backups.recover(p, log);
      } else if (op === "checkpoint" || op === "resume") {
        await this.data.checkpoints.recover(p, log);
      } else if (op === "migrate-in") {
        await this.data.migrations.recover(p, log);
      } else if (op === "clone") {
        await this.data.clones.recover(p, log);
      }
      await this.journal.remove(p.id);
    }
    return pending;
  }

  /**
   * Re-apply persisted limits to running containers (a crash may have happened between apply and persist),
   * and rebuild the CPU placement from the cpusets the kernel holds (nobody moves needlessly).
   */
  private async reconcileRunning(log: (l: string) => void): Promise<void> {
    const running: ContainerRecord[] = [];
    for (const rec of await this.records.list()) {
      const st = await this.drivers.runtime.state(rec.ctid);
      if (st === "RUNNING" || st === "FROZEN") {
        running.push(rec);
        try {
          await this.drivers.cgroups.apply(this.cgroupDir(rec.ctid), await this.liveLimits(rec.limits));
        } catch (e) {
          log(`reconcile: could not re-apply limits of ${rec.ctid}: ${(e as Error).message}`);
        }
        // host side of the network (gateway address, bridge port, shaping, proxy ARP) is idempotent
        const pid = rec.net?.venet.some((a) => a.includes(":")) ? await this.drivers.runtime.initPid(rec.ctid) : null;
        await this.net.postStart(rec.ctid, rec.net, pid).catch((e) => log(`reconcile: network of ${rec.ctid}: ${(e as Error).message}`));
      } else if (st === "STOPPED") {
        // stopped behind the engine's back (halt from inside, crash): close its gate
        await closeGate(this.config.lxcPath, rec.ctid).catch((e) => log(`reconcile: ${(e as Error).message}`));
      }
    }
    await this.cpu.adopt(running).catch((e) => log(`reconcile: CPU placement: ${(e as Error).message}`));
  }

  /** Root links (<stateDir>/root/<ctid>) for every container, none for containers that are gone. */
  private async reconcileRootLinks(log: (l: string) => void): Promise<void> {
    const recs = await this.records.list();
    for (const rec of recs) await this.ensureRootLink(rec).catch((e) => log(`reconcile: root link of ${rec.ctid}: ${(e as Error).message}`));
    const have = new Set(recs.map((r) => String(r.ctid)));
    for (const n of await readdir(this.rootLinkDir()).catch(() => [] as string[])) {
      if (have.has(n)) continue;
      const st = await lstat(path.join(this.rootLinkDir(), n)).catch(() => null);
      if (st?.isSymbolicLink()) await rm(path.join(this.rootLinkDir(), n), { force: true });
    }
  }

  // ---------------------------------------------------------------- helpers

  private rootLinkDir(): string {
    return path.join(this.config.stateDir, "root");
  }
  /** OpenVZ's /vz/root/CTID: the host's path to a container's files. */
  rootLink(ctid: number): string {
    return path.join(this.rootLinkDir(), String(ctid));
  }

  /**
   * <stateDir>/root/<ctid> → <lxcPath>/<ctid>/rootfs (the gated mount point, present from create to destroy).
   * The directory is root-only (0700) and a symlink adds no access: following it still has to pass the gate
   * (root:<container gid> 0710), so host users reach container files through it no more than directly.
   */
  private async ensureRootLink(rec: ContainerRecord): Promise<void> {
    const target = await prepareGate(this.config.lxcPath, rec.ctid, this.config.idmapBase + rec.idmapSlot * IDMAP_SIZE);
    await mkdir(this.rootLinkDir(), { recursive: true, mode: 0o700 });
    await chmod(this.rootLinkDir(), 0o700);
    const link = this.rootLink(rec.ctid);
    if ((await readlink(link).catch(() => null)) === target) return;
    const tmp = `${link}.tmp`;
    await rm(tmp, { force: true });
    await symlink(target, tmp);
    await rename(tmp, link); // atomic: never a moment without the link, never a half-made one
  }

  cgroupDir(ctid: number): string {
    return `${this.config.cgroupParent}/${ctid}`;
  }
  monitorCgroupDir(ctid: number): string {
    return `${this.config.cgroupParent}.monitor/${ctid}`;
  }

  private async withLock<T>(ctid: number, fn: () => Promise<T>): Promise<T> {
    const prev = this.locks.get(ctid) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => (release = r));
    const chained = prev.then(() => mine);
    this.locks.set(ctid, chained);
    await prev.catch(() => {});
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(ctid) === chained) this.locks.delete(ctid);
    }
  }

  private async mustGet(ctid: number): Promise<ContainerRecord> {
    checkCtid(ctid);
    const rec = await this.records.get(ctid);
    if (!rec) throw new EngineError("NOT_FOUND", `container ${ctid} does not exist; list containers to see which exist`);
    return rec;
  }

  /** Accepts a ctid or a container name. */
  async resolve(ref: number | string): Promise<number> {
    if (typeof ref === "number") return ref;
    if (/^\d+$/.test(ref)) return Number(ref);
    const rec = (await this.records.list()).find((r) => r.name === ref);
    if (!rec) throw new EngineError("NOT_FOUND", `no container is named "${ref}"`);
    return rec.ctid;
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
  private async liveLimits(l: Limits): Promise<CgroupLimits> {
    return { ...(await this.cgroupLimits(l)), cpus: null };
  }

  /** Apply a running container's limits, its CPU placement included. */
  private async applyLive(ctid: number, l: Limits, previous?: Limits): Promise<void> {
    await this.drivers.cgroups.apply(this.cgroupDir(ctid), await this.liveLimits(l), previous && (await this.liveLimits(previous)));
    await this.cpu.place(ctid, l);
  }

  /** Merge a patch over current limits and validate the whole result. */
  validateLimits(base: Limits, patch: unknown): Limits {
    const parsed = limitsPatchSchema.safeParse(patch ?? {});
    if (!parsed.success) {
      const msg = parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
      throw new EngineError("LIMIT_OUT_OF_RANGE", `invalid limits: ${msg}`, { details: { issues: parsed.error.issues } });
    }
    const merged = { ...base } as Record<string, unknown>;
    for (const [k, v] of Object.entries(parsed.data)) if (v !== undefined) merged[k] = v;
    const limits = merged as Limits;
    if (limits.cpumask === "") limits.cpumask = null;
    const errs = crossCheck(limits, this.hostCpus);
    if (limits.numfile > this.maxNofile) {
      errs.push(`open files ${limits.numfile} is above what this host can grant (${this.maxNofile}, the engine's hard RLIMIT_NOFILE); lower numfile or raise the engine's LimitNOFILE`);
    }
    if (errs.length) throw new EngineError("LIMIT_OUT_OF_RANGE", errs.join("; "));
    if (limits.diskinodes > 0 && !this.drivers.storage.caps.inodeQuota) {
      throw new EngineError(
        "UNSUPPORTED",
        `the ${this.drivers.storage.name} storage driver cannot limit inodes; set diskinodes to 0 or use a storage driver with project quota`,
      );
    }
    return limits;
  }

  private runtimeSpec(rec: ContainerRecord, cgroupKeys: Array<[string, string]>, network: Array<[string, string]>): RuntimeSpec {
    return {
      ctid: rec.ctid,
      hostname: rec.hostname,
      // LXC mounts the rootfs from behind the gate (see gate.ts), never from the pool directly
      rootfs: gatePath(this.config.lxcPath, rec.ctid),
      idmap: { hostId: this.config.idmapBase + rec.idmapSlot * IDMAP_SIZE, size: IDMAP_SIZE },
      init: rec.init,
      haltSignal: rec.haltSignal,
      cgroupDir: this.cgroupDir(rec.ctid),
      monitorCgroupDir: this.monitorCgroupDir(rec.ctid),
      cgroupKeys,
      nofile: rec.limits.numfile,
      ptyMax: rec.limits.numpty,
      seccompProfile: this.config.seccompProfile,
      logFile: path.join(this.config.lxcPath, String(rec.ctid), "lxc.log"),
      network,
    };
  }

  private async writeRuntimeConfig(rec: ContainerRecord): Promise<void> {
    const keys = this.drivers.cgroups.lxcKeys(await this.cgroupLimits(rec.limits));
    await this.drivers.runtime.writeConfig(this.runtimeSpec(rec, keys, await this.net.lxcKeys(rec.ctid, rec.net)));
    // every path that makes a container (create, restore) writes its config: the root link comes with it
    await this.ensureRootLink(rec);
  }

  private async allocateSlot(): Promise<number> {
    const used = new Set((await this.records.list()).map((r) => r.idmapSlot));
    for (const s of this.reservedSlots) used.add(s);
    for (let s = 0; s < this.config.idmapSlots; s++) if (!used.has(s)) return s;
    throw new EngineError("NO_SPACE", `all ${this.config.idmapSlots} uid ranges are in use; raise OVZ_IDMAP_SLOTS`);
  }

  /** Exactly slot `want` (a live migration keeps the container's uid range), or a clear refusal. */
  private async claimSlot(want: number): Promise<number> {
    const holder = (await this.records.list()).find((r) => r.idmapSlot === want);
    if (want >= this.config.idmapSlots || holder || this.reservedSlots.has(want)) {
      throw new EngineError(
        "CTID_IN_USE",
        `uid range ${want} (host ids from ${this.config.idmapBase + want * IDMAP_SIZE}) is ${holder ? `used by container ${holder.ctid}` : want >= this.config.idmapSlots ? "outside this node's OVZ_IDMAP_SLOTS" : "being taken"} on this node; a live migration keeps the container's ids — migrate it offline instead`,
      );
    }
    return want;
  }

  private async failpoint(name: string): Promise<void> {
    // Fault injection for crash tests: OVZ_CRASH_AT=create:volume kills the engine right after that step.
    if (process.env.OVZ_CRASH_AT === name) process.kill(process.pid, "SIGKILL");
  }

  /** Remove everything the host holds for a container. Every step tolerates "already gone". */
  private async removeHostResources(ctid: number, opts: { removeRecord: boolean; failpoint?: string }): Promise<void> {
    const { runtime, cgroups, storage } = this.drivers;
    const rec = await this.records.get(ctid);
    if (await runtime.configExists(ctid)) {
      const st = await runtime.state(ctid);
      if (st === "FROZEN") await runtime.unfreeze(ctid).catch(() => {});
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
    await this.data.snapshots.removeAll(ctid);
    await this.data.checkpoints.remove(ctid);
    if (opts.failpoint) await this.failpoint(opts.failpoint);
    await runtime.removeConfig(ctid);
    if (opts.removeRecord) {
      await this.records.remove(ctid);
      // its anti-spoofing and firewall rules, counters and DHCP entries go with the record
      await this.net.sync(await this.records.list());
    }
  }

  /** No record, runtime config or volume under this ctid (a half-made one counts as taken). */
  private async assertCtidFree(ctid: number): Promise<void> {
    const { storage, runtime } = this.drivers;
    if ((await this.records.get(ctid)) || (await runtime.configExists(ctid)) || (await storage.containerVolumeExists(ctid))) {
      throw new EngineError("CTID_IN_USE", `container ID ${ctid} is already in use; pick another ID or destroy container ${ctid} first`);
    }
  }

  /** The pool can hold a new container's disk limit (thin provisioning up to OVZ_DISK_OVERCOMMIT). */
  private async checkDiskSpace(limits: Limits): Promise<void> {
    const { storage } = this.drivers;
    if (!storage.caps.quota) return;
    const { freeBytes } = await storage.space();
    if (limits.diskspace > freeBytes * this.config.diskOvercommit) {
      throw new EngineError(
        "NO_SPACE",
        `not enough space in the storage pool: container needs ${fmtBytes(limits.diskspace)}, pool has ${fmtBytes(freeBytes)} free; lower diskspace or grow the pool`,
      );
    }
  }

  // ---------------------------------------------------------------- operations

  async create(req: CreateRequest, ctx: OpContext = silent): Promise<ContainerInfo> {
    checkCtid(req.ctid);
    const hostname = req.hostname ?? `ct${req.ctid}`;
    checkHostname(hostname);
    if (req.name != null) await this.checkName(req.name, req.ctid);
    const limits = this.validateLimits(this.newContainerDefaults(), req.limits);
    const netIn = parseNet(netConfigSchema, req.net ?? {});
    return this.withLock(req.ctid, async () => {
      const { storage, templates } = this.drivers;
      await this.assertCtidFree(req.ctid);
      const tpl: TemplateMeta = await templates.get(req.template);
      await this.checkDiskSpace(limits);
      const net = await this.net.validate(req.ctid, netIn, await this.records.list());
      const slot = await this.allocateSlot();
      this.reservedSlots.add(slot);
      const journal = await this.journal.begin("create", req.ctid, { slot, template: tpl.name });
      try {
        ctx.progress(10, `preparing template ${tpl.name}`);
        await templates.ensureVolume(tpl.name, ctx.log);
        await this.failpoint("create:begin");
        ctx.progress(40, "creating root filesystem (copy-on-write snapshot)");
        await journal.step("volume");
        await storage.createContainerVolume(req.ctid, tpl.name);
        await this.failpoint("create:volume");
        await journal.step("quota");
        if (storage.caps.quota) await storage.setQuota(req.ctid, { bytes: limits.diskspace, inodes: limits.diskinodes || null });
        const rec: ContainerRecord = {
          ctid: req.ctid,
          name: req.name ?? null,
          hostname,
          template: tpl.name,
          limits,
          idmapSlot: slot,
          init: "/sbin/init",
          haltSignal: tpl.haltSignal,
          onboot: req.onboot ?? false,
          createdAt: new Date().toISOString(),
          net,
        };
        await this.writeHostname(rec, false);
        ctx.progress(70, "writing runtime configuration");
        await journal.step("config");
        await this.writeRuntimeConfig(rec);
        await this.failpoint("create:config");
        await this.records.put(rec);
        await journal.step("net");
        await this.net.sync(await this.records.list());
        await journal.commit();
        await this.failpoint("create:commit");
        await journal.close();
        ctx.progress(100, `container ${req.ctid} created`);
        return this.info(rec);
      } catch (e) {
        ctx.log(`create failed, undoing: ${(e as Error).message}`);
        await this.removeHostResources(req.ctid, { removeRecord: true }).catch((u) =>
          ctx.log(`undo incomplete (will be repaired at next engine start): ${(u as Error).message}`),
        );
        await journal.close();
        throw wrapError(e, `Failed to create container ${req.ctid}`);
      } finally {
        this.reservedSlots.delete(slot);
      }
    });
  }

  async destroy(ctid: number, opts: { force?: boolean } = {}, ctx: OpContext = silent): Promise<void> {
    await this.mustGet(ctid);
    return this.withLock(ctid, async () => {
      await this.mustGet(ctid);
      const st = await this.drivers.runtime.state(ctid);
      if (st !== "STOPPED" && !opts.force) {
        throw new EngineError("RUNNING", `container ${ctid} is running; stop it first (or destroy with force)`);
      }
      const journal = await this.journal.begin("destroy", ctid);
      ctx.progress(20, "stopping and removing");
      await this.failpoint("destroy:begin");
      await journal.step("remove");
      await this.removeHostResources(ctid, { removeRecord: true, failpoint: "destroy:volume" });
      await journal.close();
      ctx.progress(100, `container ${ctid} destroyed`);
    });
  }

  async start(ctid: number, ctx: OpContext = silent): Promise<ContainerInfo> {
    await this.mustGet(ctid);
    return this.withLock(ctid, async () => {
      const rec = await this.mustGet(ctid);
      const { runtime } = this.drivers;
      const st = await runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it instead`);
      if (st !== "STOPPED") throw new EngineError("RUNNING", `container ${ctid} is already running`);
      if (await this.data.checkpoints.info(ctid)) {
        // a checkpointed container starts by continuing where it was (as OpenVZ's vzctl start does)
        await this.data.checkpoints.restoreLocked(rec, ctx);
        return this.info(rec);
      }
      if (!(await this.drivers.storage.containerVolumeExists(ctid))) {
        throw new EngineError("INTERNAL", `root filesystem of container ${ctid} is missing; reinstall it from a template`);
      }
      // Clear leftovers of an earlier failed start (LXC leaves empty monitor cgroups behind).
      await this.drivers.cgroups.remove(this.monitorCgroupDir(ctid)).catch(() => {});
      await this.writeRuntimeConfig(rec);
      await this.writeHostname(rec, false);
      await this.writeResolvConf(rec, false);
      ctx.progress(30, "starting init");
      try {
        await openGate(this.config.lxcPath, ctid, this.drivers.storage.containerPath(ctid), this.config.idmapBase + rec.idmapSlot * IDMAP_SIZE);
        await runtime.start(ctid);
        ctx.progress(70, "placing its vCPUs");
        await this.cpu.place(ctid, rec.limits);
        ctx.progress(80, "configuring the host side of the network");
        await this.net.postStart(ctid, rec.net, await runtime.initPid(ctid));
      } catch (e) {
        await runtime.kill(ctid).catch(() => {});
        await this.cpu.stopped(ctid).catch(() => {});
        await closeGate(this.config.lxcPath, ctid).catch(() => {});
        await this.net.afterStop(ctid, rec.net).catch(() => {});
        await this.drivers.cgroups.remove(this.cgroupDir(ctid)).catch(() => {});
        await this.drivers.cgroups.remove(this.monitorCgroupDir(ctid)).catch(() => {});
        throw wrapError(e, `Failed to start container ${ctid}`);
      }
      ctx.progress(100, "running");
      return this.info(rec);
    });
  }

  async stop(ctid: number, opts: { timeoutSec?: number; force?: boolean } = {}, ctx: OpContext = silent): Promise<ContainerInfo> {
    await this.mustGet(ctid);
    return this.withLock(ctid, async () => {
      const rec = await this.mustGet(ctid);
      if ((await this.drivers.runtime.state(ctid)) === "STOPPED" && (await this.data.checkpoints.info(ctid))) {
        // stopping a checkpointed container discards its checkpoint (as vzctl stop of a suspended one)
        await this.data.checkpoints.remove(ctid);
        ctx.progress(100, "checkpoint discarded; stopped");
        return this.info(rec);
      }
      await this.stopLocked(rec, opts, ctx);
      return this.info(rec);
    });
  }

  private async stopLocked(rec: ContainerRecord, opts: { timeoutSec?: number; force?: boolean }, ctx: OpContext): Promise<void> {
    const { runtime } = this.drivers;
    const st = await runtime.state(rec.ctid);
    if (st === "STOPPED") {
      await this.cpu.stopped(rec.ctid); // it stopped behind the engine's back: free its cores
      throw new EngineError("NOT_RUNNING", `container ${rec.ctid} is not running`);
    }
    if (st === "FROZEN") await runtime.unfreeze(rec.ctid);
    if (opts.force) {
      ctx.progress(50, "killing");
      await runtime.kill(rec.ctid);
    } else {
      const t = opts.timeoutSec ?? this.config.stopTimeoutSec;
      ctx.progress(30, `halting (${rec.haltSignal}), killing after ${t} s`);
      await runtime.stop(rec.ctid, t);
    }
    await this.cpu.stopped(rec.ctid);
    await closeGate(this.config.lxcPath, rec.ctid);
    await this.net.afterStop(rec.ctid, rec.net);
    await this.drivers.cgroups.remove(this.cgroupDir(rec.ctid)).catch(() => {});
    await this.drivers.cgroups.remove(this.monitorCgroupDir(rec.ctid)).catch(() => {});
    ctx.progress(100, "stopped");
  }

  async restart(ctid: number, opts: { timeoutSec?: number } = {}, ctx: OpContext = silent): Promise<ContainerInfo> {
    const rec = await this.mustGet(ctid);
    await this.withLock(ctid, async () => {
      if ((await this.drivers.runtime.state(ctid)) !== "STOPPED") await this.stopLocked(rec, opts, ctx);
    });
    return this.start(ctid, ctx);
  }

  async suspend(ctid: number): Promise<ContainerInfo> {
    await this.mustGet(ctid);
    return this.withLock(ctid, async () => {
      const rec = await this.mustGet(ctid);
      const st = await this.drivers.runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is already suspended`);
      if (st !== "RUNNING") throw new EngineError("NOT_RUNNING", `container ${ctid} is not running`);
      await this.drivers.runtime.freeze(ctid);
      return this.info(rec);
    });
  }

  /** Thaw a frozen container, or restore a checkpointed one: both show as "suspended". */
  async resume(ctid: number, ctx: OpContext = silent): Promise<ContainerInfo> {
    await this.mustGet(ctid);
    return this.withLock(ctid, async () => {
      const rec = await this.mustGet(ctid);
      const st = await this.drivers.runtime.state(ctid);
      if (st === "STOPPED" && (await this.data.checkpoints.info(ctid))) {
        await this.data.checkpoints.restoreLocked(rec, ctx);
        return this.info(rec);
      }
      if (st !== "FROZEN") throw new EngineError("NOT_RUNNING", `container ${ctid} is not suspended`);
      await this.drivers.runtime.unfreeze(ctid);
      return this.info(rec);
    });
  }

  /** Checkpoint (CRIU) a running container to <stateDir>/dumps/<ctid> and stop it (checkpoint.ts). */
  checkpoint(ctid: number, ctx: OpContext = silent): Promise<ContainerInfo> {
    return this.data.checkpoints.checkpoint(ctid, ctx);
  }

  /** Restore a checkpointed container: the same processes continue, with the same addresses. */
  restoreCheckpoint(ctid: number, ctx: OpContext = silent): Promise<ContainerInfo> {
    return this.data.checkpoints.restore(ctid, ctx);
  }

  async exec(ctid: number, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.mustGet(ctid);
    const st = await this.drivers.runtime.state(ctid);
    if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
    if (st !== "RUNNING") throw new EngineError("NOT_RUNNING", `container ${ctid} is not running; start it first`);
    return this.drivers.runtime.exec(ctid, argv, opts);
  }

  /** Change limits/hostname/name; applied live to a running container and persisted. */
  async set(ctid: number, req: SetRequest): Promise<ContainerInfo> {
    const base = await this.mustGet(ctid);
    const limits = this.validateLimits(base.limits, req.limits);
    if (req.hostname !== undefined) checkHostname(req.hostname);
    if (req.name != null) await this.checkName(req.name, ctid);
    return this.withLock(ctid, async () => {
      const old = await this.mustGet(ctid);
      const next: ContainerRecord = {
        ...old,
        limits,
        hostname: req.hostname ?? old.hostname,
        name: req.name === undefined ? old.name : req.name,
        onboot: req.onboot ?? old.onboot,
      };
      const st = await this.drivers.runtime.state(ctid);
      const running = st !== "STOPPED";
      const { storage } = this.drivers;
      // Apply first, persist second: a crash in between is repaired at start-up by re-applying the record.
      if (running) {
        try {
          await this.applyLive(ctid, next.limits, old.limits);
        } catch (e) {
          await this.applyLive(ctid, old.limits).catch(() => {});
          throw wrapError(e, `Failed to change limits of container ${ctid}`, "LIMIT_OUT_OF_RANGE");
        }
        if (next.limits.numfile !== old.limits.numfile) await this.applyNofile(ctid, next.limits.numfile);
        if (next.limits.numpty !== old.limits.numpty) await this.applyPtyMax(ctid, next.limits.numpty);
      }
      if (storage.caps.quota && (next.limits.diskspace !== old.limits.diskspace || next.limits.diskinodes !== old.limits.diskinodes)) {
        await storage.setQuota(ctid, { bytes: next.limits.diskspace, inodes: next.limits.diskinodes || null });
      }
      if (next.hostname !== old.hostname) await this.writeHostname(next, running);
      await this.records.put(next);
      await this.writeRuntimeConfig(next);
      return this.info(next);
    });
  }

  // ---------------------------------------------------------------- network

  async netGet(ctid: number) {
    const rec = await this.mustGet(ctid);
    const running = (await this.drivers.runtime.state(ctid)) !== "STOPPED";
    const config = rec.net ?? emptyNetConfig();
    return {
      config,
      devices: this.net.devices(ctid, config).map((d) => ({ name: d.name, hostIf: running ? d.hostIf : null, kind: d.kind })),
    };
  }

  /** Change the network; addresses, firewall and rate apply live, devices only while stopped. */
  async netSet(ctid: number, patchIn: unknown) {
    const patch: NetPatch = parseNet(netPatchSchema, patchIn);
    await this.mustGet(ctid);
    await this.withLock(ctid, async () => {
      const rec = await this.mustGet(ctid);
      const old = rec.net ?? emptyNetConfig();
      const st = await this.drivers.runtime.state(ctid);
      const running = st !== "STOPPED";
      const next = await this.net.validate(ctid, this.net.merge(old, patch, running), await this.records.list());
      if (running) {
        const pid = await this.drivers.runtime.initPid(ctid);
        if (!pid) throw new EngineError("NOT_RUNNING", `container ${ctid} has no init process; try again`);
        try {
          await this.net.applyLive(ctid, pid, old, next);
        } catch (e) {
          await this.net.applyLive(ctid, pid, next, old).catch(() => {});
          throw wrapError(e, `Failed to change the network of container ${ctid}`);
        }
      }
      const updated: ContainerRecord = { ...rec, net: next };
      await this.records.put(updated);
      await this.writeRuntimeConfig(updated);
      await this.net.sync(await this.records.list());
      if (JSON.stringify(old.nameservers) !== JSON.stringify(next.nameservers)) await this.writeResolvConf(updated, running);
    });
    return this.netGet(ctid);
  }

  /**
   * Usage counters of the running (or suspended) containers among ctids (all when omitted). Cheap enough to
   * poll for hundreds of containers: cgroup and /proc files only, no lxc-* spawns; the init pid is cached and
   * re-verified (two /proc reads) on every call.
   */
  async usage(ctids?: number[]): Promise<ContainerUsage[]> {
    const all = await this.records.list();
    if (ctids) for (const c of ctids) if (!all.some((r) => r.ctid === c)) throw new EngineError("NOT_FOUND", `container ${c} does not exist`);
    const recs = ctids ? all.filter((r) => ctids.includes(r.ctid)) : all;
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
    const rel = this.cgroupDir(ctid);
    const u = await this.drivers.cgroups.usage(rel);
    const sampledAt = Date.now();
    if (!u) {
      this.initPids.delete(ctid);
      // a container that stopped by itself (halt inside) leaves its cores counted until someone notices
      await this.cpu.forgetIfGone(ctid).catch((e) => this.logLine(`cpu placement: ${(e as Error).message}`));
      return null;
    }
    // the cgroup path as /proc/<pid>/cgroup shows it (the engine runs in the host's cgroup namespace)
    const base = `/${rel}`;
    let initPid = this.initPids.get(ctid) ?? null;
    if (initPid === null || !(await isInitIn(initPid, base))) {
      initPid = await findInitPid(await this.drivers.cgroups.pids(rel));
      if (initPid === null || !(await isInitIn(initPid, base))) {
        this.initPids.delete(ctid);
        return null; // a cgroup without its init: the container is starting or stopping
      }
      this.initPids.set(ctid, initPid);
    }
    return { ctid, initPid, cgroup: base, ...u, sampledAt };
  }

  async netStats(ctids?: number[]): Promise<NetStats[]> {
    const all = await this.records.list();
    const recs = ctids ? all.filter((r) => ctids.includes(r.ctid)) : all;
    if (ctids) for (const c of ctids) if (!recs.some((r) => r.ctid === c)) throw new EngineError("NOT_FOUND", `container ${c} does not exist`);
    const running = new Map<number, string | null>();
    for (const r of recs) {
      if ((await this.drivers.runtime.state(r.ctid)) === "STOPPED") continue;
      const pid = await this.drivers.runtime.initPid(r.ctid);
      running.set(r.ctid, pid ? await bootId(pid) : null);
    }
    return this.net.stats(recs, running);
  }

  async networkList() {
    return this.net.listNetworks(await this.records.list());
  }
  async networkCreate(n: z.input<typeof networkSchema>) {
    await this.net.createNetwork(n, await this.records.list());
    return (await this.networkList()).find((x) => x.name === n.name)!;
  }
  async networkDelete(name: string): Promise<void> {
    await this.net.deleteNetwork(name, await this.records.list());
  }

  private async writeResolvConf(rec: ContainerRecord, running: boolean): Promise<void> {
    const ns = rec.net?.nameservers ?? [];
    if (!ns.length) return;
    const text = ns.map((n) => `nameserver ${n}`).join("\n") + "\n";
    if (running) {
      await this.drivers.runtime.exec(rec.ctid, ["/bin/sh", "-c", "cat > /etc/resolv.conf"], { input: text });
      return;
    }
    await writeInRootfs(this.drivers.storage.containerPath(rec.ctid), "etc/resolv.conf", text);
  }

  /**
   * A user's password, on a running or a stopped container; a missing user is created (passwd.ts). A
   * container checkpointed to disk is refused: its processes hold the files as they were.
   */
  async setPassword(ctid: number, user: string, password: string): Promise<{ created: boolean }> {
    checkPasswordInput(user, password);
    await this.mustGet(ctid);
    return this.withLock(ctid, async () => {
      const st = await this.drivers.runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
      if (st === "STOPPED" && (await this.data.checkpoints.info(ctid))) {
        throw new EngineError("FROZEN", `container ${ctid} is checkpointed; resume it (or stop it to discard the checkpoint) first`);
      }
      const target: AccountTarget =
        st === "STOPPED"
          ? { running: false, rootfs: this.drivers.storage.containerPath(ctid) }
          : { running: true, exec: (argv, input) => this.drivers.runtime.exec(ctid, argv, input === undefined ? {} : { input }) };
      try {
        return { created: (await setContainerPassword(target, user, password)) !== null };
      } catch (e) {
        throw wrapError(e, `Failed to set the password of ${user} in container ${ctid}`);
      }
    });
  }

  private async applyNofile(ctid: number, n: number): Promise<void> {
    for (const pid of await this.drivers.cgroups.pids(this.cgroupDir(ctid))) {
      await run("prlimit", ["--pid", String(pid), `--nofile=${n}:${n}`], { allowFailure: true });
    }
  }

  /**
   * Live: the container's devpts instance remounted with the new max= (native/helpers/ovz-devpts-max.c:
   * setns into its mount namespace, nothing of the container executed). Not fatal: the record, and so the
   * next start, has it; container.limits shows the live value (ptyMax).
   */
  private async applyPtyMax(ctid: number, n: number): Promise<void> {
    const pid = await this.drivers.runtime.initPid(ctid);
    if (!pid) return;
    const r = await run(DEVPTS_MAX_BIN, [String(pid), String(n)], { allowFailure: true }).catch((e: Error) => ({ code: -1, stderr: e.message }));
    if (r.code !== 0) console.error(`container ${ctid}: PTY limit ${n} applies at the next start (live remount failed: ${r.stderr.trim()})`);
  }

  private async writeHostname(rec: ContainerRecord, running: boolean): Promise<void> {
    const rootfs = this.drivers.storage.containerPath(rec.ctid);
    if (running) {
      // Inside the container: its own view of its files, no symlink games with host paths.
      await this.drivers.runtime.exec(rec.ctid, ["hostname", rec.hostname]);
      await this.drivers.runtime.exec(rec.ctid, ["/bin/sh", "-c", 'cat > /etc/hostname'], { input: `${rec.hostname}\n` });
      return;
    }
    await writeInRootfs(rootfs, "etc/hostname", `${rec.hostname}\n`);
    // never readFile(): a planted /etc/hosts → /etc/shadow symlink would copy the HOST's file in here
    const hosts = await readInRootfs(rootfs, "etc/hosts");
    const line = `127.0.1.1\t${rec.hostname}`;
    const kept = (hosts ?? "127.0.0.1\tlocalhost\n").split("\n").filter((l) => !/^127\.0\.1\.1\s/.test(l) && l !== "");
    await writeInRootfs(rootfs, "etc/hosts", [...kept, line].join("\n") + "\n");
  }

  private async checkName(name: string, ctid: number): Promise<void> {
    if (!NAME_RE.test(name)) {
      throw new EngineError("BAD_REQUEST", `bad container name "${name}": use letters, digits, . _ - (max 64), not only digits`);
    }
    const other = (await this.records.list()).find((r) => r.name === name && r.ctid !== ctid);
    if (other) throw new EngineError("BAD_REQUEST", `name "${name}" is already used by container ${other.ctid}`);
  }

  // ---------------------------------------------------------------- queries

  private toState(st: RuntimeState): ContainerState {
    if (st === "RUNNING") return "running";
    if (st === "FROZEN") return "suspended";
    if (st === "STOPPED") return "stopped";
    return "transitioning";
  }

  async info(rec: ContainerRecord): Promise<ContainerInfo> {
    const st = await this.drivers.runtime.state(rec.ctid);
    const checkpoint = await this.data.checkpoints.info(rec.ctid);
    return {
      ctid: rec.ctid,
      name: rec.name,
      hostname: rec.hostname,
      template: rec.template,
      state: st === "STOPPED" && checkpoint ? "suspended" : this.toState(st),
      initPid: st === "STOPPED" ? null : await this.drivers.runtime.initPid(rec.ctid),
      limits: rec.limits,
      onboot: rec.onboot,
      idmap: { hostId: this.config.idmapBase + rec.idmapSlot * IDMAP_SIZE, size: IDMAP_SIZE },
      rootfs: this.drivers.storage.containerPath(rec.ctid),
      root: this.rootLink(rec.ctid),
      createdAt: rec.createdAt,
      ips: netIps(rec.net),
      checkpoint,
    };
  }

  async status(ctid: number): Promise<ContainerInfo> {
    return this.info(await this.mustGet(ctid));
  }

  async list(): Promise<ContainerInfo[]> {
    return Promise.all((await this.records.list()).map((r) => this.info(r)));
  }

  async readLimits(ctid: number): Promise<LimitsReadback> {
    const rec = await this.mustGet(ctid);
    const st = await this.drivers.runtime.state(ctid);
    const running = st !== "STOPPED";
    const dev = await this.drivers.storage.blockDevice();
    let nofile: number | null = null;
    let ptyMax: number | null = null;
    if (running) {
      const pid = await this.drivers.runtime.initPid(ctid);
      if (pid) [nofile, ptyMax] = await Promise.all([readNofile(pid), readPtyMax(pid)]);
    }
    return {
      configured: rec.limits,
      cgroup: running ? await this.drivers.cgroups.read(this.cgroupDir(ctid), dev) : null,
      disk: await this.drivers.storage.usage(ctid),
      nofile,
      ptyMax,
    };
  }

  /** OpenVZ-style beancounters: usage, peak, limit, and how often each limit was hit. */
  async beancounters(ctid: number): Promise<Beancounter[]> {
    const rec = await this.mustGet(ctid);
    const running = (await this.drivers.runtime.state(ctid)) !== "STOPPED";
    const rows: Beancounter[] = running ? await this.drivers.cgroups.counters(this.cgroupDir(ctid)) : [];
    const disk = await this.drivers.storage.usage(ctid);
    rows.push({ resource: "diskspace", held: disk.bytes, maxheld: disk.bytes, limit: disk.limitBytes, failcnt: 0, unit: "bytes" });
    if (disk.inodes !== null) {
      rows.push({ resource: "diskinodes", held: disk.inodes, maxheld: disk.inodes, limit: disk.limitInodes, failcnt: 0, unit: "count" });
    }
    if (running) {
      let files = 0;
      for (const pid of await this.drivers.cgroups.pids(this.cgroupDir(ctid))) {
        files += await readdir(`/proc/${pid}/fd`).then((f) => f.length, () => 0);
      }
      rows.push({ resource: "numfile", held: files, maxheld: files, limit: rec.limits.numfile, failcnt: 0, unit: "files" });
    }
    return rows;
  }

  async hostInfo() {
    const { storage, cgroups, runtime } = this.drivers;
    return {
      version: ENGINE_VERSION,
      hostname: os.hostname(),
      kernel: os.release(),
      cpus: this.hostCpus,
      memoryBytes: os.totalmem(),
      runtime: runtime.name,
      cgroupVersion: cgroups.version,
      storage: { driver: storage.name, caps: storage.caps, ...(await storage.space()) },
      containers: (await this.records.list()).length,
      limits: Object.values(LIMITS),
    };
  }

  // ---------------------------------------------------------------- snapshots and backups (snapshots.ts, backup/)

  private dataOps?: DataOps;
  private get data(): DataOps {
    if (!this.dataOps) {
      const internals: EngineInternals = {
        config: this.config,
        drivers: this.drivers,
        records: this.records,
        journal: this.journal,
        net: this.net,
        withLock: (ctid, fn) => this.withLock(ctid, fn),
        mustGet: (ctid) => this.mustGet(ctid),
        failpoint: (name) => this.failpoint(name),
        removeHostResources: (ctid) => this.removeHostResources(ctid, { removeRecord: true }),
        reserveSlot: async (want) => {
          const slot = want === undefined ? await this.allocateSlot() : await this.claimSlot(want);
          this.reservedSlots.add(slot);
          return { slot, release: () => this.reservedSlots.delete(slot) };
        },
        writeRuntimeConfig: (rec) => this.writeRuntimeConfig(rec),
        assertCtidFree: (ctid) => this.assertCtidFree(ctid),
        checkDiskSpace: (limits) => this.checkDiskSpace(limits),
        validateLimits: (base, patch) => this.validateLimits(base, patch),
        newContainerDefaults: () => this.newContainerDefaults(),
        info: (rec) => this.info(rec),
      };
      const snapshots = new SnapshotOps(internals);
      const writeSystemFiles = async (rec: ContainerRecord) => {
        await this.writeHostname(rec, false);
        await this.writeResolvConf(rec, false);
      };
      const reinstall = new ReinstallOps(internals, { writeSystemFiles });
      const clones = new CloneOps(internals, snapshots, { checkName: (name, ctid) => this.checkName(name, ctid), writeSystemFiles });
      const checkpoints = new CheckpointOps({
        ...internals,
        runtimeConfigText: async (rec) =>
          this.drivers.runtime.render(this.runtimeSpec(rec, this.drivers.cgroups.lxcKeys(await this.cgroupLimits(rec.limits)), await this.net.lxcKeys(rec.ctid, rec.net))),
        hostGid: (rec) => this.config.idmapBase + rec.idmapSlot * IDMAP_SIZE,
        applyLimits: async (rec) => {
          await this.applyLive(rec.ctid, rec.limits);
          await this.applyNofile(rec.ctid, rec.limits.numfile);
        },
        cpuStopped: (ctid) => this.cpu.stopped(ctid),
      });
      const migrations = new MigrateOps({
        ...internals,
        checkpoints,
        start: (ctid, ctx) => this.start(ctid, ctx),
        stopLocked: (rec, ctx) => this.stopLocked(rec, {}, ctx),
        checkName: (name, ctid) => this.checkName(name, ctid),
        checkHostname,
        destroy: (ctid, ctx) => this.destroy(ctid, { force: true }, ctx),
      });
      this.dataOps = { snapshots, backups: new BackupOps(internals, snapshots), reinstall, checkpoints, migrations, clones };
    }
    return this.dataOps;
  }

  // ---------------------------------------------------------------- migration (migrate.ts)

  migratePrepare(ctid: number, live: boolean): Promise<MigrateManifest> {
    return this.data.migrations.prepare(ctid, live);
  }
  migrateFreeze(ctid: number, ctx: OpContext = silent): Promise<{ dumpBytes: number }> {
    return this.data.migrations.freeze(ctid, ctx);
  }
  migrateAbort(ctid: number, ctx: OpContext = silent): Promise<ContainerInfo> {
    return this.data.migrations.abort(ctid, ctx);
  }
  migrateCommit(ctid: number, ctx: OpContext = silent): Promise<void> {
    return this.data.migrations.commit(ctid, ctx);
  }
  migrateAccept(m: MigrateManifest): Promise<{ idmapSlot: number }> {
    return this.data.migrations.accept(m);
  }
  migrateFinish(ctid: number, ctx: OpContext = silent): Promise<ContainerInfo> {
    return this.data.migrations.finish(ctid, ctx);
  }
  migrateCleanup(ctid: number): Promise<void> {
    return this.data.migrations.cleanup(ctid);
  }
  migrateCancel(ctid: number): Promise<{ removed: boolean }> {
    return this.data.migrations.cancel(ctid);
  }
  /** The host command of one stream phase (protocol/migrate-stream.ts runs it). */
  migrateStreamCommand(ctid: number, phase: MigratePhase, direction: "send" | "receive"): Promise<{ cmd: string; args: string[] }> {
    return direction === "send" ? this.data.migrations.sendCommand(ctid, phase) : this.data.migrations.receiveCommand(ctid, phase);
  }

  snapshotCreate(ctid: number, req: { name?: string; description?: string }, ctx: OpContext = silent): Promise<SnapshotInfo> {
    return this.data.snapshots.create(ctid, req, ctx);
  }
  snapshotList(ctid: number): Promise<SnapshotInfo[]> {
    return this.data.snapshots.list(ctid);
  }
  async snapshotRollback(ctid: number, name: string, ctx: OpContext = silent): Promise<ContainerInfo> {
    await this.data.snapshots.rollback(ctid, name, ctx);
    return this.status(ctid);
  }
  snapshotDelete(ctid: number, name: string): Promise<void> {
    return this.data.snapshots.delete(ctid, name);
  }
  backupCreate(ctid: number, ctx: OpContext = silent): Promise<BackupInfo> {
    return this.data.backups.create(ctid, ctx);
  }
  backupList(ctid?: number): Promise<BackupInfo[]> {
    return this.data.backups.list(ctid);
  }
  backupDelete(id: string): Promise<void> {
    return this.data.backups.delete(id);
  }
  backupRestore(req: RestoreRequest, ctx: OpContext = silent): Promise<ContainerInfo> {
    return this.data.backups.restore(req, ctx);
  }
  /** A backup's archive file and its manifest's size and sha256 (backup.download streams it). */
  async backupFile(id: string): Promise<{ path: string; sizeBytes: number; sha256: string }> {
    const m = await this.data.backups.load(id);
    return { path: this.data.backups.archivePath(id), sizeBytes: m.archive.sizeBytes, sha256: m.archive.sha256 };
  }
  reinstall(req: ReinstallRequest, ctx: OpContext = silent): Promise<ContainerInfo> {
    return this.data.reinstall.reinstall(req, ctx);
  }
  /** A new container whose root filesystem is a CoW copy of another's (clone.ts); it starts stopped. */
  clone(req: CloneRequest, ctx: OpContext = silent): Promise<ContainerInfo> {
    return this.data.clones.clone(req, ctx);
  }

  /** Replace root's authorized_keys (validated OpenSSH public keys); running: from inside, stopped: into the rootfs. */
  async setSshKeys(ctid: number, keysText: string): Promise<number> {
    const keys = parseSshKeys(keysText);
    await this.mustGet(ctid);
    return this.withLock(ctid, async () => {
      await this.mustGet(ctid);
      const st = await this.drivers.runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
      if (st === "STOPPED") await writeAuthorizedKeys({ running: false, rootfs: this.drivers.storage.containerPath(ctid) }, keys);
      else await writeAuthorizedKeys({ running: true, exec: (argv, input) => this.drivers.runtime.exec(ctid, argv, { input }) }, keys);
      return keys.length;
    });
  }

  // ---------------------------------------------------------------- templates

  async templateUsers(name: string): Promise<number[]> {
    return (await this.records.list()).filter((r) => r.template === name).map((r) => r.ctid);
  }

  async deleteTemplate(name: string): Promise<void> {
    await this.drivers.templates.get(name);
    await this.drivers.templates.delete(name, await this.templateUsers(name));
  }
}

// ---------------------------------------------------------------- small pure helpers

function hostCpuCount(): number {
  try {
    const text = readFileSync("/sys/devices/system/cpu/online", "utf8").trim();
    let n = 0;
    for (const part of text.split(",")) {
      const [a, b] = part.split("-").map(Number);
      n += b === undefined ? 1 : b - a! + 1;
    }
    return n || os.cpus().length;
  } catch {
    return os.cpus().length;
  }
}

function ownHardNofile(): number {
  try {
    const m = /^Max open files\s+\S+\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"));
    return m && m[1] !== "unlimited" ? Number(m[1]) : 1_048_576;
  } catch {
    return 1_048_576;
  }
}

/** "<pid>-<start time in clock ticks since boot>": unique per run of a container's init. */
async function bootId(pid: number): Promise<string | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // fields after the command (which may contain spaces) start after the last ")"
    const starttime = stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19];
    return starttime ? `${pid}-${starttime}` : null;
  } catch {
    return null;
  }
}

async function readNofile(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/limits`, "utf8");
    const m = /^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)/m.exec(text);
    return m && m[1] !== "unlimited" ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The max= of the devpts mounted at /dev/pts in the mount namespace of `pid` (the container's PTY limit). */
async function readPtyMax(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/mountinfo`, "utf8");
    for (const line of text.split("\n")) {
      const [pre, post] = line.split(" - ");
      if (pre?.split(" ")[4] !== "/dev/pts" || !post?.startsWith("devpts ")) continue;
      const m = /(?:^|,)max=(\d+)/.exec(post.split(" ")[2] ?? "");
      return m ? Number(m[1]) : null;
    }
    return null;
  } catch {
    return null;
  }
}

/** LXC maps container ids into the host range it finds delegated to root in /etc/subuid and /etc/subgid. */
function ensureSubIds(base: number, count: number): void {
  for (const f of ["/etc/subuid", "/etc/subgid"]) {
    let text = "";
    try {
      text = readFileSync(f, "utf8");
    } catch {
      /* created below */
    }
    const covered = text.split("\n").some((l) => {
      const [u, s, c] = l.split(":");
      return u === "root" && Number(s) <= base && Number(s) + Number(c) >= base + count;
    });
    if (!covered) appendFileSync(f, `${text && !text.endsWith("\n") ? "\n" : ""}root:${base}:${count}\n`);
  }
}

export { isEngineError };
export { checkCtid, checkHostname, MAX_CTID } from "./checks.js";
