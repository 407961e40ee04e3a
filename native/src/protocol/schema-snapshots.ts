/**
 * The method table, snapshots and backups (schema.ts assembles it), and the backup download connection.
 */
import { z } from "zod";
import { backupInfoSchema } from "../backup/manifest.js";
import { MAX_DESCRIPTION } from "../snapshot-names.js";
import { backupId, containerInfo, ctid, ctidOnly, ok, snapshotName } from "./schema-common.js";

const snapshotInfo = z.object({
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  /** bytes only this snapshot holds (what deleting it frees); null when the storage driver cannot tell cheaply */
  sizeBytes: z.number().nullable(),
});

export const snapshotBackupMethods = {
  /** Instant snapshot (btrfs CoW; a running container is frozen for that instant). name defaults to the UTC time. */
  "snapshot.create": {
    params: z
      .object({ ctid, name: snapshotName.optional(), description: z.string().max(MAX_DESCRIPTION).optional() })
      .strict(),
    result: snapshotInfo,
  },
  "snapshot.list": { params: ctidOnly, result: z.array(snapshotInfo) },
  /** Replace the root filesystem by the snapshot's (container stopped; the snapshot stays). */
  "snapshot.rollback": { params: z.object({ ctid, name: snapshotName }).strict(), result: containerInfo },
  "snapshot.delete": { params: z.object({ ctid, name: snapshotName }).strict(), result: ok },
  /** Full backup (tar.zst of a consistent snapshot + manifest) into the engine's backup directory; streams progress. */
  "backup.create": { params: ctidOnly, result: backupInfoSchema },
  "backup.list": { params: z.object({ ctid: ctid.optional() }).strict(), result: z.array(backupInfoSchema) },
  "backup.delete": { params: z.object({ id: backupId }).strict(), result: ok },
  /** Recreate a container from a backup into ctid (new, or destroyed); force replaces an existing stopped one. */
  "backup.restore": {
    params: z.object({ id: backupId, ctid, force: z.boolean().optional() }).strict(),
    result: containerInfo,
  },
} as const;

/**
 * backup.download takes over its connection like the console: one request, then one accepted line
 * (a result frame with the archive's size and sha256), then exactly sizeBytes raw bytes of the archive
 * (tar.zst), then the engine closes. A refusal is an ordinary error frame.
 */
export const DOWNLOAD_METHOD = "backup.download";
export const downloadParams = z.object({ id: backupId }).strict();
export const downloadAccepted = z.object({ id: z.string(), sizeBytes: z.number().int().min(0), sha256: z.string() });
export type DownloadAccepted = z.infer<typeof downloadAccepted>;
