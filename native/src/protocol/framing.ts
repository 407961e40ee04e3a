/** Newline-delimited JSON framing with a size cap, shared by server and client. */
import type { Socket } from "node:net";
import { MAX_FRAME_BYTES } from "./schema.js";

export interface FrameReader {
  /**
   * Stop reading JSON frames (e.g. the connection switches to a console session). Frames after the one
   * being handled are not parsed; the bytes received after it are returned for the new reader. The
   * socket is left paused (nothing is lost meanwhile): the new reader attaches and calls resume().
   */
  detach(): Buffer;
}

export function onFrames(sock: Socket, onFrame: (value: unknown) => void, onTooBig: () => void): FrameReader {
  // Bytes, not strings: a newline byte never occurs inside a multi-byte UTF-8 sequence, so splitting at
  // 0x0a before decoding is safe, and a connection can hand its remaining raw bytes to another reader.
  let buf: Buffer = Buffer.alloc(0);
  let detached = false;
  let start = 0; // bytes of buf already consumed by the running onData
  const onData = (chunk: Buffer) => {
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    start = 0;
    let nl: number;
    while (!detached && (nl = buf.indexOf(0x0a, start)) >= 0) {
      const line = buf.toString("utf8", start, nl);
      start = nl + 1;
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      onFrame(value);
    }
    if (detached) return;
    buf = start === 0 ? buf : buf.subarray(start);
    start = 0;
    if (buf.length > MAX_FRAME_BYTES) {
      buf = Buffer.alloc(0);
      onTooBig();
    }
  };
  sock.on("data", onData);
  return {
    detach() {
      detached = true;
      sock.pause();
      sock.off("data", onData);
      const rest = Buffer.from(buf.subarray(start));
      buf = Buffer.alloc(0);
      start = 0;
      return rest;
    },
  };
}

export function sendFrame(sock: Socket, frame: object): void {
  if (!sock.destroyed) sock.write(JSON.stringify(frame) + "\n");
}
