/**
 * Schemas shared by the parts of the method table (schema.ts assembles it).
 */
import { z } from "zod";
import { LIMIT_KEYS, type Limits } from "../settings.js";
import { netConfigSchema } from "../net/types.js";
import { BACKUP_ID_RE } from "../backup/manifest.js";
import { SNAPSHOT_NAME_RE } from "../snapshot-names.js";
import { ctidSchema } from "../identity.js";
import { featureKeySchema, featuresSchema } from "../features.js";

/** A frame larger than this is refused (protects the root daemon from a client that never sends a newline). */
export const MAX_FRAME_BYTES = 1024 * 1024;

export const ctid = ctidSchema;
/** OpenVZ's --bootorder: higher numbers start earlier at host boot */
export const bootorderSchema = z
  .number({ message: "the boot order is a whole number from 0 to 1000000 (higher starts earlier)" })
  .int("the boot order is a whole number from 0 to 1000000 (higher starts earlier)")
  .min(0, "the boot order is a whole number from 0 to 1000000 (higher starts earlier)")
  .max(1_000_000, "the boot order is a whole number from 0 to 1000000 (higher starts earlier)");
export const limitsIn = z.record(z.string(), z.unknown()); // validated in depth by the engine (settings.ts)
export const limitsOut = z.object(
  Object.fromEntries(LIMIT_KEYS.map((k) => [k, k === "cpumask" ? z.string().nullable() : z.number()])),
) as unknown as z.ZodType<Limits>;

/** What a new container (create, clone) may be given besides its ctid and where its files come from. */
export const newContainerFields = {
  hostname: z.string().max(253).optional(),
  name: z.string().max(64).nullable().optional(),
  limits: limitsIn.optional(),
  /** enabled features (features.ts); unknown names are refused */
  features: featuresSchema.optional(),
  onboot: z.boolean().optional(),
  bootorder: bootorderSchema.nullable().optional(),
  net: netConfigSchema.optional(),
};

export const containerInfo = z.object({
  ctid: z.number(),
  name: z.string().nullable(),
  hostname: z.string(),
  template: z.string(),
  state: z.enum(["stopped", "running", "suspended", "transitioning"]),
  initPid: z.number().nullable(),
  limits: limitsOut,
  /** enabled features (features.ts), in table order; they apply at a start */
  features: z.array(featureKeySchema),
  onboot: z.boolean(),
  /** start order at host boot: higher first; null = unset (last) */
  bootorder: z.number().nullable(),
  idmap: z.object({ hostId: z.number(), size: z.number() }),
  rootfs: z.string(),
  /**
   * the container's files from the host, as OpenVZ's /vz/root/CTID: <stateDir>/root/<ctid> (root only; empty while
   * stopped)
   */
  root: z.string(),
  createdAt: z.string(),
  /** every address the container was given (venet and veth), for listings */
  ips: z.array(z.string()),
  /** the CRIU dump of a checkpointed container (its state is then "suspended"); null without one */
  checkpoint: z.object({ createdAt: z.string(), sizeBytes: z.number() }).nullable(),
});

export const snapshotName = z
  .string()
  .regex(SNAPSHOT_NAME_RE, "snapshot names are 1-64 letters, digits, . _ - starting with a letter or digit");
export const backupId = z
  .string()
  .regex(BACKUP_ID_RE, "backup ids look like 101-20261123T191615Z-a3f9c2 (see backup.list)");

export const empty = z.object({}).strict();
export const ok = z.object({ ok: z.literal(true) });
export const ctidOnly = z.object({ ctid }).strict();
