/** Newline-delimited JSON framing with a size cap, shared by server and client. */
import type { Socket } from "node:net";
import { MAX_FRAME_BYTES } from "./schema.js";

export function onFrames(sock: Socket, onFrame: (value: unknown) => void, onTooBig: () => void): void {
  let buf = "";
  sock.setEncoding("utf8");
  sock.on("data", (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      if (!line.trim()) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        value = undefined;
      }
      onFrame(value);
    }
    if (buf.length > MAX_FRAME_BYTES) {
      buf = "";
      onTooBig();
    }
  });
}

export function sendFrame(sock: Socket, frame: object): void {
  if (!sock.destroyed) sock.write(JSON.stringify(frame) + "\n");
}
