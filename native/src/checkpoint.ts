/**
 * Checkpoint / restore of a running container (vzctl chkpnt / restore, OpenVZ 7's suspend / resume):
 * CRIU (through lxc-checkpoint) dumps the container's whole state — processes, memory, open files,
 * established TCP connections — into <stateDir>/dumps/<ctid>/ and stops it; a restore brings the same
 * processes back with the same addresses, and the dump is deleted (the files changed after it).
 *
 * - Consistency: CRIU dumps into <dumps>/.<ctid>.partial; only a complete dump with its meta.json is
 *   renamed to <dumps>/<ctid>, so a dump directory always means "restorable". Journaled ("checkpoint"):
 *   after a crash the container is either still running (partial dump removed) or stopped with a complete
 *   dump (a dump CRIU finished while the engine was down is promoted); nothing in between.
 * - Restore ("resume" in the journal): the gate is reopened, LXC recreates the network devices, then the
 *   engine re-applies the host side (gateway address, host routes, proxy ARP, shaping) and the limits.
 *   A failed restore leaves the container stopped and the dump in place, so it can be retried.
 * - A dump belongs to one runtime config: meta.json keeps a hash of the LXC config without its resource
 *   limits (those are re-applied after the restore); a restore against another config (network devices,
 *   addresses, idmap, hostname…) is refused with CHECKPOINT_STALE.
 * - The container's own view of /proc (lxcfs.ts): its bind mounts are in the LXC config, so lxc-checkpoint
 *   hands them to CRIU as external mounts. meta.view says whether the dump has them; the restore binds the
 *   engine's lxcfs again (started if it died) or, for a dump without them, restores with the host's view.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, chown, mkdir, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import type { ContainerInfo, OpContext } from "./engine-types.js";
import type { EngineInternals } from "./engine-internals.js";
import { EngineError, wrapError } from "./errors.js";
import { fsyncDir, readJson, writeFileAtomic } from "./fsutil.js";
import { closeGate, openGate } from "./gate.js";
import type { PendingEntry } from "./journal.js";
import { IDMAP_MOUNT_BIN } from "./drivers/runtime/criu.js";
import { isViewMountLine } from "./lxcfs.js";
import type { ContainerRecord } from "./records.js";
import { DumpStore, dumpMetaSchema, type DumpMeta } from "./checkpoint-store.js";

export { checkpointedError, hasCheckpoint, type CheckpointInfo } from "./checkpoint-store.js";

/** Pure: the part of an LXC config a dump depends on (limits lines are re-applied after a restore). */
export function configFingerprint(lxcConfig: string): string {
  const kept = lxcConfig
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .filter((l) => !/^lxc\.(cgroup2?\.(memory|cpu|cpuset|pids|blkio|io)\.|prlimit\.)/.test(l))
    // the view's mounts follow the dump (meta.view), not the config: lxcfs may come or go in between
    .filter((l) => !isViewMountLine(l));
  return createHash("sha256").update(kept.join("\n")).digest("hex");
}

export interface CheckpointDeps extends EngineInternals {
  /** The LXC config text the container would run with now. */
  runtimeConfigText(rec: ContainerRecord): Promise<string>;
  hostGid(rec: ContainerRecord): number;
  /** Re-apply the record's cgroup limits to the running container (its CPU placement included). */
  applyLimits(rec: ContainerRecord): Promise<void>;
  /** The container's processes are gone: free its cores for the CPU placement. */
  cpuStopped(ctid: number): Promise<void>;
}

export class CheckpointOps extends DumpStore {
  constructor(private readonly e: CheckpointDeps) {
    super(e.config.stateDir);
  }

  /** What a stop leaves to the engine once the container's processes are gone. Idempotent. */
  private async afterStop(rec: ContainerRecord): Promise<void> {
    const { lxcPath } = this.e.config;
    await this.e.cpuStopped(rec.ctid);
    await closeGate(lxcPath, rec.ctid);
    await this.e.net.afterStop(rec.ctid, rec.net);
    // best effort: the processes are gone either way, and the next start clears what is left
    const { cgroups } = this.e.drivers;
    const { cgroupParent } = this.e.config;
    await this.e.bestEffort(`container ${rec.ctid}: remove its cgroup`, cgroups.remove(`${cgroupParent}/${rec.ctid}`));
    await this.e.bestEffort(
      `container ${rec.ctid}: remove its monitor cgroup`,
      cgroups.remove(`${cgroupParent}.monitor/${rec.ctid}`),
    );
  }

