/**
 * Migration of a container between nodes (vzmigrate), engine side. The panel (server/services/migrate.ts)
 * drives both engines and relays the bytes between them (protocol/migrate-stream.ts); the engines never
 * talk to each other, so a node trusts only the panel.
 *
 * Source node                                   Target node
 *   migrate.prepare: snapshot .mig-base            migrate.accept: checks ctid, ids, addresses, space;
 *                                                  journal "migrate-in" (undone after a crash)
 *   send base (btrfs send / tar)        ────────►  receive base into the incoming area
 *   migrate.freeze: live → CRIU dump (stops it);
 *                   offline → stop; snapshot .mig-final
 *   send delta (btrfs send -p base)     ────────►  receive delta
 *   send dump (tar of the CRIU images)  ────────►  receive dump                (live only)
 *                                                  migrate.finish: adopt volume, record, config;
 *                                                  restore the dump (live) or start (was running)
 *   migrate.commit: destroy the source copy
 *
 * On any failure the panel calls migrate.cancel on the target (removes everything it received or made for
 * the container, and only while its "migrate-in" journal is open — an existing container is never touched)
 * and migrate.abort on the source (deletes the .mig snapshots; a container frozen for the move is restored
 * from its dump, one stopped for an offline move is started again). The source remembers in
 * <stateDir>/migrations/<ctid>.json what abort has to undo, so this works after a source engine restart too.
 *
 * The parts: migrate-source.ts, migrate-target.ts (the two sides), migrate-common.ts, migrate-command.ts (the
 * host command of a stream phase).
 */
import type { CheckpointOps } from "./checkpoint.js";
import type { ContainerInfo, OpContext } from "./engine-types.js";
import type { PendingEntry } from "./journal.js";
import type { MigrateDeps, MigrateLifecycle } from "./migrate-common.js";
import type { MigrateManifest, MigratePhase } from "./migrate-manifest.js";
import { MigrateSource } from "./migrate-source.js";
import { MigrateTarget } from "./migrate-target.js";

export { MIGRATE_PHASES, migrateManifest, type MigrateManifest, type MigratePhase } from "./migrate-manifest.js";
export type { MigrateDeps, MigrateLifecycle } from "./migrate-common.js";
export { GARP_BIN } from "./migrate-target.js";
export { runStreamCommand } from "./migrate-command.js";

/** Both sides of a migration; an engine is the source of some moves and the target of others. */
export class MigrateOps {
  private readonly source: MigrateSource;
  private readonly target: MigrateTarget;

  constructor(e: MigrateDeps, checkpoints: CheckpointOps, life: MigrateLifecycle) {
    this.source = new MigrateSource(e, checkpoints, life);
    this.target = new MigrateTarget(e, checkpoints, life);
  }

  // ------------------------------------------------------------------------------------------ source

  prepare(ctid: number, live: boolean): Promise<MigrateManifest> {
    return this.source.prepare(ctid, live);
  }
  freeze(ctid: number, ctx: OpContext): Promise<{ dumpBytes: number }> {
    return this.source.freeze(ctid, ctx);
  }
  abort(ctid: number, ctx: OpContext): Promise<ContainerInfo> {
    return this.source.abort(ctid, ctx);
  }
  commit(ctid: number, ctx: OpContext): Promise<void> {
    return this.source.commit(ctid, ctx);
  }
  sendCommand(ctid: number, phase: MigratePhase): Promise<{ cmd: string; args: string[] }> {
    return this.source.sendCommand(ctid, phase);
  }
  sweep(existing: number[]): Promise<void> {
    return this.source.sweep(existing);
  }

  // ------------------------------------------------------------------------------------------ target

  accept(m: MigrateManifest): Promise<{ idmapSlot: number }> {
    return this.target.accept(m);
  }
  receiveCommand(ctid: number, phase: MigratePhase): Promise<{ cmd: string; args: string[] }> {
    return this.target.receiveCommand(ctid, phase);
  }
  finish(ctid: number, ctx: OpContext): Promise<ContainerInfo> {
    return this.target.finish(ctid, ctx);
  }
  cleanup(ctid: number): Promise<void> {
    return this.target.cleanup(ctid);
  }
  cancel(ctid: number): Promise<{ removed: boolean }> {
    return this.target.cancel(ctid);
  }
  recover(p: PendingEntry, log: (l: string) => void): Promise<void> {
    return this.target.recover(p, log);
  }
}
