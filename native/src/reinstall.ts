/**
 * Reinstall: replace a stopped container's root filesystem by a fresh one from a template, keeping its
 * identity (ctid, name, hostname, limits, network, idmap slot, snapshots). keepData=true keeps the old
 * files under /old inside the new system (Virtuozzo's reinstall behaviour); false wipes them.
 *
 * Journaled like a rollback: the new volume is built as the staging volume (a writable CoW copy of the
 * template volume, plus a reflink copy of the old root at /old when kept), then swapped in; the old
 * volume stays as "previous" until the commit. A failure or a crash before the commit puts the old
 * volume and record back exactly; after it, recovery only removes the old volume.
 */
import { checkpointedError, hasCheckpoint } from "./checkpoint-store.js";
import { lstat, rm } from "node:fs/promises";
import path from "node:path";
import type { ContainerInfo, OpContext } from "./engine-types.js";
import type { EngineInternals } from "./engine-internals.js";
import { isNoSpaceText } from "./drivers/storage/common.js";
import { EngineError, wrapError } from "./errors.js";
import { run } from "./exec.js";
import type { PendingEntry } from "./journal.js";
import type { ContainerRecord } from "./records.js";
import { renewSshHostKeys } from "./ssh-host-keys.js";

export interface ReinstallRequest {
  ctid: number;
  template: string;
  keepData: boolean;
}

export interface ReinstallHooks {
  /** Write the per-container files of a stopped container (hostname, hosts, resolv.conf). */
  writeSystemFiles(rec: ContainerRecord): Promise<void>;
}

export class ReinstallOps {
  constructor(
    private readonly h: EngineInternals,
    private readonly hooks: ReinstallHooks,
  ) {}

  async reinstall(req: ReinstallRequest, ctx: OpContext): Promise<ContainerInfo> {
    const { ctid } = req;
    await this.h.mustGet(ctid);
    const { storage, runtime, templates } = this.h.drivers;
    const tpl = await templates.get(req.template);
    return this.h.withLock(ctid, async () => {
      const old = await this.h.mustGet(ctid);
      const st = await runtime.state(ctid);
      if (st !== "STOPPED") {
        throw new EngineError(
          "RUNNING",
          `container ${ctid} is ${st === "FROZEN" ? "suspended" : "running"}; stop it first, then reinstall (a reinstall replaces its whole root filesystem)`,
        );
      }
      if (hasCheckpoint(this.h.config.stateDir, ctid)) throw checkpointedError(ctid, "reinstall");
      ctx.progress(5, `preparing template ${tpl.name}`);
      await templates.ensureVolume(tpl.name, ctx.log);
      const rec: ContainerRecord = { ...old, template: tpl.name, init: "/sbin/init", haltSignal: tpl.haltSignal };
      const journal = await this.h.journal.begin("reinstall", ctid, {
        template: tpl.name,
        keepData: req.keepData,
        old,
      });
      const t0 = performance.now();
      try {
        await storage.discardStaging(ctid); // leftovers, if any, are not ours to keep
        ctx.progress(15, `creating a fresh root filesystem from ${tpl.name} (copy-on-write)`);
        await journal.step("staging");
        const staging = await storage.createStagingVolume(ctid, { template: tpl.name });
        await this.h.failpoint("reinstall:staging");
        if (req.keepData) {
          ctx.progress(35, "keeping the old files under /old");
          await journal.step("keep");
          await this.keepOld(storage.containerPath(ctid), path.join(staging, "old"));
          await this.h.failpoint("reinstall:keep");
        }
        ctx.progress(70, "switching the root filesystem");
        await journal.step("swap");
        await storage.retireCurrent(ctid);
        await storage.promoteStaging(ctid);
        await this.h.failpoint("reinstall:swap");
        if (storage.caps.quota) {
          await storage.setQuota(ctid, { bytes: rec.limits.diskspace, inodes: rec.limits.diskinodes || null });
          const used = await storage.usage(ctid).catch(() => null);
          if (used && used.bytes > rec.limits.diskspace)
            ctx.log(
              `warning: the new system with /old uses ${used.bytes} bytes, more than the disk limit; delete files in /old or raise diskspace`,
            );
        }
        ctx.progress(85, "writing the configuration");
        await journal.step("config");
        await this.hooks.writeSystemFiles(rec);
        await renewSshHostKeys(storage.containerPath(ctid), rec.hostname, ctx.log);
        await this.h.records.put(rec);
        await this.h.writeRuntimeConfig(rec);
        await journal.commit();
        await this.h.failpoint("reinstall:commit");
      } catch (e) {
        ctx.log(`reinstall failed, putting the previous root filesystem back: ${(e as Error).message}`);
        try {
          await this.undo(old);
          await journal.close();
        } catch (u) {
          ctx.log(`undo incomplete (repaired at the next engine start): ${(u as Error).message}`);
        }
        throw wrapError(e, `Failed to reinstall container ${ctid} from ${tpl.name}`);
      }
      ctx.progress(95, "removing the replaced root filesystem");
      try {
        await storage.discardStaging(ctid);
        await journal.close();
      } catch (e) {
        ctx.log(`could not remove the replaced volume yet (removed at the next engine start): ${(e as Error).message}`);
      }
      ctx.progress(
        100,
        `container ${ctid} reinstalled from ${tpl.name} (${req.keepData ? "old files in /old" : "old files wiped"}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
      );
      return this.h.info(rec);
    });
  }

  /** Copy the old root (CoW reflinks where the storage allows) to <new>/old; a template's own /old is replaced. */
  private async keepOld(oldRoot: string, dst: string): Promise<void> {
    const st = await lstat(dst).catch(() => null);
    if (st) await rm(dst, { recursive: true, force: true });
    const r = await run("cp", ["-a", "--reflink=auto", "-T", "--", oldRoot, dst], { allowFailure: true });
    if (r.code === 0) return;
    const msg = (r.stderr.trim() || r.stdout.trim()).split("\n").slice(-3).join("\n");
    if (isNoSpaceText(msg))
      throw new EngineError("NO_SPACE", `keeping the old files under /old: not enough space: ${msg}`);
    throw new EngineError("HOST_TOOL_FAILED", `keeping the old files under /old failed: ${msg}`);
  }

  private async undo(old: ContainerRecord): Promise<void> {
    await this.h.drivers.storage.revertStaging(old.ctid);
    await this.h.records.put(old);
    await this.h.writeRuntimeConfig(old);
  }

  /** Journal recovery: before the commit, put the old volume and record back; after it, remove the old volume. */
  async recover(p: PendingEntry, log: (l: string) => void): Promise<void> {
    const { ctid, data } = p.header;
    if (p.committed) {
      log(`recovery: reinstall of ${ctid} had committed; removing its replaced volume`);
      await this.h.drivers.storage.discardStaging(ctid);
      return;
    }
    log(
      `recovery: undoing interrupted reinstall of ${ctid} (steps done: ${p.steps.join(", ") || "none"}); it keeps its root filesystem from before`,
    );
    const old = (data.old ?? null) as ContainerRecord | null;
    if (old) await this.undo(old);
    else await this.h.drivers.storage.revertStaging(ctid);
  }
}
