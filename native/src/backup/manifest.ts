/**
 * Backup manifest: the JSON file next to each backup archive (<backupDir>/<id>.json beside <id>.tar.zst).
 * It records what is needed to recreate the container (its settings at backup time) and to trust the
 * archive (size and sha256, checked before any restore). Pure: no host access, unit-tested.
 *
 * Forward compatible: unknown keys are ignored on read; limits are kept as plain data and validated
 * against this host's settings when restoring (a newer engine may know more limits).
 */
import { z } from "zod";
import { ctidSchema } from "../identity.js";
import { EngineError } from "../errors.js";
import { netConfigSchema } from "../net/types.js";

/** <ctid>-<UTC yyyymmddThhmmssZ>-<6 hex>, e.g. 101-20261123T191615Z-a3f9c2 */
export const BACKUP_ID_RE = /^[1-9][0-9]{0,9}-[0-9]{8}T[0-9]{6}Z-[0-9a-f]{6}$/;
export const MANIFEST_FORMAT = "ovz-backup";
export const MANIFEST_VERSION = 1;

export function newBackupId(ctid: number, now: Date, random6hex: string): string {
  const t = now
    .toISOString()
    .replace(/\.\d+Z$/, "Z")
    .replace(/[-:]/g, "");
  const id = `${ctid}-${t}-${random6hex}`;
  return checkBackupId(id);
}

/** Throws BAD_REQUEST unless `id` is a backup id; returns it. File paths are only built from checked ids. */
export function checkBackupId(id: string): string {
  if (!BACKUP_ID_RE.test(id)) {
    throw new EngineError(
      "BAD_REQUEST",
      `bad backup id "${id}": backup ids look like 101-20261123T191615Z-a3f9c2 (see backup.list)`,
    );
  }
  return id;
}

const limitValue = z.union([z.number(), z.string(), z.null()]);

export const backupManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  version: z.literal(MANIFEST_VERSION),
  id: z.string().regex(BACKUP_ID_RE),
  /** the container the backup was taken of */
  ctid: ctidSchema,
  createdAt: z.string().datetime(),
  engineVersion: z.string(),
  /** the container's settings at backup time */
  container: z.object({
    name: z.string().nullable(),
    hostname: z.string(),
    template: z.string(),
    limits: z.record(z.string(), limitValue),
    net: netConfigSchema,
    onboot: z.boolean(),
    bootorder: z.number().nullable().optional(),
    init: z.string(),
    haltSignal: z.string(),
    createdAt: z.string(),
  }),
  archive: z.object({
    /**
     * zstd-compressed POSIX tar of the root filesystem (numeric owners, modes, all xattrs incl. ACLs, hard links,
     * sparse files)
     */
    compression: z.literal("zstd"),
    format: z.literal("posix-tar"),
    /** size of the .tar.zst file */
    sizeBytes: z.number().int().nonnegative(),
    /** sha256 of the .tar.zst file, hex */
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** size of the uncompressed tar stream (≈ the data a restore writes) */
    dataBytes: z.number().int().nonnegative(),
  }),
});
export type BackupManifest = z.output<typeof backupManifestSchema>;

/** What backup.list/create return: the manifest plus where the archive is. */
export const backupInfoSchema = backupManifestSchema.extend({ path: z.string() });
export type BackupInfo = z.output<typeof backupInfoSchema>;

/** Parse a manifest file's text; BAD_REQUEST with the reason when it is not a valid manifest. */
export function parseManifest(text: string, expectId?: string): BackupManifest {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new EngineError("BAD_REQUEST", `backup manifest is not valid JSON: ${(e as Error).message}`);
  }
  const r = backupManifestSchema.safeParse(raw);
  if (!r.success) {
    const msg = r.error.issues.map((i) => `${i.path.join(".") || "manifest"}: ${i.message}`).join("; ");
    throw new EngineError("BAD_REQUEST", `backup manifest is invalid: ${msg}`);
  }
  if (expectId !== undefined && r.data.id !== expectId) {
    throw new EngineError("BAD_REQUEST", `backup manifest belongs to backup ${r.data.id}, not ${expectId}`);
  }
  return r.data;
}

/** Parse GNU tar's --totals line ("Total bytes written: 10240 (10KiB, 3.3MiB/s)"), or null. */
export function parseTarTotals(line: string): number | null {
  const m = /^Total bytes (?:written|read): (\d+)/.exec(line.trim());
  return m ? Number(m[1]) : null;
}

/** Parse a tar --checkpoint-action=echo line ("tar: Write checkpoint 300") into the checkpoint number, or null. */
export function parseTarCheckpoint(line: string): number | null {
  const m = /(?:Read|Write) checkpoint (\d+)/.exec(line);
  return m ? Number(m[1]) : null;
}
