/**
 * Cloning a container (Virtuozzo's `prlctl clone`, OpenVZ's `vzmlocal -C SRC:DST`): a new container with its
 * own ctid, name, hostname, uid range and addresses, whose root filesystem starts as a copy-on-write copy of
 * another's.
 *
 * - Everything is checked before the host is touched, as a create checks it: the source exists, the new ctid
 *   is free (record, runtime config, volume), the name is unique, the hostname valid, the network valid against
 *   every other container (NetManager), the limits (the source's, or the given ones) valid and the pool large
 *   enough.
 * - The copy is built at the new container's staging path and renamed into place (storage/swap.ts), so no
 *   half-made copy ever sits at a container's path: btrfs takes a writable snapshot of the source's subvolume
 *   (milliseconds, every extent shared); the dir driver copies (cp -a --reflink=auto). A running source is
 *   frozen only for that instant and always thawed (SnapshotOps.whileFrozen).
 * - Files keep in-container ids on disk (idmapped rootfs, see gate.ts), so the copy runs unchanged under the
 *   clone's own uid range.
 * - The clone gets its own hostname (/etc/hostname, /etc/hosts), an empty /etc/machine-id (systemd makes a
 *   new one at its first boot), no /var/lib/dbus/machine-id file of its own and new SSH host keys
 *   (ssh-host-keys.ts); it starts stopped. Snapshots,
 *   backups and a checkpoint of the source are not copied.
 * - Journaled like a create: a failure, or a crash of the engine, before the commit removes everything the
 *   new ctid holds; a crash while the source was frozen thaws it at the next engine start.
 */
import type { ContainerInfo, OpContext } from "./engine-types.js";
import type { EngineInternals } from "./engine-internals.js";
import { checkCtid, checkHostname, parseNet } from "./checks.js";
import { EngineError, wrapError } from "./errors.js";
import type { PendingEntry } from "./journal.js";
import { cloneNet } from "./net/config.js";
import { netConfigSchema, type NetConfig } from "./net/types.js";
import type { ContainerRecord } from "./records.js";
import type { Features } from "./features.js";
import { kindInRootfs, removeFileInRootfs, writeInRootfs } from "./rootfs.js";
import type { SnapshotOps } from "./snapshots.js";
import { renewSshHostKeys } from "./ssh-host-keys.js";

export interface CloneRequest {
  /** the source */
  ctid: number;
  newCtid: number;
  /** default: the source's */
  hostname?: string;
  /** default: none (a name is unique) */
  name?: string | null;
  /** a patch over the source's limits (the panel sends its whole effective set) */
  limits?: unknown;
  /** default: the source's */
  features?: Features;
  /** default: the source's */
  onboot?: boolean;
  /** default: the source's network without its addresses and MACs (net/config.ts cloneNet) */
  net?: unknown;
}

export interface CloneHooks {
  /** BAD_REQUEST when the name is malformed or used by another container than `ctid`. */
  checkName(name: string, ctid: number): Promise<void>;
  /** Write the per-container files of a stopped container (hostname, hosts, resolv.conf). */
  writeSystemFiles(rec: ContainerRecord): Promise<void>;
}

/** Files that make a system tell itself apart from others: a clone must not share them. */
export async function resetIdentity(rootfs: string, log: (l: string) => void): Promise<void> {
  // empty = "not set yet": systemd generates a new id at the next boot (machine-id(5))
  if ((await kindInRootfs(rootfs, "etc/machine-id")) === "file") {
    await writeInRootfs(rootfs, "etc/machine-id", "", 0o444);
    log("/etc/machine-id emptied: the clone makes its own at its first boot");
  }
  // D-Bus reads its own copy first; without one it uses /etc/machine-id (Debian links the two)
  if (await removeFileInRootfs(rootfs, "var/lib/dbus/machine-id")) log("/var/lib/dbus/machine-id removed");
}

export class CloneOps {
  constructor(
    private readonly h: EngineInternals,
    private readonly snapshots: SnapshotOps,
    private readonly hooks: CloneHooks,
  ) {}

  async clone(req: CloneRequest, ctx: OpContext): Promise<ContainerInfo> {
    checkCtid(req.ctid);
    checkCtid(req.newCtid);
    if (req.newCtid === req.ctid) {
      throw new EngineError(
        "CTID_IN_USE",
        `container ID ${req.ctid} is the source's own; give the clone a free container ID`,
      );
    }
    await this.h.mustGet(req.ctid);
    if (req.hostname !== undefined) checkHostname(req.hostname);
    if (req.name != null) await this.hooks.checkName(req.name, req.newCtid);
    const netIn = req.net === undefined ? undefined : parseNet(netConfigSchema, req.net);
    // both containers' locks, always lower ctid first: two clones in opposite directions cannot deadlock
    const [a, b] = req.ctid < req.newCtid ? [req.ctid, req.newCtid] : [req.newCtid, req.ctid];
    return this.h.withLock(a, () => this.h.withLock(b, () => this.locked(req, netIn, ctx)));
  }

