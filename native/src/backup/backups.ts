/**
 * Full container backups and restores.
 *
 * backup.create: a temporary read-only snapshot (a running container is frozen only for that instant),
 * packed with tar + zstd into <backupDir>/<id>.tar.zst (written as .partial, renamed when complete), then
 * the manifest <id>.json (settings, size, sha256) is written atomically — that is the commit point. The
 * snapshot is deleted afterwards. A crash is repaired at the next engine start (snapshot and partial files
 * removed). The backup directory is 0700, archives and manifests 0600.
 *
 * backup.restore: the archive's sha256 is checked against the manifest first (a corrupted backup changes
 * nothing); then, under the target's lock and a journal entry, the archive is unpacked into a staging
 * volume which is swapped in as the container's root filesystem, the disk limit applied, and the record
 * and runtime config written. Into a new ctid (or the backup's own once destroyed) a failure or crash
 * removes the half-made container, like a create. Over an existing container (force; it must be stopped)
 * the old root filesystem is kept as the "previous" volume until the commit, so a failure or crash puts
 * the old container back exactly; its snapshots are kept either way.
 */
import { randomBytes } from "node:crypto";
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import path from "node:path";
import { checkCtid, fmtBytes } from "../checks.js";
import { ENGINE_VERSION, type ContainerInfo, type OpContext } from "../engine-types.js";
import type { EngineInternals } from "../engine-internals.js";
import { EngineError, wrapError } from "../errors.js";
import { fsyncDir, writeFileAtomic } from "../fsutil.js";
import type { PendingEntry } from "../journal.js";
import { emptyNetConfig } from "../net/types.js";
import type { SnapshotOps } from "../snapshots.js";
import { sha256File, treeBytes, writeArchive } from "./archive.js";
import { recoverRestore, restoreBackup, type RestoreRequest } from "./restore.js";
import {
  BACKUP_ID_RE,
  checkBackupId,
  MANIFEST_FORMAT,
  MANIFEST_VERSION,
  newBackupId,
  parseManifest,
  type BackupInfo,
  type BackupManifest,
} from "./manifest.js";

export type { RestoreRequest } from "./restore.js";

export class BackupOps {
  readonly dir: string;

  constructor(
    private readonly h: EngineInternals,
    private readonly snapshots: SnapshotOps,
  ) {
    this.dir = h.config.backupDir;
  }

  archivePath(id: string): string {
    return path.join(this.dir, `${checkBackupId(id)}.tar.zst`);
  }
  private manifestPath(id: string): string {
    return path.join(this.dir, `${checkBackupId(id)}.json`);
  }
  private partialPath(id: string): string {
    return `${this.archivePath(id)}.partial`;
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    await chmod(this.dir, 0o700);
  }

  /**
   * At engine start: create the directory. Never fatal (the directory may be on storage that is not
   * mounted yet; backup.create reports the error then). It does not sweep files it cannot account for:
   * the directory may be shared by several engines; interrupted backups are cleaned by journal recovery.
   */
  async init(log: (l: string) => void): Promise<void> {
    await this.ensureDir().catch((e) => log(`backups: cannot prepare ${this.dir}: ${(e as Error).message}`));
  }

  // ------------------------------------------------------------------------------------------- create

  async create(ctid: number, ctx: OpContext): Promise<BackupInfo> {
    await this.h.mustGet(ctid);
    await this.ensureDir();
    const id = newBackupId(ctid, new Date(), randomBytes(3).toString("hex"));
    const snap = `.backup-${id}`;
    const { storage } = this.h.drivers;
    const t0 = performance.now();
    const journal = await this.h.journal.begin("backup", ctid, { id, snapshot: snap });
    let info: BackupInfo;
    try {
      ctx.progress(2, "taking a consistent snapshot");
      await journal.step("snapshot");
      const rec = await this.h.withLock(ctid, async () => {
        const r = await this.h.mustGet(ctid);
        await this.snapshots.take(ctid, snap, ctx);
        return r;
      });
      await this.h.failpoint("backup:snapshot");
      const src = storage.snapshotPath(ctid, snap);
      const total = await treeBytes(src);
      ctx.progress(5, `packing the root filesystem${total === null ? "" : ` (${fmtBytes(total)})`} with tar + zstd`);
      await journal.step("archive");
      const partial = this.partialPath(id);
      await (await open(partial, "wx", 0o600)).close();
      let lastPct = 5;
      const { dataBytes } = await writeArchive(src, partial, (done) => {
        const pct = total ? Math.min(89, 5 + Math.floor((done / total) * 84)) : lastPct;
        if (pct > lastPct) ctx.progress((lastPct = pct), `packed ${fmtBytes(done)}`);
      });
      await this.h.failpoint("backup:archive");
      ctx.progress(90, "computing the archive checksum");
      const { sha256, sizeBytes } = await sha256File(partial);
      await rename(partial, this.archivePath(id));
      await fsyncDir(this.dir);
      const manifest: BackupManifest = {
        format: MANIFEST_FORMAT,
        version: MANIFEST_VERSION,
        id,
        ctid,
        createdAt: new Date().toISOString(),
        engineVersion: ENGINE_VERSION,
        container: {
          name: rec.name,
          hostname: rec.hostname,
          template: rec.template,
          limits: { ...rec.limits },
          net: rec.net ?? emptyNetConfig(),
          onboot: rec.onboot,
          bootorder: rec.bootorder ?? null,
          init: rec.init,
          haltSignal: rec.haltSignal,
          createdAt: rec.createdAt,
        },
        archive: { compression: "zstd", format: "posix-tar", sizeBytes, sha256, dataBytes },
      };
      await journal.step("manifest");
      await writeFileAtomic(this.manifestPath(id), JSON.stringify(manifest, null, 2) + "\n", 0o600);
      await journal.commit();
      await this.h.failpoint("backup:commit");
      info = { ...manifest, path: this.archivePath(id) };
    } catch (e) {
      ctx.log(`backup failed, removing its files: ${(e as Error).message}`);
      try {
        await this.removeFiles(id);
        await storage.deleteSnapshot(ctid, snap);
        await journal.close();
      } catch (u) {
        // the journal entry stays: the next engine start finishes the cleanup
        ctx.log(`cleanup incomplete (finished at the next engine start): ${(u as Error).message}`);
      }
      throw wrapError(e, `Failed to back up container ${ctid}`);
    }
    try {
      await storage.deleteSnapshot(ctid, snap);
      await journal.close();
    } catch (u) {
      ctx.log(`temporary snapshot not removed yet (removed at the next engine start): ${(u as Error).message}`);
    }
    const secs = (performance.now() - t0) / 1000;
    ctx.progress(
      100,
      `backup ${id} written: ${fmtBytes(info.archive.sizeBytes)} (${fmtBytes(info.archive.dataBytes)} of data) in ${secs.toFixed(1)} s`,
    );
    return info;
  }

