/**
 * Container snapshots: instant point-in-time copies of a container's root filesystem (btrfs: read-only
 * CoW snapshots at <pool>/snapshots/<ctid>/<name>; dir driver: full copies), and rollback to one.
 *
 * - Consistency: a running container is frozen (cgroup freezer) for the instant of the snapshot and always
 *   thawed afterwards, so the snapshot never holds a half-written state of several processes.
 * - Truth: the snapshot volumes on disk. Metadata (description, creation time) lives next to the records
 *   in <stateDir>/snapshots/<ctid>.json, written atomically after the volume exists and before it is
 *   deleted, so a crash leaves at worst a snapshot without a description — never metadata that lies.
 * - Rollback (container stopped): a writable CoW copy of the snapshot is built as the staging volume, then
 *   swapped in for the current one (storage/swap.ts), the disk limit re-applied to the new volume and the
 *   old one deleted. Journaled: a crash before the commit puts the old volume back at the next engine
 *   start; after it, recovery deletes the old volume. The container is never without a root filesystem.
 * - Snapshot data is not charged to the container's disk limit (like ZFS refquota): OVZ_MAX_SNAPSHOTS
 *   caps how many a container may keep.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import type { OpContext } from "./engine-types.js";
import type { EngineInternals } from "./engine-internals.js";
import { EngineError, wrapError } from "./errors.js";
import type { PendingEntry } from "./journal.js";
import { checkpointedError, hasCheckpoint } from "./checkpoint-store.js";
import { SnapshotMetaStore, type MetaFile } from "./snapshot-meta.js";
import { checkDescription, checkSnapshotName, defaultSnapshotName } from "./snapshot-names.js";

export {
  checkDescription,
  checkSnapshotName,
  defaultSnapshotName,
  MAX_DESCRIPTION,
  SNAPSHOT_NAME_RE,
} from "./snapshot-names.js";

export interface SnapshotInfo {
  name: string;
  description: string;
  createdAt: string;
  /** bytes only this snapshot holds (what deleting it frees); null when the driver cannot tell cheaply */
  sizeBytes: number | null;
}

export class SnapshotOps {
  readonly meta: SnapshotMetaStore;

  constructor(private readonly h: EngineInternals) {
    this.meta = new SnapshotMetaStore(path.join(h.config.stateDir, "snapshots"));
  }

  async create(ctid: number, req: { name?: string; description?: string }, ctx: OpContext): Promise<SnapshotInfo> {
    if (req.name !== undefined) checkSnapshotName(req.name);
    const description = checkDescription(req.description ?? "");
    await this.h.mustGet(ctid);
    return this.h.withLock(ctid, async () => {
      await this.h.mustGet(ctid);
      const { storage } = this.h.drivers;
      const existing = await storage.listSnapshots(ctid);
      const name = req.name ?? defaultSnapshotName(new Date(), existing);
      if (existing.includes(name)) {
        throw new EngineError(
          "BAD_REQUEST",
          `container ${ctid} already has a snapshot named "${name}"; pick another name or delete that one`,
        );
      }
      if (existing.length >= this.h.config.maxSnapshots) {
        throw new EngineError(
          "BAD_REQUEST",
          `container ${ctid} already has ${existing.length} snapshots, the most allowed (OVZ_MAX_SNAPSHOTS=${this.h.config.maxSnapshots}); delete one first`,
        );
      }
      const t0 = performance.now();
      const { frozenMs } = await this.take(ctid, name, ctx);
      const createdAt = new Date().toISOString();
      const meta = await this.meta.read(ctid);
      meta[name] = { description, createdAt };
      await this.meta.write(ctid, this.pruned(meta, [...existing, name]));
      const took = performance.now() - t0;
      ctx.progress(
        100,
        `snapshot "${name}" taken in ${took.toFixed(0)} ms${frozenMs === null ? "" : ` (container frozen for ${frozenMs.toFixed(0)} ms)`}`,
      );
      const sizes = await storage.snapshotSizes(ctid).catch(() => new Map<string, number | null>());
      return { name, description, createdAt, sizeBytes: sizes.get(name) ?? null };
    });
  }

  /**
   * Snapshot the volume, freezing a running container for the instant (thawed again even on error).
   * A suspended container is already frozen and stays so. The caller holds the container's lock.
   */
  async take(ctid: number, name: string, ctx: OpContext): Promise<{ frozenMs: number | null }> {
    return this.whileFrozen(ctid, ctx, () => this.h.drivers.storage.createSnapshot(ctid, name));
  }

  /**
   * Run `copy` (a snapshot or copy of the container's volume) on a consistent volume: a running container is
   * frozen for it and always thawed afterwards, so the copy never holds a half-written state of several
   * processes; a suspended one is already frozen and stays so; a stopped one is not touched. `marks.freezing`
   * runs before the freeze and `marks.thawed` after the thaw, outside the frozen time (a journal records them:
   * a crash in between is thawed at the next engine start). The caller holds the container's lock.
   */
  async whileFrozen(
    ctid: number,
    ctx: OpContext,
    copy: () => Promise<void>,
    marks?: { freezing(): Promise<void>; thawed(): Promise<void> },
  ): Promise<{ frozenMs: number | null }> {
    const { runtime, storage } = this.h.drivers;
    const st = await runtime.state(ctid);
    const freeze = st === "RUNNING" || st === "THAWED";
    if (!freeze) {
      await copy();
      return { frozenMs: null };
    }
    await storage.flushContainerVolume(ctid); // most dirty data goes out while the container still runs
    await marks?.freezing();
    ctx.log(`freezing container ${ctid} for a consistent copy of its files`);
    const t0 = performance.now();
    await runtime.freeze(ctid);
    let frozenMs: number;
    try {
      await copy();
    } finally {
      await runtime.unfreeze(ctid).catch(async (e) => {
        // one retry; a container left frozen must not go unnoticed
        await runtime.unfreeze(ctid).catch(() => {
          throw wrapError(
            e,
            `container ${ctid} could not be thawed after the copy of its files; resume it with container.resume`,
          );
        });
      });
      frozenMs = performance.now() - t0;
      await marks?.thawed();
    }
    return { frozenMs };
  }

