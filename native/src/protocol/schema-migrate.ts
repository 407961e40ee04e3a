/**
 * The method table, migration between nodes (schema.ts assembles it), and the migrate stream connections.
 */
import { z } from "zod";
import { MIGRATE_PHASES, migrateManifest } from "../migrate-manifest.js";
import { containerInfo, ctid, ctidOnly, ok } from "./schema-common.js";

export const migrateMethods = {
  // ---- migration between nodes (native/src/migrate.ts; the panel drives both ends)
  /** Source: check, snapshot while running; the manifest for the target. */
  "migrate.prepare": { params: z.object({ ctid, live: z.boolean() }).strict(), result: migrateManifest },
  /** Source: CRIU dump (live) or stop (offline), then the final snapshot. */
  "migrate.freeze": { params: ctidOnly, result: z.object({ dumpBytes: z.number().int().min(0) }) },
  /** Source: the move failed; the container runs here again as it did. */
  "migrate.abort": { params: ctidOnly, result: containerInfo },
  /** Source: the move succeeded; remove the container here. */
  "migrate.commit": { params: ctidOnly, result: ok },
  /** Target: check the container fits and start receiving it. */
  "migrate.accept": {
    params: z.object({ manifest: migrateManifest }).strict(),
    result: z.object({ idmapSlot: z.number().int().min(0) }),
  },
  /** Target: build the container from what arrived; restore (live) or start it. Undone on failure. */
  "migrate.finish": { params: ctidOnly, result: containerInfo },
  /** Target: the move is done; remove the received snapshots (outside the frozen time). */
  "migrate.cleanup": { params: ctidOnly, result: ok },
  /** Target: drop a container being received (never one that exists otherwise). */
  "migrate.cancel": { params: ctidOnly, result: z.object({ removed: z.boolean() }) },
} as const;

/**
 * migrate.send / migrate.receive take over their connection like the console: one request, one accepted
 * line (a result frame {ok:true}), then the phase's bytes in chunks (protocol/migrate-stream.ts: u32 length
 * + bytes; length 0 ends the stream; 0xffffffff + u32 length + message reports a sender failure). The
 * receiver answers the end with one more line: a result frame {bytes} once its host tool has finished, or an
 * error frame. The panel relays the chunks from the source's connection to the target's unchanged.
 */
export const MIGRATE_SEND = "migrate.send";
export const MIGRATE_RECEIVE = "migrate.receive";
export const migrateStreamParams = z.object({ ctid, phase: z.enum(MIGRATE_PHASES) }).strict();
export const migrateReceived = z.object({ bytes: z.number().int().min(0) });
