/**
 * Migration, target node (see migrate.ts for the whole sequence): accept (checks, journal "migrate-in"),
 * receive each phase, finish (adopt the volume, record, config; restore or start), cleanup, cancel, and
 * journal recovery of a container half received.
 */
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { CheckpointOps } from "./checkpoint.js";
import type { ContainerInfo, OpContext } from "./engine-types.js";
import { checkHostname } from "./checks.js";
import { EngineError, wrapError } from "./errors.js";
import { run } from "./exec.js";
import type { JournalEntry, PendingEntry } from "./journal.js";
import { netConfigSchema, type NetConfig } from "./net/types.js";
import type { ContainerRecord } from "./records.js";
import { BASE, FINAL, type MigrateDeps, type MigrateLifecycle } from "./migrate-common.js";
import type { MigrateManifest, MigratePhase } from "./migrate-manifest.js";

/** native/helpers/ovz-garp.c, built by scripts/install-criu.sh */
export const GARP_BIN = "/usr/local/lib/ovz/ovz-garp";

export class MigrateTarget {
  /** open "migrate-in" journals of containers being received, by ctid */
  private readonly incoming = new Map<number, { journal: JournalEntry; release(): void; manifest: MigrateManifest }>();
  /** committed "migrate-in" journals whose received snapshots cleanup() has not removed yet */
  private readonly finished = new Map<number, JournalEntry>();

  constructor(
    private readonly e: MigrateDeps,
    private readonly checkpoints: CheckpointOps,
    private readonly life: MigrateLifecycle,
  ) {}

  private incomingDumpDir(ctid: number): string {
    return path.join(this.e.config.stateDir, "dumps", `.${ctid}.incoming`);
  }

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
      await this.e.net.validate(ctid, netIn.data as NetConfig);
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
        await this.e.net.update(ctid, rec.net);
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
}
