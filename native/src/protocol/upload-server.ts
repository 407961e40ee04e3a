/**
 * Engine side of `template.upload` (schema-templates.ts TEMPLATE_UPLOAD): the server hands over a connection
 * whose only request is the upload. After the request line come exactly `sizeBytes` bytes of a tarball, which
 * the template store has written into its own temp file (a path the client never names); then the store
 * validates and imports it like template.import, streaming log events, and the connection ends with the
 * template (a result frame) or the reason it was refused (an error frame).
 */
import { createWriteStream } from "node:fs";
import type { Socket } from "node:net";
import { EngineError } from "../errors.js";
import type { TemplateMeta } from "../templates/types.js";
import { endConnection } from "./console-server.js";
import { sendFrame } from "./framing.js";
import { openRawRequest } from "./raw-request.js";
import { PROTOCOL_VERSION, TEMPLATE_UPLOAD, templateUploadParams } from "./schema.js";

/** TemplateStore.importReceived: `receive` writes the uploaded bytes to the store's temp path. */
export type TemplateUploader = (
  name: string,
  receive: (tmpTar: string) => Promise<void>,
  log: (line: string) => void,
) => Promise<TemplateMeta>;

/** Writes exactly `size` bytes from `sock` (after `rest`, read with the request line) to `dest`. */
export function receiveBytes(sock: Socket, rest: Buffer, size: number, dest: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(dest, { flags: "wx", mode: 0o600 });
    let got = 0;
    let settled = false;
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      cleanup();
      out.destroy();
      reject(e);
    };
    const onData = (chunk: Buffer) => {
      got += chunk.length;
      if (got > size) {
        return fail(new EngineError("BAD_REQUEST", `the upload sent more than the ${size} bytes it announced`));
      }
      if (!out.write(chunk)) sock.pause();
      if (got === size) {
        cleanup();
        out.end();
      }
    };
    const onClose = () =>
      fail(new EngineError("BAD_REQUEST", `the upload ended after ${got} of the ${size} bytes it announced`));
    const onDrain = () => sock.resume();
    const cleanup = () => {
      sock.off("data", onData);
      sock.off("close", onClose);
      out.off("drain", onDrain);
    };
    out.on("drain", onDrain);
    out.once("error", (e) => fail(new EngineError("INTERNAL", `could not store the upload: ${e.message}`)));
    out.once("finish", () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    sock.on("close", onClose);
    if (rest.length) onData(rest);
    if (!settled && got < size) {
      sock.on("data", onData);
      sock.resume();
    }
  });
}

export async function serveTemplateUpload(
  sock: Socket,
  raw: unknown,
  rest: Buffer,
  upload: TemplateUploader | undefined,
  log: (line: string) => void,
): Promise<void> {
  const req = openRawRequest(sock, raw, TEMPLATE_UPLOAD, templateUploadParams, log);
  if (!req) return;
  const { id, refuse } = req;
  if (!upload) return refuse(new EngineError("UNSUPPORTED", "this engine does not take template uploads"));
  const { name, sizeBytes } = req.params;
  const event = (line: string) =>
    sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "event", event: { kind: "log", line } });
  try {
    const meta = await upload(
      name,
      async (tmpTar) => {
        await receiveBytes(sock, rest, sizeBytes, tmpTar);
        event(`received ${sizeBytes} bytes`);
      },
      event,
    );
    sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "result", result: meta });
    endConnection(sock);
  } catch (e) {
    refuse(
      e instanceof EngineError
        ? e
        : new EngineError("INTERNAL", `could not import the upload: ${(e as Error).message}`, { cause: e }),
    );
  }
}
