/** Pure declarations of the migration protocol (shared by the engine, its schema and the panel; no host access). */
import { z } from "zod";
import { featuresSchema } from "./features.js";

export const MIGRATE_PHASES = ["base", "delta", "dump"] as const;
export type MigratePhase = (typeof MIGRATE_PHASES)[number];

/** What the source tells the target about the container (its engine record) and the kind of move. */
export const migrateManifest = z.object({
  record: z.object({
    ctid: z.number().int(),
    name: z.string().nullable(),
    hostname: z.string(),
    template: z.string(),
    limits: z.record(z.string(), z.unknown()),
    /** its features (features.ts); a name this engine does not know refuses the migration */
    features: featuresSchema.optional(),
    idmapSlot: z.number().int().min(0),
    init: z.string(),
    haltSignal: z.string(),
    onboot: z.boolean(),
    bootorder: z.number().nullable().optional(),
    createdAt: z.string(),
    net: z.unknown().optional(),
  }),
  live: z.boolean(),
  wasRunning: z.boolean(),
});
export type MigrateManifest = z.infer<typeof migrateManifest>;
