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
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readdir, rm } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { CheckpointOps } from "./checkpoint.js";
import type { ContainerInfo, OpContext } from "./engine-types.js";
import { checkHostname } from "./checks.js";
import type { EngineInternals } from "./engine-internals.js";
import { EngineError, wrapError } from "./errors.js";
import { run } from "./exec.js";
import { readJson, writeFileAtomic } from "./fsutil.js";
import type { JournalEntry, PendingEntry } from "./journal.js";
import { netConfigSchema, type NetConfig } from "./net/types.js";
import type { ContainerRecord } from "./records.js";

export { MIGRATE_PHASES, migrateManifest, type MigrateManifest, type MigratePhase } from "./migrate-manifest.js";
import type { MigrateManifest, MigratePhase } from "./migrate-manifest.js";

/** native/helpers/ovz-garp.c, built by scripts/install-criu.sh */
export const GARP_BIN = "/usr/local/lib/ovz/ovz-garp";
const BASE = ".mig-base";
const FINAL = ".mig-final";

const sourceState = z.object({ ctid: z.number(), live: z.boolean(), wasRunning: z.boolean(), frozen: z.boolean() });
type SourceState = z.infer<typeof sourceState>;

export interface MigrateDeps extends EngineInternals {
  checkName(name: string, ctid: number): Promise<void>;
}

/** The lifecycle steps a migration runs (lifecycle.ts). */
export interface MigrateLifecycle {
  start(ctid: number, ctx: OpContext): Promise<ContainerInfo>;
  /** Stop under the caller's lock. */
  stopLocked(rec: ContainerRecord, opts: { force?: boolean }, ctx: OpContext): Promise<void>;
  destroy(ctid: number, opts: { force?: boolean }, ctx: OpContext): Promise<void>;
}

export class MigrateOps {
  /** open "migrate-in" journals of containers being received, by ctid */
  private readonly incoming = new Map<number, { journal: JournalEntry; release(): void; manifest: MigrateManifest }>();
  /** committed "migrate-in" journals whose received snapshots cleanup() has not removed yet */
  private readonly finished = new Map<number, JournalEntry>();

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
  private incomingDumpDir(ctid: number): string {
    return path.join(this.e.config.stateDir, "dumps", `.${ctid}.incoming`);
  }

  // ------------------------------------------------------------------------------------------ source

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

  // ------------------------------------------------------------------------------------------ target

  /** Target: check the container fits here and open the journal that undoes a half-received one. */
  async accept(m: MigrateManifest): Promise<{ idmapSlot: number }> {
    const ctid = m.record.ctid;
    if (this.finished.has(ctid)) await this.cleanup(ctid); // an earlier move of this CTID here left its snapshots
    checkHostname(m.record.hostname);
    if (m.record.name != null) await this.e.checkName(m.record.name, ctid);
    const limits = this.e.validateLimits(this.e.newContainerDefaults(), m.record.limits);
    const netIn = netConfigSchema.safeParse(m.record.net ?? {});
    if (!netIn.success)
      throw new EngineError(
        "BAD_REQUEST",
        `the container's network configuration is not valid here: ${netIn.error.issues[0]?.message}`,
      );
    return this.e.withLock(ctid, async () => {
      const { storage, runtime } = this.e.drivers;
      if (this.incoming.has(ctid))
        throw new EngineError("CTID_IN_USE", `container ${ctid} is already being received by this node`);
      if (
        (await this.e.records.get(ctid)) ||
        (await runtime.configExists(ctid)) ||
        (await storage.containerVolumeExists(ctid))
      ) {
        throw new EngineError(
          "CTID_IN_USE",
          `container ID ${ctid} is already in use on the target node; destroy that container or migrate another`,
        );
      }
      if (storage.caps.quota) {
        const { freeBytes } = await storage.space();
        if (limits.diskspace > freeBytes * this.e.config.diskOvercommit) {
          throw new EngineError(
            "NO_SPACE",
            `not enough space in the target node's storage pool for container ${ctid}'s disk limit; grow the pool or lower diskspace`,
          );
        }
      }
      await this.e.net.validate(ctid, netIn.data as NetConfig, await this.e.records.list());
      // CRIU restores the container's user namespace as it was dumped: a live move needs the same uid range
      const slot = await this.e.reserveSlot(m.live ? m.record.idmapSlot : undefined);
      const journal = await this.e.journal.begin("migrate-in", ctid, { slot: slot.slot });
      this.incoming.set(ctid, {
        journal,
        release: slot.release,
        manifest: { ...m, record: { ...m.record, limits, net: netIn.data } },
      });
      return { idmapSlot: slot.slot };
    });
  }