  async checkpoint(ctid: number, ctx: OpContext): Promise<ContainerInfo> {
    await this.e.mustGet(ctid);
    return this.e.withLock(ctid, async () => {
      const rec = await this.e.mustGet(ctid);
      const { runtime } = this.e.drivers;
      const st = await runtime.state(ctid);
      if (st === "FROZEN")
        throw new EngineError("FROZEN", `container ${ctid} is frozen; unfreeze it first, then checkpoint it`);
      if (st !== "RUNNING") {
        const has = (await this.meta(ctid)) !== null;
        throw new EngineError(
          "NOT_RUNNING",
          has
            ? `container ${ctid} is already checkpointed; restore it first`
            : `container ${ctid} is not running; only a running container can be checkpointed`,
        );
      }
      // a dump next to a running container is stale (it was started afresh): never restore it
      await this.remove(ctid);
      const partial = this.partialDir(ctid);
      await mkdir(this.root(), { recursive: true, mode: 0o711 });
      await mkdir(partial, { recursive: true, mode: 0o700 });
      const configHash = configFingerprint(await this.e.runtimeConfigText(rec));
      const view = await this.runsWithView(ctid);
      const journal = await this.e.journal.begin("checkpoint", ctid);
      const t0 = Date.now();
      const r = this.e.revert(ctx);
      // CRIU resumes the processes when a dump fails; if they are gone anyway, clean up like a stop
      r.add(`container ${ctid}: clean up after its processes if they are gone`, async () => {
        if ((await runtime.state(ctid)) === "STOPPED") await this.afterStop(rec);
      });
      r.add(`container ${ctid}: remove the partial dump`, () => rm(partial, { recursive: true, force: true }));
      try {
        ctx.progress(20, "dumping the container's state (CRIU)");
        await journal.step("dump");
        await runtime.checkpoint(ctid, partial);
        await this.e.failpoint("checkpoint:dumped");
        r.success();
      } catch (e) {
        await r.fail();
        await journal.close();
        throw wrapError(e, `Failed to checkpoint container ${ctid}`);
      }
      ctx.progress(80, "saving the dump");
      await this.promote(ctid, configHash, view);
      await journal.commit();
      await this.afterStop(rec);
      await journal.close();
      ctx.log(`checkpoint of ${ctid}: ${Date.now() - t0} ms, ${(await this.info(ctid))?.sizeBytes ?? 0} bytes`);
      ctx.progress(100, "checkpointed");
      return this.e.info(rec);
    });
  }

  /** Does the container run with the view's mounts (its LXC config as it was started)? */
  private async runsWithView(ctid: number): Promise<boolean> {
    const file = path.join(this.e.config.lxcPath, String(ctid), "config");
    return (await readFile(file, "utf8").catch(() => "")).split("\n").some(isViewMountLine);
  }

  /** Write meta.json into the partial dump and rename it into place (atomic). */
  private async promote(ctid: number, configHash: string, view: boolean): Promise<void> {
    const partial = this.partialDir(ctid);
    const meta: DumpMeta = {
      version: 1,
      ctid,
      createdAt: new Date().toISOString(),
      sizeBytes: await dirBytes(partial),
      configHash,
      view,
    };
    await writeFileAtomic(path.join(partial, "meta.json"), JSON.stringify(meta, null, 2) + "\n", 0o600);
    await rm(this.dumpDir(ctid), { recursive: true, force: true });
    await rename(partial, this.dumpDir(ctid));
    await fsyncDir(this.root());
  }

