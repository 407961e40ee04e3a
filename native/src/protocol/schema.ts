/**
 * The engine protocol: newline-delimited JSON frames over a Unix stream socket (mTLS TCP for remote
 * nodes later). Every method has a zod schema for its params and its result; the server validates
 * params (and its own results) and the typed client is derived from the same table, so nothing is
 * hand-written twice and nothing is unchecked at runtime.
 *
 *   request:  {"v":1,"id":"7","method":"container.start","params":{"ctid":101}}
 *   event:    {"v":1,"id":"7","type":"event","event":{"kind":"progress","percent":30,"message":"starting init"}}
 *   result:   {"v":1,"id":"7","type":"result","result":{...}}
 *   error:    {"v":1,"id":"7","type":"error","error":{"code":"NOT_FOUND","message":"container 101 does not ..."}}
 *
 * Console sessions (`container.console`, not in the method table: it takes over its connection). The
 * request must be the only one on a fresh connection:
 *   request:  {"v":1,"id":"1","method":"container.console",
 *              "params":{"ctid":101,"cols":80,"rows":24,"term":"xterm-256color"}}
 *   error:    the usual error frame (NOT_FOUND, NOT_RUNNING, FROZEN, BUSY = session limit, ...), then the
 *             engine closes.
 *   accepted: {"v":1,"id":"1","type":"result","result":{"session":"c1a2b3","ctid":101}}
 * After the accepted line both directions carry binary frames (console-framing.ts): type u8, length u32
 * BE, payload ≤ 64 KiB — 1 DATA (terminal bytes, both ways), 2 RESIZE {"cols","rows"} (client → engine),
 * 3 EXIT {"code","signal","message"?} (engine → client, last frame, then the engine closes). The client
 * must not send anything between its request and the accepted line. Closing the connection ends the
 * session: the engine hangs up the terminal and kills what is left of the session's processes.
 * Persistent, shared sessions (the browser console): `"detachable":true` keeps the session when its
 * last client leaves — it ends OVZ_CONSOLE_DETACH_SEC (default 900) after that unless a client attaches,
 * or when its shell exits. `"session":"<id>"` (with the same ctid; cols/rows are applied as a resize)
 * attaches another client to a live detachable session: NOT_FOUND when it ended or belongs to another
 * container, BUSY at 8 clients. Output goes to every client (an attaching client first gets up to
 * 256 KiB of recent output as DATA), input and resizes come from any (the last resize wins).

 *
 * The method table's parts by area are in schema-*.ts; this module assembles `methods` and re-exports them.
 */
import { z } from "zod";
import { ERROR_CODES } from "../errors.js";
import { empty } from "./schema-common.js";
import { containerConfigMethods, containerLifecycleMethods, containerUsageMethods } from "./schema-containers.js";
import { hostPowerMethods } from "./schema-host.js";
import { migrateMethods } from "./schema-migrate.js";
import { containerNetMethods, networkMethods } from "./schema-network.js";
import { snapshotBackupMethods } from "./schema-snapshots.js";
import { templateMethods } from "./schema-templates.js";

export { containerInfo, MAX_FRAME_BYTES } from "./schema-common.js";
export * from "./schema-console.js";
export { DOWNLOAD_METHOD, downloadAccepted, type DownloadAccepted, downloadParams } from "./schema-snapshots.js";
export {
  MAX_TEMPLATE_UPLOAD_BYTES,
  TEMPLATE_UPLOAD,
  templateMeta,
  templateUploadParams,
  type TemplateUploadParams,
} from "./schema-templates.js";
export { MIGRATE_RECEIVE, MIGRATE_SEND, migrateReceived, migrateStreamParams } from "./schema-migrate.js";

export const PROTOCOL_VERSION = 1;

// The order of the parts is the order of the methods (engine-call's usage lists them so).
export const methods = {
  "engine.info": {
    params: empty,
    result: z.object({
      version: z.string(),
      protocol: z.number(),
      hostname: z.string(),
      kernel: z.string(),
      cpus: z.number(),
      memoryBytes: z.number(),
      runtime: z.string(),
      cgroupVersion: z.number(),
      /** where the containers' cgroups are (below the systemd unit that delegates them, on systemd hosts) */
      cgroupParent: z.string(),
      storage: z.object({
        driver: z.string(),
        caps: z.object({ quota: z.boolean(), inodeQuota: z.boolean(), cow: z.boolean() }),
        totalBytes: z.number(),
        freeBytes: z.number(),
      }),
      containers: z.number(),
    }),
  },
  ...containerLifecycleMethods,
  ...migrateMethods,
  ...containerConfigMethods,
  ...containerNetMethods,
  ...containerUsageMethods,
  ...networkMethods,
  ...snapshotBackupMethods,
  ...templateMethods,
  ...hostPowerMethods,
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = z.input<Methods[M]["params"]>;
export type Result<M extends MethodName> = z.output<Methods[M]["result"]>;

export const requestFrame = z.object({
  v: z.number().int(),
  id: z.string().min(1).max(64),
  method: z.string().max(64),
  params: z.unknown().optional(),
});
export type RequestFrame = z.infer<typeof requestFrame>;

export const opEvent = z.union([
  z.object({ kind: z.literal("log"), line: z.string() }),
  z.object({ kind: z.literal("progress"), percent: z.number(), message: z.string().optional() }),
]);
export type OpEvent = z.infer<typeof opEvent>;

export const errorInfo = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  cause: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const replyFrame = z.discriminatedUnion("type", [
  z.object({ v: z.number(), id: z.string(), type: z.literal("event"), event: opEvent }),
  z.object({ v: z.number(), id: z.string(), type: z.literal("result"), result: z.unknown() }),
  z.object({ v: z.number(), id: z.string(), type: z.literal("error"), error: errorInfo }),
]);
export type ReplyFrame = z.infer<typeof replyFrame>;
