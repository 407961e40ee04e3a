/**
 * The engine's protocol server. Each request is validated (frame, version, method, params) before
 * a handler runs; results are validated against the method's result schema too, so the contract the
 * client relies on is enforced here. Errors go out as typed ErrorInfo, never as stack traces.
 * `connectionHandler` serves one connection whatever carries it: the Unix socket (`listen`, here) and
 * the mutual-TLS TCP listener of a remote node (tls-server.ts) share it, raw-stream methods included.
 */
import net from "node:net";
import { chmod, chown, mkdir, rm } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../errors.js";
import type { OpContext } from "../engine-types.js";
import { onFrames, sendFrame } from "./framing.js";
import type { Handlers } from "./handlers.js";
import { endConnection, serveConsole, type ConsoleOpener } from "./console-server.js";
import { serveDownload, type BackupFileOpener } from "./download-server.js";
import { serveMigrateStream, type MigrateCommandOpener } from "./migrate-stream.js";
import { serveTemplateUpload, type TemplateUploader } from "./upload-server.js";
import {
  CONSOLE_METHOD,
  DOWNLOAD_METHOD,
  MIGRATE_RECEIVE,
  MIGRATE_SEND,
  methods,
  PROTOCOL_VERSION,
  requestFrame,
  TEMPLATE_UPLOAD,
  type MethodName,
} from "./schema.js";

export interface ConnectionOptions {
  log?: (line: string) => void;
  /** console sessions (container.console); without it the method is refused as UNSUPPORTED */
  consoles?: ConsoleOpener;
  /** backup archives for backup.download (BackupOps.file); without it the method is refused as UNSUPPORTED */
  backupFiles?: BackupFileOpener;
  /**
   * migration streams (MigrateOps.sendCommand / receiveCommand); without it migrate.send/receive are refused as
   * UNSUPPORTED
   */
  migrateStreams?: MigrateCommandOpener;
  /** template.upload (TemplateStore.importReceived); without it the method is refused as UNSUPPORTED */
  templateUploads?: TemplateUploader;
}

export interface ServerOptions extends ConnectionOptions {
  socketPath: string;
  /** gid allowed to connect (socket mode 0660); null = root only (0600) */
  gid: number | null;
}

export async function dispatch(
  handlers: Handlers,
  raw: unknown,
  ctx: OpContext,
): Promise<{ id: string; result?: unknown; error?: EngineError }> {
  const frame = requestFrame.safeParse(raw);
  const id = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : "?";
  if (!frame.success)
    return { id, error: new EngineError("BAD_REQUEST", "malformed request frame: expected {v, id, method, params}") };
  const req = frame.data;
  if (req.v !== PROTOCOL_VERSION) {
    return {
      id,
      error: new EngineError(
        "PROTOCOL_VERSION",
        `engine speaks protocol ${PROTOCOL_VERSION}, client sent ${req.v}; upgrade the client`,
      ),
    };
  }
  if (!Object.hasOwn(methods, req.method))
    return { id, error: new EngineError("UNKNOWN_METHOD", `unknown method "${req.method}"`) };
  const m = req.method as MethodName;
  const params = methods[m].params.safeParse(req.params ?? {});
  if (!params.success) {
    const msg = params.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ");
    return { id, error: new EngineError("BAD_REQUEST", `invalid parameters for ${m}: ${msg}`) };
  }
  try {
    const result = await (handlers[m] as (p: unknown, c: OpContext) => Promise<unknown>)(params.data, ctx);
    const checked = methods[m].result.safeParse(result);
    if (!checked.success) {
      return {
        id,
        error: new EngineError(
          "INTERNAL",
          `engine produced an invalid ${m} result: ${checked.error.issues[0]?.message}`,
        ),
      };
    }
    return { id, result: checked.data };
  } catch (e) {
    if (e instanceof EngineError) return { id, error: e };
    return { id, error: new EngineError("INTERNAL", `internal error in ${m}: ${(e as Error).message}`, { cause: e }) };
  }
}