  /**
   * A dump made on another node (migration) becomes this container's: it was made for the same container
   * config, rendered here with this node's paths, so the fingerprint is this node's. Replaces any dump.
   */
  async adoptDump(rec: ContainerRecord, dir: string): Promise<void> {
    if (!existsSync(path.join(dir, "inventory.img")))
      throw new EngineError(
        "NOT_FOUND",
        `no CRIU images arrived for container ${rec.ctid}; the dump transfer did not complete`,
      );
    const partial = this.partialDir(rec.ctid);
    // the source's meta.json says whether its dump has the view's mounts (none from an older source: no)
    const source = dumpMetaSchema.safeParse(await readJson<unknown>(path.join(dir, "meta.json")).catch(() => null));
    await rm(partial, { recursive: true, force: true });
    await rm(path.join(dir, "meta.json"), { force: true });
    await rename(dir, partial);
    const view = source.success && source.data.view === true;
    await this.promote(rec.ctid, configFingerprint(await this.e.runtimeConfigText(rec)), view);
  }

  async restore(ctid: number, ctx: OpContext): Promise<ContainerInfo> {
    await this.e.mustGet(ctid);
    return this.e.withLock(ctid, async () => {
      const rec = await this.e.mustGet(ctid);
      await this.restoreLocked(rec, ctx);
      return this.e.info(rec);
    });
  }

  /** Restore under the container's lock (also used by start when a dump exists). */
  async restoreLocked(rec: ContainerRecord, ctx: OpContext): Promise<void> {
    const ctid = rec.ctid;
    const { runtime, cgroups } = this.e.drivers;
    const st = await runtime.state(ctid);
    if (st !== "STOPPED")
      throw new EngineError(
        "RUNNING",
        `container ${ctid} is running; only a checkpointed (stopped) container can be restored`,
      );
    const meta = await this.meta(ctid);
    await this.e.requireDelegatedCgroup();
    if (!meta)
      throw new EngineError("NOT_FOUND", `container ${ctid} has no checkpoint; checkpoint it while it runs first`);
    if (configFingerprint(await this.e.runtimeConfigText(rec)) !== meta.configHash) {
      throw new EngineError(
        "CHECKPOINT_STALE",
        `the checkpoint of container ${ctid} was made with another configuration (network, hostname or ids changed since); change it back, or discard the checkpoint and start the container afresh`,
      );
    }
    // the dump's processes see the view's files only if it has them: bind them again (lxcfs started if it died)
    const viewDir = meta.view ? await this.e.view.prepare(ctx.log) : null;
    if (meta.view && !viewDir) {
      throw new EngineError(
        "HOST_TOOL_FAILED",
        `container ${ctid} was checkpointed with its own view of /proc (lxcfs), and lxcfs cannot run now (the ` +
          `engine's log says why); make lxcfs work and restore again, or stop the container to discard its checkpoint`,
      );
    }
    const journal = await this.e.journal.begin("resume", ctid);
    // each undo tolerates "not done": registered first, they also undo a step that failed half-way
    const r = this.e.revert(ctx);
    r.add(`container ${ctid}: clean up like a stop`, () => this.afterStop(rec));
    r.add(`container ${ctid}: kill its processes`, () => runtime.kill(ctid));
    try {
      // leftovers of an earlier failed start or restore; best effort: LXC reports it if one is in its way
      const monitor = `${this.e.config.cgroupParent}.monitor/${ctid}`;
      await this.e.bestEffort(`container ${ctid}: old monitor cgroup`, cgroups.remove(monitor));
      // and the container's own (empty: it is stopped), which CRIU would otherwise find in its way
      const own = `${this.e.config.cgroupParent}/${ctid}`;
      await this.e.bestEffort(`container ${ctid}: old cgroup`, cgroups.remove(own));
      await this.e.writeRuntimeConfig(rec, { view: viewDir });
      // the gate of a stopped container is closed; reopen it idmapped (see openGate)
      await closeGate(this.e.config.lxcPath, ctid);
      await openGate(this.e.config.lxcPath, ctid, this.e.drivers.storage.containerPath(ctid), this.e.hostGid(rec), {
        helper: IDMAP_MOUNT_BIN,
        size: 65536,
      });
      // CRIU reads some images after it entered the container's user namespace, as the container's root
      await this.grantDump(ctid, this.e.hostGid(rec));
      ctx.progress(30, "restoring the container's state (CRIU)");
      await journal.step("restore");
      await runtime.restore(ctid, this.dumpDir(ctid));
      await this.e.failpoint("resume:restored");
      ctx.progress(80, "configuring the host side of the network");
      await this.e.net.postRestore(ctid, rec.net, await runtime.initPid(ctid));
      await this.e.applyLimits(rec);
      r.success();
    } catch (e) {
      await r.fail();
      await journal.close();
      throw wrapError(e, `Failed to restore container ${ctid}`);
    }
    await journal.commit();
    // the processes run on and change their files: the dump must never be restored again
    await this.remove(ctid);
    await journal.close();
    ctx.progress(100, "running");
  }

