/**
 * Client side of `backup.download` (schema.ts DOWNLOAD_METHOD): a connection of its own (socket path or
 * tls://HOST:PORT, dial.ts); resolves with the accepted line and a stream of exactly the archive's bytes,
 * or rejects with the engine's error.
 */
import { PassThrough, type Readable } from "node:stream";
import { EngineError } from "../errors.js";
import { dialEngine, type DialOptions } from "./dial.js";
import { DOWNLOAD_METHOD, downloadAccepted, PROTOCOL_VERSION, replyFrame, type DownloadAccepted } from "./schema.js";

export async function openBackupDownload(
  endpoint: string,
  id: string,
  dialOptions: DialOptions = {},
): Promise<{ info: DownloadAccepted; body: Readable }> {
  const sock = await dialEngine(endpoint, dialOptions);
  return new Promise((resolve, reject) => {
    let head: Buffer = Buffer.alloc(0);
    let accepted = false;
    const body = new PassThrough();
    let got = 0;
    let want = 0;
    const fail = (e: Error) => {
      if (!accepted) reject(e);
      else body.destroy(e);
      sock.destroy();
    };
    sock.on("error", (e) =>
      fail(
        new EngineError("INTERNAL", `the connection to the host engine at ${endpoint} failed: ${e.message}`, {
          cause: e,
        }),
      ),
    );
    const onBytes = (chunk: Buffer) => {
      if (body.destroyed) return; // the reader gave up: the socket is being closed (below)
      got += chunk.length;
      if (!body.write(chunk)) sock.pause(); // backpressure: the reader (an HTTP response) is slower than the socket
    };
    sock.on("data", (chunk: Buffer) => {
      if (accepted) return onBytes(chunk);
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) {
        if (head.length > 65536)
          fail(new EngineError("INTERNAL", "the engine sent no accepted line for backup.download"));
        return;
      }
      let frame;
      try {
        frame = replyFrame.parse(JSON.parse(head.toString("utf8", 0, nl)));
      } catch {
        return fail(new EngineError("INTERNAL", "the engine sent a malformed reply to backup.download"));
      }
      if (frame.type === "error") return fail(EngineError.fromInfo(frame.error));
      if (frame.type !== "result") return fail(new EngineError("INTERNAL", "unexpected frame from backup.download"));
      const info = downloadAccepted.safeParse(frame.result);
      if (!info.success) return fail(new EngineError("INTERNAL", "the engine sent an invalid backup.download result"));
      accepted = true;
      want = info.data.sizeBytes;
      resolve({ info: info.data, body });
      const rest = head.subarray(nl + 1);
      if (rest.length) onBytes(rest);
    });
    sock.on("close", () => {
      if (!accepted)
        return reject(new EngineError("INTERNAL", "the engine closed the connection before accepting backup.download"));
      if (body.destroyed) return;
      if (got === want) body.end();
      else body.destroy(new EngineError("INTERNAL", `backup download ended after ${got} of ${want} bytes`));
    });
    body.on("drain", () => sock.resume());
    body.on("close", () => sock.destroy()); // the reader gave up
    sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id: "1", method: DOWNLOAD_METHOD, params: { id } }) + "\n");
  });
}
