/**
 * The host engine: the parts that own containers on this host, as wire.ts assembled them, and its start-up.
 * Each part validates a whole request before touching the host, journals multi-step host changes (undo on
 * failure, repair on restart — recover() below), serialises operations per container (the core's locks),
 * and talks to the host only through the drivers. The protocol handlers call the parts directly.
 */
import type { EngineCore } from "./engine-core.js";
import type { Lifecycle } from "./engine-lifecycle.js";
import type { ContainerSettings } from "./engine-settings.js";
import type { NetworkOps } from "./engine-network.js";
import type { Queries } from "./engine-queries.js";
import type { SnapshotOps } from "./snapshots.js";
import type { BackupOps } from "./backup/backups.js";
import type { ReinstallOps } from "./reinstall.js";
import type { CheckpointOps } from "./checkpoint.js";
import type { MigrateOps } from "./migrate.js";
import type { CloneOps } from "./clone.js";
import type { HostPower } from "./host-power.js";
import type { PendingEntry } from "./journal.js";
import type { ContainerRecord } from "./records.js";
import type { RunView } from "./drivers/runtime/types.js";
import { closeGate } from "./gate.js";
import { pruneRootLinks } from "./root-links.js";

export interface EngineParts {
  core: EngineCore;
  lifecycle: Lifecycle;
  settings: ContainerSettings;
  network: NetworkOps;
  queries: Queries;
  snapshots: SnapshotOps;
  backups: BackupOps;
  reinstall: ReinstallOps;
  checkpoints: CheckpointOps;
  migrations: MigrateOps;
  clones: CloneOps;
  power: HostPower;
}

export class Engine {
  readonly core: EngineCore;
  readonly lifecycle: Lifecycle;
  readonly settings: ContainerSettings;
  readonly network: NetworkOps;
  readonly queries: Queries;
  readonly snapshots: SnapshotOps;
  readonly backups: BackupOps;
  readonly reinstall: ReinstallOps;
  readonly checkpoints: CheckpointOps;
  readonly migrations: MigrateOps;
  readonly clones: CloneOps;
  readonly power: HostPower;

  constructor(p: EngineParts) {
    this.core = p.core;
    this.lifecycle = p.lifecycle;
    this.settings = p.settings;
    this.network = p.network;
    this.queries = p.queries;
    this.snapshots = p.snapshots;
    this.backups = p.backups;
    this.reinstall = p.reinstall;
    this.checkpoints = p.checkpoints;
    this.migrations = p.migrations;
    this.clones = p.clones;
    this.power = p.power;
  }

  async init(log: (l: string) => void = () => {}): Promise<void> {
    const { core } = this;
    await core.prepareHost(log);
    // the containers' view of /proc: lxcfs keeps running across engine restarts; started here if it is not
    await core.view.prepare();
    await this.recover(log);
    await this.backups.init(log);
    // every container's state in one call (cgroups, not one lxc-info per container)
    const recs = await core.records.list();
    const views = await core.drivers.runtime.states(recs.map((r) => r.ctid));
    const stateOf = (ctid: number) => views.get(ctid) ?? { state: "STOPPED" as const, initPid: null };
    const isRunning = async (ctid: number) => stateOf(ctid).state !== "STOPPED";
    await core.net.init(recs, isRunning, log);
    await this.reconcileRunning(recs, stateOf, log);
    await this.reconcileRootLinks(log);
    await this.checkpoints.sweep(new Set((await core.records.list()).map((r) => r.ctid)));
    await this.migrations.sweep((await core.records.list()).map((r) => r.ctid));
  }

  /** Undo or finish operations that a crash interrupted. Idempotent. */
  async recover(log: (l: string) => void = () => {}): Promise<PendingEntry[]> {
    const pending = await this.core.journal.pending();
    for (const p of pending) {
      const { op, ctid } = p.header;
      if (op === "create" && p.committed) {
        log(`recovery: create of ${ctid} had committed; closing its journal`);
      } else if (op === "create") {
        log(`recovery: undoing interrupted create of ${ctid} (steps done: ${p.steps.join(", ") || "none"})`);
        await this.core.removeHostResources(ctid, { removeRecord: true });
      } else if (op === "destroy") {
        log(`recovery: finishing interrupted destroy of ${ctid}`);
        await this.core.removeHostResources(ctid, { removeRecord: true });
      } else if (op === "reinstall") {
        await this.reinstall.recover(p, log);
      } else if (op === "rollback") {
        await this.snapshots.recover(p, log);
      } else if (op === "restore" || op === "backup") {
        await this.backups.recover(p, log);
      } else if (op === "checkpoint" || op === "resume") {
        await this.checkpoints.recover(p, log);
      } else if (op === "migrate-in") {
        await this.migrations.recover(p, log);
      } else if (op === "clone") {
        await this.clones.recover(p, log);
      }
      await this.core.journal.remove(p.id);
    }
    return pending;
  }

  /**
   * Re-apply persisted limits to running containers (a crash may have happened between apply and persist),
   * and rebuild the CPU placement from the cpusets the kernel holds (nobody moves needlessly).
   */
  private async reconcileRunning(
    recs: ContainerRecord[],
    stateOf: (ctid: number) => RunView,
    log: (l: string) => void,
  ): Promise<void> {
    const { core } = this;
    const { cgroups } = core.drivers;
    const running: ContainerRecord[] = [];
    for (const rec of recs) {
      const { state: st, initPid } = stateOf(rec.ctid);
      if (st === "RUNNING" || st === "FROZEN") {
        running.push(rec);
        try {
          await cgroups.apply(core.cgroupDir(rec.ctid), await core.liveLimits(rec.limits));
        } catch (e) {
          log(`reconcile: could not re-apply limits of ${rec.ctid}: ${(e as Error).message}`);
        }
        // host side of the network (gateway address, bridge port, shaping, proxy ARP) is idempotent
        const pid = rec.net?.venet.some((a) => a.includes(":")) ? initPid : null;
        await core.net
          .postStart(rec.ctid, rec.net, pid)
          .catch((e) => log(`reconcile: network of ${rec.ctid}: ${(e as Error).message}`));
      } else if (st === "STOPPED") {
        // stopped behind the engine's back (halt from inside, crash): close its gate
        await closeGate(core.config.lxcPath, rec.ctid).catch((e) => log(`reconcile: ${(e as Error).message}`));
      }
    }
    await core.cpu.adopt(running).catch((e) => log(`reconcile: CPU placement: ${(e as Error).message}`));
  }

  /** Root links (<stateDir>/root/<ctid>) for every container, none for containers that are gone. */
  private async reconcileRootLinks(log: (l: string) => void): Promise<void> {
    const recs = await this.core.records.list();
    for (const rec of recs) {
      await this.core
        .ensureRootLink(rec)
        .catch((e) => log(`reconcile: root link of ${rec.ctid}: ${(e as Error).message}`));
    }
    await pruneRootLinks(this.core.config.stateDir, new Set(recs.map((r) => String(r.ctid))));
  }
}
