/**
 * Migration, source node (see migrate.ts for the whole sequence): prepare (base snapshot), freeze (CRIU dump
 * or stop, final snapshot), abort, commit, and what each phase sends. What abort has to undo is kept in
 * <stateDir>/migrations/<ctid>.json, so it works after a source engine restart too.
 */
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { CheckpointOps } from "./checkpoint.js";
import type { ContainerInfo, OpContext } from "./engine-types.js";
import { EngineError } from "./errors.js";
import { readJson, writeFileAtomic } from "./fsutil.js";
import { BASE, FINAL, type MigrateDeps, type MigrateLifecycle } from "./migrate-common.js";
import type { MigrateManifest, MigratePhase } from "./migrate-manifest.js";

const sourceState = z.object({ ctid: z.number(), live: z.boolean(), wasRunning: z.boolean(), frozen: z.boolean() });
type SourceState = z.infer<typeof sourceState>;

export class MigrateSource {
  constructor(
    private readonly e: MigrateDeps,
    private readonly checkpoints: CheckpointOps,
    private readonly life: MigrateLifecycle,
  ) {}

  private stateFile(ctid: number): string {
    return path.join(this.e.config.stateDir, "migrations", `${ctid}.json`);
  }
  private async readState(ctid: number): Promise<SourceState | null> {
    const s = sourceState.safeParse(await readJson<unknown>(this.stateFile(ctid)).catch(() => null));
    return s.success ? s.data : null;
  }
  private async writeState(s: SourceState): Promise<void> {
    await mkdir(path.dirname(this.stateFile(s.ctid)), { recursive: true, mode: 0o700 });
    await writeFileAtomic(this.stateFile(s.ctid), JSON.stringify(s) + "\n", 0o600);
  }
  private dumpDir(ctid: number): string {
    return this.checkpoints.dumpDir(ctid);
  }

  /** Source: check the container can move, take the base snapshot while it runs; the manifest for the target. */
  async prepare(ctid: number, live: boolean): Promise<MigrateManifest> {
    await this.e.mustGet(ctid);
    return this.e.withLock(ctid, async () => {
      const rec = await this.e.mustGet(ctid);
      const { runtime, storage } = this.e.drivers;
      const st = await runtime.state(ctid);
      if (st === "FROZEN")
        throw new EngineError("FROZEN", `container ${ctid} is frozen; resume it first, then migrate it`);
      if (await this.checkpoints.info(ctid))
        throw new EngineError(
          "FROZEN",
          `container ${ctid} is checkpointed to disk; resume it (or stop it) first, then migrate it`,
        );
      if (live && st !== "RUNNING")
        throw new EngineError(
          "NOT_RUNNING",
          `container ${ctid} is not running; a live migration moves a running container — migrate it offline instead`,
        );
      const snaps = await storage.listSnapshots(ctid);
      if (snaps.length) {
        throw new EngineError(
          "UNSUPPORTED",
          `container ${ctid} has snapshots (${snaps.join(", ")}); snapshots do not migrate: delete them (or back the container up) first`,
        );
      }
      await this.dropSnapshots(ctid);
      await storage.flushContainerVolume(ctid);
      await storage.createSnapshot(ctid, BASE);
      await this.writeState({ ctid, live, wasRunning: st === "RUNNING", frozen: false });
      return { record: { ...rec, limits: { ...rec.limits }, net: rec.net }, live, wasRunning: st === "RUNNING" };
    });
  }