  private async locked(req: CloneRequest, netIn: NetConfig | undefined, ctx: OpContext): Promise<ContainerInfo> {
    const src = await this.h.mustGet(req.ctid);
    const { newCtid } = req;
    await this.h.assertCtidFree(newCtid);
    if (req.name != null) await this.hooks.checkName(req.name, newCtid);
    const limits = this.h.validateLimits(src.limits, req.limits);
    await this.h.checkDiskSpace(limits);
    const net = await this.h.net.validate(newCtid, netIn ?? cloneNet(src.net));
    const reserved = await this.h.reserveSlot();
    try {
      return await this.make(src, { ...req, limits, net, slot: reserved.slot }, ctx);
    } finally {
      reserved.release();
    }
  }

  /** The host part, journaled; everything was checked. */
  private async make(
    src: ContainerRecord,
    req: CloneRequest & { limits: ContainerRecord["limits"]; net: NetConfig; slot: number },
    ctx: OpContext,
  ): Promise<ContainerInfo> {
    const { newCtid, limits } = req;
    const { storage } = this.h.drivers;
    const at = new Date().toISOString();
    const rec: ContainerRecord = {
      ctid: newCtid,
      name: req.name ?? null,
      hostname: req.hostname ?? src.hostname,
      template: src.template,
      limits,
      features: req.features ?? src.features ?? [],
      idmapSlot: req.slot,
      init: src.init,
      haltSignal: src.haltSignal,
      onboot: req.onboot ?? src.onboot,
      bootorder: src.bootorder ?? null,
      createdAt: at,
      net: req.net,
      clonedFrom: { ctid: src.ctid, at },
    };
    const journal = await this.h.journal.begin("clone", newCtid, { source: src.ctid, slot: req.slot, createdAt: at });
    const t0 = performance.now();
    let frozenMs: number | null = null;
    try {
      ctx.progress(10, `copying the root filesystem of container ${src.ctid} (copy-on-write)`);
      await journal.step("volume");
      ({ frozenMs } = await this.snapshots.whileFrozen(
        src.ctid,
        ctx,
        async () => {
          await storage.createStagingVolume(newCtid, { container: src.ctid });
          await this.h.failpoint("clone:frozen");
        },
        { freezing: () => journal.step("freeze"), thawed: () => journal.step("thawed") },
      ));
      await storage.promoteStaging(newCtid);
      await this.h.failpoint("clone:volume");
      await journal.step("quota");
      if (storage.caps.quota)
        await storage.setQuota(newCtid, { bytes: limits.diskspace, inodes: limits.diskinodes || null });
      ctx.progress(60, "giving the clone its own identity");
      await journal.step("identity");
      await resetIdentity(storage.containerPath(newCtid), ctx.log);
      await renewSshHostKeys(storage.containerPath(newCtid), rec.hostname, ctx.log);
      await this.hooks.writeSystemFiles(rec);
      ctx.progress(75, "writing runtime configuration");
      await journal.step("config");
      await this.h.writeRuntimeConfig(rec);
      await this.h.failpoint("clone:config");
      await this.h.records.put(rec);
      await journal.step("net");
      await this.h.net.update(rec.ctid, rec.net);
      await journal.commit();
      await this.h.failpoint("clone:commit");
    } catch (e) {
      ctx.log(`clone failed, undoing: ${(e as Error).message}`);
      try {
        await this.h.removeHostResources(newCtid);
        await journal.close();
      } catch (u) {
        // the journal entry stays: the next engine start removes what is left
        ctx.log(`undo incomplete (repaired at the next engine start): ${(u as Error).message}`);
      }
      throw wrapError(e, `Failed to clone container ${src.ctid} as ${newCtid}`);
    }
    await journal.close();
    const took = performance.now() - t0;
    const frozen = frozenMs === null ? "" : ` (container ${src.ctid} frozen for ${frozenMs.toFixed(0)} ms)`;
    ctx.progress(100, `container ${newCtid} cloned from ${src.ctid} in ${took.toFixed(0)} ms${frozen}`);
    return this.h.info(rec);
  }

  /**
   * Journal recovery of an interrupted clone: the source is thawed if the crash came while it was frozen; before
   * the commit, everything of the new ctid is removed (unless a container was made under it again since).
   */
  async recover(p: PendingEntry, log: (l: string) => void): Promise<void> {
    const { ctid, data } = p.header;
    const source = Number(data.source);
    if (p.steps.includes("freeze") && !p.steps.includes("thawed") && Number.isInteger(source)) {
      const { runtime } = this.h.drivers;
      if ((await runtime.configExists(source)) && (await runtime.state(source)) === "FROZEN") {
        log(`recovery: thawing container ${source}, frozen by an interrupted clone`);
        await runtime.unfreeze(source);
      }
    }
    if (p.committed) {
      log(`recovery: clone of ${source} as ${ctid} had committed; closing its journal`);
      return;
    }
    const cur = await this.h.records.get(ctid);
    if (cur && cur.createdAt !== data.createdAt) {
      log(`recovery: clone as ${ctid} was interrupted, but container ${ctid} was made again since; leaving it alone`);
      return;
    }
    log(`recovery: undoing interrupted clone of ${source} as ${ctid} (steps done: ${p.steps.join(", ") || "none"})`);
    await this.h.removeHostResources(ctid);
  }
}