  /**
   * The dump (the container's own memory and files) readable by the container's root only: <dumps> is
   * 0711 root, <dumps>/<ctid> and its images belong to the container's host uid/gid, mode 0711/0600
   * (timens-*.img 0644, see below).
   */
  private async grantDump(ctid: number, hostId: number): Promise<void> {
    await chmod(this.root(), 0o711);
    const walk = async (p: string, dir: boolean): Promise<void> => {
      await chown(p, hostId, hostId);
      await chmod(p, dir ? 0o700 : 0o600);
      if (dir)
        for (const e of await readdir(p, { withFileTypes: true })) await walk(path.join(p, e.name), e.isDirectory());
    };
    await walk(this.dumpDir(ctid), true);
    // CRIU's root task opens its time-namespace image (clock offsets only) possibly before LXC has written
    // its uid map — as the overflow uid, which failed now and then ("Unable to open timens-0.img:
    // Permission denied"): that one image is world-readable, and the directory searchable (not listable).
    await chmod(this.dumpDir(ctid), 0o711);
    for (const f of await readdir(this.dumpDir(ctid)))
      if (/^timens-\d+\.img$/.test(f)) await chmod(path.join(this.dumpDir(ctid), f), 0o644);
  }

  /** Finish or undo an interrupted checkpoint/restore (journal ops "checkpoint" and "resume"). Idempotent. */
  async recover(p: PendingEntry, log: (l: string) => void): Promise<void> {
    const ctid = p.header.ctid;
    const rec = await this.e.records.get(ctid);
    if (!rec) {
      await this.remove(ctid);
      return;
    }
    const running = (await this.e.drivers.runtime.state(ctid)) !== "STOPPED";
    if (p.header.op === "checkpoint") {
      if (running) {
        log(`recovery: checkpoint of ${ctid} did not finish; the container still runs, removing the partial dump`);
        await this.remove(ctid);
        return;
      }
      const partial = this.partialDir(ctid);
      const criuLog = await readFile(path.join(partial, "dump.log"), "utf8").catch(() => "");
      if (!(await this.meta(ctid)) && /Dumping finished successfully/.test(criuLog)) {
        log(`recovery: CRIU finished the dump of ${ctid}; keeping it`);
        await this.promote(ctid, configFingerprint(await this.e.runtimeConfigText(rec)), await this.runsWithView(ctid));
      } else if (!(await this.meta(ctid))) {
        log(`recovery: checkpoint of ${ctid} was interrupted and its container stopped; no usable dump`);
        await this.remove(ctid);
      }
      await rm(partial, { recursive: true, force: true });
      await this.afterStop(rec);
    } else if (running) {
      log(`recovery: restore of ${ctid} had brought it back; finishing`);
      await this.e.net.postRestore(ctid, rec.net, await this.e.drivers.runtime.initPid(ctid));
      await this.e.applyLimits(rec);
      await this.remove(ctid);
    } else {
      log(`recovery: restore of ${ctid} did not finish; the container stays checkpointed`);
      await this.afterStop(rec);
    }
  }

  /** Dumps of containers that no longer exist (e.g. a crash during destroy). */
  async sweep(existing: Set<number>): Promise<void> {
    for (const n of await readdir(this.root()).catch(() => [] as string[])) {
      const m = /^\.?(\d+)(\.partial)?$/.exec(n);
      if (m && !existing.has(Number(m[1]))) await rm(path.join(this.root(), n), { recursive: true, force: true });
    }
  }
}

async function dirBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) total += await dirBytes(p);
    else if (e.isFile()) total += (await stat(p)).size;
  }
  return total;
}