/** Serves the protocol on one connection (JSON frames; console and download take the connection over). */
export function connectionHandler(handlers: Handlers, opts: ConnectionOptions): (sock: net.Socket) => void {
  const log = opts.log ?? (() => {});
  return (sock) => {
    let requests = 0;
    const reader = onFrames(
      sock,
      (raw) => {
        const id = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : "?";
        requests++;
        if ((raw as { method?: unknown })?.method === CONSOLE_METHOD) {
          // the connection becomes the session's (binary frames from here on)
          const rest = reader.detach();
          if (requests > 1) {
            sendFrame(sock, {
              v: PROTOCOL_VERSION,
              id,
              type: "error",
              error: {
                code: "BAD_REQUEST",
                message: `${CONSOLE_METHOD} must be the only request on its connection; open a new one`,
              },
            });
            endConnection(sock);
            return;
          }
          void serveConsole(sock, raw, rest, opts.consoles, log);
          return;
        }
        if ((raw as { method?: unknown })?.method === DOWNLOAD_METHOD) {
          // the connection carries the archive's bytes from here on
          reader.detach();
          if (requests > 1) {
            sendFrame(sock, {
              v: PROTOCOL_VERSION,
              id,
              type: "error",
              error: {
                code: "BAD_REQUEST",
                message: `${DOWNLOAD_METHOD} must be the only request on its connection; open a new one`,
              },
            });
            endConnection(sock);
            return;
          }
          void serveDownload(sock, raw, opts.backupFiles, log);
          return;
        }
        const m = (raw as { method?: unknown })?.method;
        if (m === MIGRATE_SEND || m === MIGRATE_RECEIVE || m === TEMPLATE_UPLOAD) {
          // the connection carries one phase's (or one upload's) bytes from here on
          const rest = reader.detach();
          if (requests > 1) {
            sendFrame(sock, {
              v: PROTOCOL_VERSION,
              id,
              type: "error",
              error: {
                code: "BAD_REQUEST",
                message: `${String(m)} must be the only request on its connection; open a new one`,
              },
            });
            endConnection(sock);
            return;
          }
          if (m === TEMPLATE_UPLOAD) void serveTemplateUpload(sock, raw, rest, opts.templateUploads, log);
          else void serveMigrateStream(sock, raw, rest, opts.migrateStreams, log);
          return;
        }
        const ctx: OpContext = {
          log: (line) => sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "event", event: { kind: "log", line } }),
          progress: (percent, message) =>
            sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "event", event: { kind: "progress", percent, message } }),
        };
        const method = (raw as { method?: unknown })?.method;
        void dispatch(handlers, raw, ctx).then((r) => {
          if (r.error) {
            log(`${String(method)} #${r.id}: ${r.error.code} ${r.error.message}`);
            sendFrame(sock, { v: PROTOCOL_VERSION, id: r.id, type: "error", error: r.error.toInfo() });
          } else {
            sendFrame(sock, { v: PROTOCOL_VERSION, id: r.id, type: "result", result: r.result });
          }
        });
      },
      () => {
        sendFrame(sock, {
          v: PROTOCOL_VERSION,
          id: "?",
          type: "error",
          error: { code: "BAD_REQUEST", message: "frame too large" },
        });
        sock.destroy();
      },
    );
    sock.on("error", () => {});
  };
}

/** The Unix socket (mode 0660 for `gid`, else 0600). */
export async function listen(handlers: Handlers, opts: ServerOptions): Promise<net.Server> {
  await mkdir(path.dirname(opts.socketPath), { recursive: true, mode: 0o755 });
  await rm(opts.socketPath, { force: true });
  const server = net.createServer(connectionHandler(handlers, opts));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.socketPath, () => resolve());
  });
  if (opts.gid !== null) {
    await chown(opts.socketPath, 0, opts.gid);
    await chmod(opts.socketPath, 0o660);
  } else {
    await chmod(opts.socketPath, 0o600);
  }
  return server;
}
