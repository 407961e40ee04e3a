/**
 * Binary framing of a console session (the connection after `container.console` was accepted; see
 * schema.ts). Every frame is
 *
 *   +---------+-------------------+---------------------+
 *   | type u8 | length u32 (BE)   | payload (length B)  |
 *   +---------+-------------------+---------------------+
 *
 *   1 DATA    both ways       terminal bytes (keyboard input to the engine, screen output from it)
 *   2 RESIZE  client → engine JSON {"cols":C,"rows":R}
 *   3 EXIT    engine → client JSON {"code":N,"signal":null|"SIGKILL","message"?:"..."}; the last frame
 *
 * A payload is at most MAX_CONSOLE_PAYLOAD bytes (senders split DATA). An oversized length, an unknown
 * type or an invalid control payload is a protocol error: the receiver drops the connection (the engine
 * then ends the session). Pure code, no I/O: both the engine and the client use it.
 */
import { z } from "zod";

export const MAX_CONSOLE_PAYLOAD = 64 * 1024;
export const HEADER_BYTES = 5;

export const FRAME_DATA = 1;
export const FRAME_RESIZE = 2;
export const FRAME_EXIT = 3;

/** TIOCSWINSZ holds u16s; no real screen is wider/taller than this. */
export const MAX_TERM_SIZE = 4096;
export const termSize = z.number().int().min(1).max(MAX_TERM_SIZE);
export const resizePayload = z.object({ cols: termSize, rows: termSize }).strict();
export const exitPayload = z.object({
  /** the session process's exit status (0-255), 128+N when killed by signal N, -1 when unknown */
  code: z.number().int().min(-1).max(255),
  /** name of the signal that ended the session process, if one did */
  signal: z.string().max(32).nullable(),
  /** why the engine ended the session when it was not the process exiting by itself */
  message: z.string().max(1024).optional(),
});
export type ConsoleExit = z.infer<typeof exitPayload>;

export type ConsoleFrame =
  { type: "data"; data: Buffer } | { type: "resize"; cols: number; rows: number } | { type: "exit"; exit: ConsoleExit };

export class ConsoleProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConsoleProtocolError";
  }
}

function frame(type: number, payload: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  out.writeUInt8(type, 0);
  out.writeUInt32BE(payload.length, 1);
  payload.copy(out, HEADER_BYTES);
  return out;
}

/** DATA frames for any amount of bytes (split at MAX_CONSOLE_PAYLOAD); nothing for an empty input. */
export function encodeData(data: Buffer | string): Buffer {
  const buf = typeof data === "string" ? Buffer.from(data, "utf8") : data;
  if (buf.length <= MAX_CONSOLE_PAYLOAD) return buf.length ? frame(FRAME_DATA, buf) : Buffer.alloc(0);
  const parts: Buffer[] = [];
  for (let off = 0; off < buf.length; off += MAX_CONSOLE_PAYLOAD)
    parts.push(frame(FRAME_DATA, buf.subarray(off, off + MAX_CONSOLE_PAYLOAD)));
  return Buffer.concat(parts);
}

export function encodeResize(cols: number, rows: number): Buffer {
  const p = resizePayload.parse({ cols, rows });
  return frame(FRAME_RESIZE, Buffer.from(JSON.stringify(p)));
}

export function encodeExit(exit: ConsoleExit): Buffer {
  const p = exitPayload.parse(exit);
  return frame(FRAME_EXIT, Buffer.from(JSON.stringify(p)));
}

function control<T>(schema: z.ZodType<T>, payload: Buffer, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString("utf8"));
  } catch {
    throw new ConsoleProtocolError(`${what} frame payload is not JSON`);
  }
  const r = schema.safeParse(value);
  if (!r.success)
    throw new ConsoleProtocolError(`invalid ${what} frame: ${r.error.issues[0]?.message ?? "bad payload"}`);
  return r.data;
}

/**
 * Incremental decoder: push() the bytes as they arrive (any split or merge of frames), get the complete
 * frames back. Throws ConsoleProtocolError on the first bad frame; the decoder is unusable after that.
 */
export class ConsoleFrameDecoder {
  private buf: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly accept: ReadonlySet<number> = new Set([FRAME_DATA, FRAME_RESIZE, FRAME_EXIT])) {}

  /** bytes received but not yet part of a complete frame */
  get pending(): number {
    return this.buf.length;
  }

  push(chunk: Buffer): ConsoleFrame[] {
    if (this.failed) throw new ConsoleProtocolError("decoder already failed");
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: ConsoleFrame[] = [];
    let off = 0;
    try {
      while (this.buf.length - off >= HEADER_BYTES) {
        const type = this.buf.readUInt8(off);
        const len = this.buf.readUInt32BE(off + 1);
        if (!this.accept.has(type)) throw new ConsoleProtocolError(`unexpected console frame type ${type}`);
        if (len > MAX_CONSOLE_PAYLOAD)
          throw new ConsoleProtocolError(`console frame of ${len} bytes exceeds the ${MAX_CONSOLE_PAYLOAD}-byte limit`);
        if (this.buf.length - off - HEADER_BYTES < len) break;
        // copy: the caller may keep the payload while this buffer is reused
        const payload = Buffer.from(this.buf.subarray(off + HEADER_BYTES, off + HEADER_BYTES + len));
        off += HEADER_BYTES + len;
        if (type === FRAME_DATA) frames.push({ type: "data", data: payload });
        else if (type === FRAME_RESIZE) frames.push({ type: "resize", ...control(resizePayload, payload, "resize") });
        else frames.push({ type: "exit", exit: control(exitPayload, payload, "exit") });
      }
    } catch (e) {
      this.failed = true;
      this.buf = Buffer.alloc(0);
      throw e;
    }
    this.buf = off === this.buf.length ? Buffer.alloc(0) : Buffer.from(this.buf.subarray(off));
    return frames;
  }
}

/** What each side accepts: the engine never receives EXIT, the client never receives RESIZE. */
export const ENGINE_ACCEPTS: ReadonlySet<number> = new Set([FRAME_DATA, FRAME_RESIZE]);
export const CLIENT_ACCEPTS: ReadonlySet<number> = new Set([FRAME_DATA, FRAME_EXIT]);