  /** Source: stop the container's activity — CRIU dump (live) or a stop (offline) — and take the final snapshot. */
  async freeze(ctid: number, ctx: OpContext): Promise<{ dumpBytes: number }> {
    const state = await this.readState(ctid);
    if (!state)
      throw new EngineError(
        "BAD_REQUEST",
        `no migration of container ${ctid} is being prepared on this node; call migrate.prepare first`,
      );
    let dumpBytes = 0;
    if (state.live) {
      await this.writeState({ ...state, frozen: true }); // before the dump: an abort must look for one
      await this.checkpoints.checkpoint(ctid, ctx);
      dumpBytes = (await this.checkpoints.info(ctid))?.sizeBytes ?? 0;
    } else {
      await this.e.withLock(ctid, async () => {
        const rec = await this.e.mustGet(ctid);
        await this.writeState({ ...state, frozen: true });
        if ((await this.e.drivers.runtime.state(ctid)) !== "STOPPED") await this.life.stopLocked(rec, {}, ctx);
      });
    }
    await this.e.withLock(ctid, async () => {
      await this.e.drivers.storage.deleteSnapshot(ctid, FINAL);
      await this.e.drivers.storage.createSnapshot(ctid, FINAL);
    });
    return { dumpBytes };
  }

  /** Source: the migration failed; leave the container as it was (running again if it ran). Idempotent. */
  async abort(ctid: number, ctx: OpContext): Promise<ContainerInfo> {
    const rec = await this.e.mustGet(ctid);
    const state = await this.readState(ctid);
    await this.e.withLock(ctid, () => this.dropSnapshots(ctid));
    const st = await this.e.drivers.runtime.state(ctid);
    // only what the move did is undone: a dump of a container the admin had suspended before stays as it is
    if (st === "STOPPED" && state?.frozen && state.live && (await this.checkpoints.info(ctid))) {
      ctx.log(`restoring container ${ctid} on this node from its migration dump`);
      try {
        await this.checkpoints.restore(ctid, ctx);
      } catch (e) {
        // the container must not stay down because of its dump: boot it afresh (its processes restart)
        ctx.log(`the dump could not be restored (${(e as Error).message}); starting container ${ctid} afresh instead`);
        await this.checkpoints.remove(ctid);
        await this.life.start(ctid, ctx);
      }
    } else if (st === "STOPPED" && state?.frozen && state.wasRunning) {
      ctx.log(`starting container ${ctid} again on this node`);
      await this.life.start(ctid, ctx);
    }
    await rm(this.stateFile(ctid), { force: true });
    return this.e.info(rec);
  }

  /** Source: the container runs on the target; remove it here. */
  async commit(ctid: number, ctx: OpContext): Promise<void> {
    await this.life.destroy(ctid, { force: true }, ctx);
    await rm(this.stateFile(ctid), { force: true });
  }

  private async dropSnapshots(ctid: number): Promise<void> {
    for (const n of [FINAL, BASE]) await this.e.drivers.storage.deleteSnapshot(ctid, n);
  }

  /** Source: the command writing a phase's bytes to stdout. */
  async sendCommand(ctid: number, phase: MigratePhase): Promise<{ cmd: string; args: string[] }> {
    await this.e.mustGet(ctid);
    const { storage } = this.e.drivers;
    if (phase === "base") return storage.sendCommand(ctid, BASE, null);
    if (phase === "delta") return storage.sendCommand(ctid, FINAL, BASE);
    if (!(await this.checkpoints.info(ctid)))
      throw new EngineError("NOT_FOUND", `container ${ctid} has no dump to send; freeze it (live) first`);
    return { cmd: "tar", args: ["-C", this.dumpDir(ctid), "-cf", "-", "."] };
  }

  /** Engine start: .mig snapshots of containers no migration is preparing any more (the panel aborts those). */
  async sweep(existing: number[]): Promise<void> {
    for (const ctid of existing) {
      if (await this.readState(ctid)) continue; // abort still has to run (it restores a frozen container)
      // best effort: a snapshot left over only takes space until the next engine start sweeps again
      await this.e.bestEffort(`container ${ctid}: leftover migration snapshots`, this.dropSnapshots(ctid));
    }
    for (const n of await readdir(path.join(this.e.config.stateDir, "migrations")).catch(() => [] as string[])) {
      const m = /^(\d+)\.json$/.exec(n);
      if (m && !existing.includes(Number(m[1])))
        await rm(path.join(this.e.config.stateDir, "migrations", n), { force: true });
    }
  }
}
