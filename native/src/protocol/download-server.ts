/**
 * Engine side of `backup.download` (schema.ts DOWNLOAD_METHOD): the server hands over a connection whose
 * only request is the download; this module validates it, answers with the accepted line (size + sha256
 * from the manifest), streams the archive's bytes and closes. Nothing is read from the client after the
 * request. The unprivileged panel never opens the engine's files itself.
 */
import { createReadStream } from "node:fs";
import type { Socket } from "node:net";
import { EngineError } from "../errors.js";
import { endConnection } from "./console-server.js";
import { sendFrame } from "./framing.js";
import { downloadParams, PROTOCOL_VERSION, requestFrame } from "./schema.js";

/** BackupOps.file (backup/backups.ts) */
export type BackupFileOpener = (id: string) => Promise<{ path: string; sizeBytes: number; sha256: string }>;

export async function serveDownload(
  sock: Socket,
  raw: unknown,
  open: BackupFileOpener | undefined,
  log: (line: string) => void,
): Promise<void> {
  const id = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : "?";
  const refuse = (e: EngineError) => {
    log(`backup.download #${id}: ${e.code} ${e.message}`);
    sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "error", error: e.toInfo() });
    endConnection(sock);
  };
  const frame = requestFrame.safeParse(raw);
  if (!frame.success)
    return refuse(new EngineError("BAD_REQUEST", "malformed request frame: expected {v, id, method, params}"));
  if (frame.data.v !== PROTOCOL_VERSION)
    return refuse(
      new EngineError(
        "PROTOCOL_VERSION",
        `engine speaks protocol ${PROTOCOL_VERSION}, client sent ${frame.data.v}; upgrade the client`,
      ),
    );
  const params = downloadParams.safeParse(frame.data.params ?? {});
  if (!params.success)
    return refuse(
      new EngineError(
        "BAD_REQUEST",
        `invalid parameters for backup.download: ${params.error.issues.map((i) => i.message).join("; ")}`,
      ),
    );
  if (!open) return refuse(new EngineError("UNSUPPORTED", "this engine does not serve backup downloads"));
  let file: Awaited<ReturnType<BackupFileOpener>>;
  try {
    file = await open(params.data.id);
  } catch (e) {
    return refuse(
      e instanceof EngineError
        ? e
        : new EngineError("INTERNAL", `could not open backup ${params.data.id}: ${(e as Error).message}`, { cause: e }),
    );
  }
  const stream = createReadStream(file.path);
  stream.once("open", () => {
    sendFrame(sock, {
      v: PROTOCOL_VERSION,
      id,
      type: "result",
      result: { id: params.data.id, sizeBytes: file.sizeBytes, sha256: file.sha256 },
    });
    stream.pipe(sock);
  });
  stream.once("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT")
      return refuse(
        new EngineError("NOT_FOUND", `backup ${params.data.id} has no archive file; it cannot be downloaded`),
      );
    log(`backup.download ${params.data.id}: read error ${e.message}`);
    sock.destroy(); // mid-stream: the client sees fewer bytes than announced
  });
  sock.once("close", () => stream.destroy());
  sock.resume();
}