  /** Target: the command reading a phase's bytes from stdin. */
  async receiveCommand(ctid: number, phase: MigratePhase): Promise<{ cmd: string; args: string[] }> {
    const inc = this.incoming.get(ctid);
    if (!inc)
      throw new EngineError("BAD_REQUEST", `this node is not receiving container ${ctid}; call migrate.accept first`);
    await inc.journal.step(`receive:${phase}`);
    if (phase === "base") return this.e.drivers.storage.receiveCommand(ctid, BASE);
    if (phase === "delta") return this.e.drivers.storage.receiveCommand(ctid, FINAL);
    const dir = this.incomingDumpDir(ctid);
    await rm(dir, { recursive: true, force: true });
    await mkdir(path.dirname(dir), { recursive: true, mode: 0o711 });
    await mkdir(dir, { mode: 0o700 });
    return { cmd: "tar", args: ["-C", dir, "-xf", "-"] };
  }

  /** Target: make the container from what arrived; restore it (live) or start it (it ran). Undone on failure. */
  async finish(ctid: number, ctx: OpContext): Promise<ContainerInfo> {
    const inc = this.incoming.get(ctid);
    if (!inc)
      throw new EngineError("BAD_REQUEST", `this node is not receiving container ${ctid}; call migrate.accept first`);
    const m = inc.manifest;
    const rec: ContainerRecord = {
      ...(m.record as unknown as ContainerRecord),
      idmapSlot: (inc.journal.header.data.slot as number) ?? m.record.idmapSlot,
    };
    // one idempotent removal undoes every step below (as the journal's recovery would after a crash)
    const r = this.e.revert(ctx);
    r.add(`container ${ctid} as received (the next engine start repairs what is left)`, () =>
      this.e.withLock(ctid, () => this.undoIncoming(ctid)),
    );
    const undo = async (e: unknown): Promise<never> => {
      ctx.log(`migration target: undoing container ${ctid}: ${(e as Error).message}`);
      await r.fail();
      throw wrapError(e, `Failed to bring container ${ctid} up on the target node`);
    };
    const t0 = performance.now();
    const step = (what: string) => ctx.log(`${what} at +${Math.round(performance.now() - t0)} ms`);
    await this.e
      .withLock(ctid, async () => {
        const { storage } = this.e.drivers;
        ctx.progress(10, "adopting the received volume");
        await inc.journal.step("volume");
        await storage.adoptReceived(ctid, FINAL);
        if (storage.caps.quota)
          await storage.setQuota(ctid, { bytes: rec.limits.diskspace, inodes: rec.limits.diskinodes || null });
        await inc.journal.step("config");
        await this.e.writeRuntimeConfig(rec);
        await this.e.records.put(rec);
        await this.e.net.sync(await this.e.records.list());
        await this.e.failpoint("migrate-in:config");
        step("volume, record and config in place");
        if (m.live) {
          ctx.progress(40, "restoring the container's processes (CRIU)");
          await this.checkpoints.adoptDump(rec, this.incomingDumpDir(ctid));
          await this.checkpoints.restoreLocked(rec, ctx);
          step("restored");
        }
      })
      .catch(undo);
    // an offline move of a running container ends with it running (start takes the lock itself)
    if (m.wasRunning && !m.live) await this.life.start(ctid, ctx).catch(undo);
    r.success();
    await this.announce(rec, ctx);
    await inc.journal.commit();
    inc.release();
    this.incoming.delete(ctid);
    // the received snapshots are removed by cleanup() once the source copy is gone (deleting a subvolume
    // waits for btrfs' cleaner: not in the frozen time); the committed journal removes them after a crash
    this.finished.set(ctid, inc.journal);
    return this.e.info(rec);
  }