  async list(ctid: number): Promise<SnapshotInfo[]> {
    await this.h.mustGet(ctid);
    const { storage } = this.h.drivers;
    const names = await storage.listSnapshots(ctid);
    const meta = await this.meta.read(ctid);
    const sizes = await storage.snapshotSizes(ctid).catch(() => new Map<string, number | null>());
    const out: SnapshotInfo[] = [];
    for (const name of names) {
      const m = meta[name];
      // no metadata: the engine stopped between taking the snapshot and recording it
      const createdAt =
        m?.createdAt ??
        (await stat(storage.snapshotPath(ctid, name)).then(
          (s) => s.birthtime.toISOString(),
          () => new Date(0).toISOString(),
        ));
      out.push({ name, description: m?.description ?? "", createdAt, sizeBytes: sizes.get(name) ?? null });
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.name.localeCompare(b.name));
  }

  async delete(ctid: number, name: string): Promise<void> {
    checkSnapshotName(name);
    await this.h.mustGet(ctid);
    await this.h.withLock(ctid, async () => {
      await this.h.mustGet(ctid);
      const { storage } = this.h.drivers;
      const names = await storage.listSnapshots(ctid);
      if (!names.includes(name)) throw this.notFound(ctid, name, names);
      await storage.deleteSnapshot(ctid, name);
      await this.meta.write(
        ctid,
        this.pruned(
          await this.meta.read(ctid),
          names.filter((n) => n !== name),
        ),
      );
    });
  }

  /** Replace the container's root filesystem by the snapshot's. The container must be stopped. */
  async rollback(ctid: number, name: string, ctx: OpContext): Promise<void> {
    checkSnapshotName(name);
    await this.h.mustGet(ctid);
    await this.h.withLock(ctid, async () => {
      const rec = await this.h.mustGet(ctid);
      const { storage, runtime } = this.h.drivers;
      const names = await storage.listSnapshots(ctid);
      if (!names.includes(name)) throw this.notFound(ctid, name, names);
      const st = await runtime.state(ctid);
      if (st !== "STOPPED") {
        throw new EngineError(
          "RUNNING",
          `container ${ctid} is ${st === "FROZEN" ? "suspended" : "running"}; stop it first, then roll back to snapshot "${name}" (a rollback replaces its whole root filesystem)`,
        );
      }
      if (hasCheckpoint(this.h.config.stateDir, ctid)) throw checkpointedError(ctid, `roll back to snapshot "${name}"`);
      const journal = await this.h.journal.begin("rollback", ctid, { snapshot: name });
      try {
        await storage.discardStaging(ctid); // leftovers, if any, are not ours to keep
        ctx.progress(10, `copying snapshot "${name}" (copy-on-write)`);
        await journal.step("staging");
        await storage.createStagingVolume(ctid, { snapshot: name });
        await this.h.failpoint("rollback:staging");
        ctx.progress(60, "switching the root filesystem");
        await journal.step("swap");
        await storage.retireCurrent(ctid);
        await this.h.failpoint("rollback:swap");
        await storage.promoteStaging(ctid);
        if (storage.caps.quota)
          await storage.setQuota(ctid, { bytes: rec.limits.diskspace, inodes: rec.limits.diskinodes || null });
        await journal.commit();
        await this.h.failpoint("rollback:commit");
      } catch (e) {
        ctx.log(`rollback failed, putting the previous root filesystem back: ${(e as Error).message}`);
        try {
          await storage.revertStaging(ctid);
          await journal.close();
        } catch (u) {
          // the journal entry stays: the next engine start reverts again
          ctx.log(`undo incomplete (repaired at the next engine start): ${(u as Error).message}`);
        }
        throw wrapError(e, `Failed to roll container ${ctid} back to snapshot "${name}"`);
      }
      ctx.progress(90, "removing the replaced root filesystem");
      try {
        await storage.discardStaging(ctid);
        await journal.close();
      } catch (e) {
        ctx.log(`could not remove the replaced volume yet (removed at the next engine start): ${(e as Error).message}`);
      }
      ctx.progress(100, `container ${ctid} rolled back to snapshot "${name}"`);
    });
  }

  /** Journal recovery of an interrupted rollback: before its commit, undo; after it, finish. */
  async recover(p: PendingEntry, log: (l: string) => void): Promise<void> {
    const { ctid } = p.header;
    const { storage } = this.h.drivers;
    if (p.committed) {
      log(`recovery: rollback of ${ctid} had committed; removing its replaced volume`);
      await storage.discardStaging(ctid);
    } else {
      log(
        `recovery: undoing interrupted rollback of ${ctid} (steps done: ${p.steps.join(", ") || "none"}); it keeps its root filesystem from before`,
      );
      await storage.revertStaging(ctid);
    }
  }

  private pruned(meta: MetaFile["snapshots"], keep: string[]): MetaFile["snapshots"] {
    return Object.fromEntries(Object.entries(meta).filter(([n]) => keep.includes(n)));
  }

  private notFound(ctid: number, name: string, names: string[]): EngineError {
    return new EngineError(
      "NOT_FOUND",
      `container ${ctid} has no snapshot named "${name}"; ${names.length ? `it has: ${names.join(", ")}` : "it has no snapshots"}`,
    );
  }
}
