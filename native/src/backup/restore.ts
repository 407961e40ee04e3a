/**
 * Restoring a container from a backup (BackupOps.restore in backups.ts; see its header for the steps): the
 * archive's checksum first, then under the target's lock and a journal entry, a staging volume swapped in,
 * the disk limit, the record and runtime config. Undone on failure and by journal recovery.
 */
import { fmtBytes, checkCtid, checkHostname } from "../checks.js";
import type { ContainerInfo, OpContext } from "../engine-types.js";
import type { EngineInternals } from "../engine-internals.js";
import { EngineError, isEngineError, wrapError } from "../errors.js";
import type { PendingEntry } from "../journal.js";
import { defaultMac, emptyNetConfig, type NetConfig } from "../net/types.js";
import type { ContainerRecord } from "../records.js";
import { extractArchive, sha256File } from "./archive.js";
import type { BackupManifest } from "./manifest.js";

export interface RestoreRequest {
  id: string;
  ctid: number;
  force?: boolean;
}

/** What a restore needs of the backup directory (BackupOps). */
export interface BackupSource {
  load(id: string): Promise<BackupManifest>;
  archivePath(id: string): string;
}

export async function restoreBackup(
  h: EngineInternals,
  src: BackupSource,
  req: RestoreRequest,
  ctx: OpContext,
): Promise<ContainerInfo> {
  checkCtid(req.ctid);
  const { id, ctid } = req;
  const m = await src.load(id);
  const c = m.container;
  checkHostname(c.hostname);
  let limits;
  try {
    limits = h.validateLimits(h.newContainerDefaults(), c.limits);
  } catch (e) {
    throw wrapError(e, `the limits stored in backup ${id} do not fit this host`);
  }
  await refuseExisting(h, req); // fail fast, before reading the whole archive; checked again under the lock
  const archive = src.archivePath(id);
  ctx.progress(2, "verifying the archive checksum");
  const got = await sha256File(archive, (n) =>
    ctx.progress(2 + Math.floor((n / Math.max(1, m.archive.sizeBytes)) * 18), "verifying the archive checksum"),
  ).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT")
      throw new EngineError(
        "BAD_REQUEST",
        `backup ${id} is incomplete: its archive ${archive} is missing; it cannot be restored`,
      );
    throw e;
  });
  if (got.sha256 !== m.archive.sha256 || got.sizeBytes !== m.archive.sizeBytes) {
    throw new EngineError(
      "BAD_REQUEST",
      `backup ${id} is corrupted: its archive has sha256 ${got.sha256} (${got.sizeBytes} bytes) but the manifest says ${m.archive.sha256} (${m.archive.sizeBytes} bytes); it cannot be restored, nothing was changed`,
    );
  }

  return h.withLock(ctid, async () => {
    const old = await refuseExisting(h, req);
    const { storage, runtime } = h.drivers;
    if (!old && ((await runtime.configExists(ctid)) || (await storage.containerVolumeExists(ctid)))) {
      throw new EngineError(
        "CTID_IN_USE",
        `container ID ${ctid} is in use (host resources without a record); destroy container ${ctid} first`,
      );
    }
    if (storage.caps.quota) {
      const { freeBytes } = await storage.space();
      if (m.archive.dataBytes > freeBytes * 0.95) {
        throw new EngineError(
          "NO_SPACE",
          `not enough space in the storage pool: the backup holds ${fmtBytes(m.archive.dataBytes)}, the pool has ${fmtBytes(freeBytes)} free`,
        );
      }
    }
    const others = await h.records.list();
    let name = c.name;
    if (name !== null && others.some((r) => r.name === name && r.ctid !== ctid)) {
      ctx.log(`the name "${name}" is used by another container; container ${ctid} is restored without a name`);
      name = null;
    }
    const net = await restoredNet(h, m, ctid, others, ctx);
    const reserved = old ? null : await h.reserveSlot();
    const rec: ContainerRecord = {
      ctid,
      name,
      hostname: c.hostname,
      template: c.template,
      limits,
      // features are the container's, not the backup's (the panel keeps them per container, within its plan): a
      // restore over a container keeps its own, a new one starts with none
      features: old?.features ?? [],
      idmapSlot: old ? old.idmapSlot : reserved!.slot,
      init: c.init,
      haltSignal: c.haltSignal,
      onboot: c.onboot,
      bootorder: c.bootorder ?? null,
      createdAt: new Date().toISOString(),
      net,
      restoredFrom: { backup: id, at: new Date().toISOString() },
    };
    const journal = await h.journal.begin("restore", ctid, {
      backup: id,
      old: old ?? null,
      createdAt: rec.createdAt,
    });
    try {
      if (old) ctx.log(`replacing container ${ctid} (its snapshots are kept)`);
      await journal.step("staging");
      const staging = await storage.createStagingVolume(ctid, { empty: true });
      await h.failpoint("restore:staging");
      ctx.progress(22, `unpacking ${fmtBytes(m.archive.dataBytes)}`);
      let lastPct = 22;
      await extractArchive(archive, staging, (done) => {
        const pct = Math.min(84, 22 + Math.floor((done / Math.max(1, m.archive.dataBytes)) * 62));
        if (pct > lastPct) ctx.progress((lastPct = pct), `unpacked ${fmtBytes(done)}`);
      });
      await h.failpoint("restore:extract");
      ctx.progress(85, "switching the root filesystem");
      await journal.step("swap");
      await storage.promoteStaging(ctid);
      await h.failpoint("restore:swap");
      if (storage.caps.quota) {
        await storage.setQuota(ctid, { bytes: limits.diskspace, inodes: limits.diskinodes || null });
        const used = await storage.usage(ctid).catch(() => null);
        if (used && used.bytes > limits.diskspace) {
          ctx.log(
            `warning: the restored files use ${fmtBytes(used.bytes)}, more than the disk limit of ${fmtBytes(limits.diskspace)} ` +
              "(data the original shared with its template is now the container's own); raise diskspace or the container cannot write",
          );
        }
      }
      ctx.progress(90, "writing the configuration");
      await journal.step("config");
      await h.records.put(rec);
      await h.writeRuntimeConfig(rec);
      await h.failpoint("restore:config");
      await journal.step("net");
      await h.net.update(ctid, rec.net);
      await journal.commit();
      await h.failpoint("restore:commit");
    } catch (e) {
      ctx.log(`restore failed, undoing: ${(e as Error).message}`);
      try {
        await undoRestore(h, ctid, old);
        await journal.close();
      } catch (u) {
        // the journal entry stays: the next engine start undoes it again
        ctx.log(`undo incomplete (repaired at the next engine start): ${(u as Error).message}`);
      }
      throw wrapError(e, `Failed to restore backup ${id} into container ${ctid}`);
    } finally {
      reserved?.release();
    }
    try {
      await storage.discardStaging(ctid);
      await journal.close();
    } catch (e) {
      ctx.log(`the replaced volume is removed at the next engine start: ${(e as Error).message}`);
    }
    ctx.progress(100, `container ${ctid} restored from backup ${id}`);
    return h.info(rec);
  });
}