  /**
   * The container's venet IPv4 addresses now live here: tell the LAN behind each uplink (gratuitous ARP from
   * this node, which answers for them by proxy), so clients switch over at once instead of after their ARP
   * entries expire. Best effort: a failure only delays the switch.
   */
  private async announce(rec: ContainerRecord, ctx: OpContext): Promise<void> {
    const v4 = (rec.net?.venet ?? []).filter((ip) => ip.includes("."));
    if (!v4.length || !existsSync(GARP_BIN)) return;
    for (const uplink of this.e.config.netUplinks) {
      const r = await run(GARP_BIN, [uplink, ...v4], { allowFailure: true });
      ctx.log(
        r.code === 0
          ? `announced ${v4.join(", ")} on ${uplink}`
          : `could not announce ${v4.join(", ")} on ${uplink}: ${r.stderr.trim()}`,
      );
      // once more a little later, for a LAN host that missed the first (not waited for)
      const again = () => run(GARP_BIN, [uplink, ...v4], { allowFailure: true });
      const what = `announcing ${v4.join(", ")} again on ${uplink}`;
      setTimeout(() => void this.e.bestEffort(what, again()), 300).unref();
    }
  }

  /** Target: after the move, remove what was received (the container runs from its own volume). Idempotent. */
  async cleanup(ctid: number): Promise<void> {
    await this.e.drivers.storage.discardReceived(ctid);
    await this.finished.get(ctid)?.close();
    this.finished.delete(ctid);
  }

  /** Target: drop a container being received (only one this node is receiving). Idempotent. */
  async cancel(ctid: number): Promise<{ removed: boolean }> {
    if (!this.incoming.has(ctid)) return { removed: false };
    await this.e.withLock(ctid, () => this.undoIncoming(ctid));
    return { removed: true };
  }

  private async undoIncoming(ctid: number): Promise<void> {
    const inc = this.incoming.get(ctid);
    await this.e.removeHostResources(ctid);
    await this.e.drivers.storage.discardReceived(ctid);
    await rm(this.incomingDumpDir(ctid), { recursive: true, force: true });
    if (inc) {
      await inc.journal.close();
      inc.release();
      this.incoming.delete(ctid);
    }
  }

  /** After a crash: a container half received is removed; one whose move committed stays. */
  async recover(p: PendingEntry, log: (l: string) => void): Promise<void> {
    const ctid = p.header.ctid;
    if (p.committed) {
      await this.e.drivers.storage.discardReceived(ctid); // the move was done; only its received snapshots were left
      return;
    }
    log(`recovery: removing container ${ctid}, whose migration to this node did not finish`);
    await this.e.removeHostResources(ctid);
    await this.e.drivers.storage.discardReceived(ctid);
    await rm(this.incomingDumpDir(ctid), { recursive: true, force: true });
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

/**
 * Run a host command for a stream phase. Sending: its stdout goes to `sink` (resolves when it exited 0).
 * Receiving: `source` is written to its stdin. A non-zero exit is an error naming the command and its stderr.
 */
export function runStreamCommand(
  c: { cmd: string; args: string[] },
  io: { stdout?: (chunk: Buffer) => boolean | void; onDrainNeeded?: (resume: () => void) => void },
): { stdin: NodeJS.WritableStream; done: Promise<void>; kill(): void; pause(): void; resume(): void } {
  const child = spawn(c.cmd, c.args, { stdio: ["pipe", io.stdout ? "pipe" : "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  if (io.stdout) child.stdout!.on("data", (d: Buffer) => void io.stdout!(d));
  child.stdin!.on("error", () => {}); // EPIPE when the command fails early: reported by its exit status
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", (e) => reject(new EngineError("HOST_TOOL_FAILED", `${c.cmd} could not run: ${e.message}`)));
    child.once("close", (code, sig) => {
      if (code === 0) resolve();
      else
        reject(
          new EngineError(
            "HOST_TOOL_FAILED",
            `${c.cmd} ${c.args[0]} failed (${sig ?? `exit ${code}`}): ${stderr.trim().split("\n").slice(-3).join(" ") || "no message"}`,
          ),
        );
    });
  });
  return {
    stdin: child.stdin!,
    done,
    kill: () => child.kill("SIGKILL"),
    pause: () => child.stdout?.pause(),
    resume: () => child.stdout?.resume(),
  };
}