  private async removeFiles(id: string): Promise<void> {
    await rm(this.manifestPath(id), { force: true });
    await rm(this.archivePath(id), { force: true });
    await rm(this.partialPath(id), { force: true });
  }

  // ------------------------------------------------------------------------------------- list / delete

  /** A backup's manifest, or NOT_FOUND; BAD_REQUEST when the manifest is unreadable. */
  async load(id: string): Promise<BackupManifest> {
    checkBackupId(id);
    let text: string;
    try {
      text = await readFile(this.manifestPath(id), "utf8");
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT")
        throw new EngineError("NOT_FOUND", `backup ${id} does not exist; list backups with backup.list`);
      throw e;
    }
    try {
      return parseManifest(text, id);
    } catch (e) {
      throw wrapError(e, `backup ${id} cannot be used`);
    }
  }

  /** A backup's archive file and its manifest's size and sha256 (backup.download streams it). */
  async file(id: string): Promise<{ path: string; sizeBytes: number; sha256: string }> {
    const m = await this.load(id);
    return { path: this.archivePath(id), sizeBytes: m.archive.sizeBytes, sha256: m.archive.sha256 };
  }

  async list(ctid?: number): Promise<BackupInfo[]> {
    if (ctid !== undefined) checkCtid(ctid);
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: BackupInfo[] = [];
    for (const n of names) {
      const m = /^(.+)\.json$/.exec(n);
      if (!m || !BACKUP_ID_RE.test(m[1]!)) continue;
      const man = await this.load(m[1]!).catch(() => null); // unreadable manifests are not listed
      if (man && (ctid === undefined || man.ctid === ctid)) out.push({ ...man, path: this.archivePath(man.id) });
    }
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async delete(id: string): Promise<void> {
    checkBackupId(id);
    const exists = async (p: string) =>
      stat(p).then(
        () => true,
        () => false,
      );
    if (!(await exists(this.manifestPath(id))) && !(await exists(this.archivePath(id)))) {
      throw new EngineError("NOT_FOUND", `backup ${id} does not exist; list backups with backup.list`);
    }
    // archive first: a crash in between leaves a manifest whose restore says "archive missing" and
    // which a second delete removes — never an archive nobody lists
    await rm(this.archivePath(id), { force: true });
    await rm(this.partialPath(id), { force: true });
    await fsyncDir(this.dir);
    await rm(this.manifestPath(id), { force: true });
  }

  // ------------------------------------------------------------------------------------------ restore

  /** See restore.ts. */
  restore(req: RestoreRequest, ctx: OpContext): Promise<ContainerInfo> {
    return restoreBackup(this.h, this, req, ctx);
  }

  /** Journal recovery of interrupted backups and restores. */
  async recover(p: PendingEntry, log: (l: string) => void): Promise<void> {
    const { op, ctid, data } = p.header;
    if (op === "backup") {
      const id = String(data.id);
      log(
        `recovery: backup ${id} of ${ctid} was interrupted${p.committed ? " after it was written" : "; removing its files"}`,
      );
      if (!p.committed && BACKUP_ID_RE.test(id)) await this.removeFiles(id);
      await this.h.drivers.storage.deleteSnapshot(ctid, String(data.snapshot));
      return;
    }
    return recoverRestore(this.h, p, log);
  }
}