/** The existing container a restore would replace (null if none); CTID_IN_USE / RUNNING when it may not. */
async function refuseExisting(h: EngineInternals, req: RestoreRequest): Promise<ContainerRecord | null> {
  const old = await h.records.get(req.ctid);
  if (!old) return null;
  if (!req.force) {
    throw new EngineError(
      "CTID_IN_USE",
      `container ${req.ctid} exists; restore into another ctid, or pass force to replace it by the backup (it must be stopped)`,
    );
  }
  const st = await h.drivers.runtime.state(req.ctid);
  if (st !== "STOPPED")
    throw new EngineError("RUNNING", `container ${req.ctid} is running; stop it first, then restore over it`);
  return old;
}

/** The backup's network if its addresses, MACs and devices are free here; else none (and the log says why). */
async function restoredNet(
  h: EngineInternals,
  m: BackupManifest,
  ctid: number,
  others: ContainerRecord[],
  ctx: OpContext,
): Promise<NetConfig> {
  const net = structuredClone(m.container.net);
  // MACs the engine generated from the old ctid are generated again from the new one
  net.nics.forEach((n, i) => {
    if (n.type === "veth" && ctid !== m.ctid && n.mac === defaultMac(m.ctid, i)) delete n.mac;
  });
  try {
    return await h.net.validate(ctid, net, others);
  } catch (e) {
    if (!isEngineError(e)) throw e;
    ctx.log(
      `the backup's network settings are not restored (${e.message}); container ${ctid} has no network — set one with container.net.set`,
    );
    return emptyNetConfig();
  }
}

/** Undo an uncommitted restore: put the replaced container back, or remove the half-made one. Idempotent. */
export async function undoRestore(h: EngineInternals, ctid: number, old: ContainerRecord | null): Promise<void> {
  if (!old) {
    await h.removeHostResources(ctid);
    return;
  }
  await h.drivers.storage.revertStaging(ctid);
  await h.records.put(old);
  await h.writeRuntimeConfig(old);
  await h.net.update(ctid, old.net);
}

/** Journal recovery of an interrupted restore. */
export async function recoverRestore(h: EngineInternals, p: PendingEntry, log: (l: string) => void): Promise<void> {
  const { ctid, data } = p.header;
  if (p.committed) {
    log(`recovery: restore into ${ctid} had committed; removing the replaced volume`);
    await h.drivers.storage.discardStaging(ctid);
    return;
  }
  const old = (data.old ?? null) as ContainerRecord | null;
  // An entry left open by a failed in-process undo may be older than what now exists under this ctid
  // (created or restored since): only touch the container if it is still the old one or ours.
  const cur = await h.records.get(ctid);
  if (cur && cur.createdAt !== data.createdAt && cur.createdAt !== old?.createdAt) {
    log(`recovery: restore into ${ctid} was interrupted, but container ${ctid} was made again since; leaving it alone`);
    return;
  }
  log(
    `recovery: undoing interrupted restore into ${ctid} (steps done: ${p.steps.join(", ") || "none"}); ${old ? "the replaced container is put back" : "the half-made container is removed"}`,
  );
  await undoRestore(h, ctid, old);
}
