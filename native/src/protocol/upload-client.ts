/**
 * Client side of `template.upload` (upload-server.ts): a connection of its own (socket path or tls://HOST:PORT,
 * dial.ts); sends the request line, then the tarball's bytes from `body` (exactly `sizeBytes`), and resolves
 * with the imported template or rejects with the engine's error (sent as soon as the engine refuses, even
 * before all bytes are sent: the body is then no longer read).
 */
import type { Readable } from "node:stream";
import { EngineError } from "../errors.js";
import type { TemplateMeta } from "../templates/types.js";
import { dialEngine, type DialOptions } from "./dial.js";
import { onFrames } from "./framing.js";
import {
  PROTOCOL_VERSION,
  replyFrame,
  TEMPLATE_UPLOAD,
  templateMeta,
  type OpEvent,
  type TemplateUploadParams,
} from "./schema.js";

export interface UploadCallbacks {
  onEvent?: (e: OpEvent) => void;
  /** every chunk of the body once the socket took it */
  onSent?: (bytes: number) => void;
}

export async function uploadTemplate(
  endpoint: string,
  params: TemplateUploadParams,
  body: Readable,
  cb: UploadCallbacks = {},
  dialOptions: DialOptions = {},
): Promise<TemplateMeta> {
  const sock = await dialEngine(endpoint, dialOptions);
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (e: Error | null, meta?: TemplateMeta) => {
      if (done) return;
      done = true;
      body.unpipe(sock);
      sock.destroy();
      if (e) reject(e);
      else resolve(meta!);
    };
    sock.on("error", (e) =>
      finish(
        new EngineError("INTERNAL", `the connection to the host engine at ${endpoint} failed: ${e.message}`, {
          cause: e,
        }),
      ),
    );
    sock.on("close", () =>
      finish(new EngineError("INTERNAL", `the engine closed the connection before it finished ${TEMPLATE_UPLOAD}`)),
    );
    onFrames(
      sock,
      (raw) => {
        const frame = replyFrame.safeParse(raw);
        if (!frame.success) return finish(new EngineError("INTERNAL", `malformed reply to ${TEMPLATE_UPLOAD}`));
        const f = frame.data;
        if (f.type === "event") return cb.onEvent?.(f.event);
        if (f.type === "error") return finish(EngineError.fromInfo(f.error));
        const meta = templateMeta.safeParse(f.result);
        if (!meta.success) return finish(new EngineError("INTERNAL", `invalid ${TEMPLATE_UPLOAD} result`));
        finish(null, meta.data);
      },
      () => finish(new EngineError("INTERNAL", `the engine sent a frame too large for ${TEMPLATE_UPLOAD}`)),
    );
    body.on("error", (e) => finish(new EngineError("BAD_REQUEST", `the upload failed: ${e.message}`, { cause: e })));
    let sent = 0;
    body.on("data", (chunk: Buffer) => {
      sent += chunk.length;
      cb.onSent?.(chunk.length);
    });
    body.on("end", () => {
      const size = params.sizeBytes;
      if (sent !== size)
        finish(
          new EngineError(
            "BAD_REQUEST",
            sent > size
              ? `the upload sent more than the ${size} bytes it announced`
              : `the upload ended after ${sent} of the ${size} bytes it announced`,
          ),
        );
    });
    sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id: "1", method: TEMPLATE_UPLOAD, params }) + "\n");
    body.pipe(sock, { end: false });
  });
}
