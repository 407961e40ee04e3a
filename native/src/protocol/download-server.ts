/**
 * Engine side of `backup.download` (schema.ts DOWNLOAD_METHOD): the server hands over a connection whose
 * only request is the download; this module validates it, answers with the accepted line (size + sha256
 * from the manifest), streams the archive's bytes and closes. Nothing is read from the client after the
 * request. The unprivileged panel never opens the engine's files itself.
 */
import { createReadStream } from "node:fs";
import type { Socket } from "node:net";
import { EngineError } from "../errors.js";
import { sendFrame } from "./framing.js";
import { openRawRequest } from "./raw-request.js";
import { downloadParams, PROTOCOL_VERSION } from "./schema.js";

/** BackupOps.file (backup/backups.ts) */
export type BackupFileOpener = (id: string) => Promise<{ path: string; sizeBytes: number; sha256: string }>;

export async function serveDownload(
  sock: Socket,
  raw: unknown,
  open: BackupFileOpener | undefined,
  log: (line: string) => void,
): Promise<void> {
  const req = openRawRequest(sock, raw, "backup.download", downloadParams, log);
  if (!req) return;
  const { id, refuse } = req;
  if (!open) return refuse(new EngineError("UNSUPPORTED", "this engine does not serve backup downloads"));
  let file: Awaited<ReturnType<BackupFileOpener>>;
  try {
    file = await open(req.params.id);
  } catch (e) {
    return refuse(
      e instanceof EngineError
        ? e
        : new EngineError("INTERNAL", `could not open backup ${req.params.id}: ${(e as Error).message}`, { cause: e }),
    );
  }
  const stream = createReadStream(file.path);
  stream.once("open", () => {
    sendFrame(sock, {
      v: PROTOCOL_VERSION,
      id,
      type: "result",
      result: { id: req.params.id, sizeBytes: file.sizeBytes, sha256: file.sha256 },
    });
    stream.pipe(sock);
  });
  stream.once("error", (e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT")
      return refuse(
        new EngineError("NOT_FOUND", `backup ${req.params.id} has no archive file; it cannot be downloaded`),
      );
    log(`backup.download ${req.params.id}: read error ${e.message}`);
    sock.destroy(); // mid-stream: the client sees fewer bytes than announced
  });
  sock.once("close", () => stream.destroy());
  sock.resume();
}
