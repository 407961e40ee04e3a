/**
 * The byte streams of a migration (schema.ts MIGRATE_SEND / MIGRATE_RECEIVE): the engine side of both
 * directions, and the relay the panel runs between a source and a target engine.
 *
 * Chunk framing, so a receiver can tell a complete stream from a cut one: u32 (big-endian) length + that
 * many bytes; a length of 0 ends the stream; FAIL (0xffffffff) + u32 length + UTF-8 message says the sender's
 * host tool failed. A receiver only reports success after the end marker AND its own tool's clean exit.
 */
import type { Socket } from "node:net";
import { EngineError } from "../errors.js";
import { runStreamCommand } from "../migrate-command.js";
import type { MigratePhase } from "../migrate-manifest.js";
import { endConnection } from "./console-server.js";
import { sendFrame } from "./framing.js";
import {
  migrateReceived,
  migrateStreamParams,
  MIGRATE_RECEIVE,
  MIGRATE_SEND,
  PROTOCOL_VERSION,
  replyFrame,
  requestFrame,
} from "./schema.js";

const FAIL = 0xffffffff;
const MAX_CHUNK = 1 << 20;

/** MigrateOps.sendCommand / receiveCommand (migrate.ts), chosen by direction in main.ts */
export type MigrateCommandOpener = (
  ctid: number,
  phase: MigratePhase,
  direction: "send" | "receive",
) => Promise<{ cmd: string; args: string[] }>;

function header(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

export function failFrame(message: string): Buffer {
  const m = Buffer.from(message.slice(0, 4000), "utf8");
  return Buffer.concat([header(FAIL), header(m.length), m]);
}

/** Incremental parser of the chunk framing. */
export class ChunkDecoder {
  private buf: Buffer = Buffer.alloc(0);
  state: "data" | "end" | "failed" = "data";
  failure = "";
  bytes = 0;

  /** Feed raw bytes; returns the payload chunks they completed. Bytes after the end are ignored. */
  push(raw: Buffer): Buffer[] {
    const out: Buffer[] = [];
    this.buf = this.buf.length ? Buffer.concat([this.buf, raw]) : raw;
    while (this.state === "data" && this.buf.length >= 4) {
      const n = this.buf.readUInt32BE(0);
      if (n === 0) {
        this.state = "end";
        break;
      }
      if (n === FAIL) {
        if (this.buf.length < 8) break;
        const m = this.buf.readUInt32BE(4);
        if (this.buf.length < 8 + m) break;
        this.failure = this.buf.toString("utf8", 8, 8 + m);
        this.state = "failed";
        break;
      }
      if (n > MAX_CHUNK) {
        this.failure = `bad chunk length ${n}`;
        this.state = "failed";
        break;
      }
      if (this.buf.length < 4 + n) break;
      out.push(this.buf.subarray(4, 4 + n));
      this.bytes += n;
      this.buf = this.buf.subarray(4 + n);
    }
    return out;
  }
}

function refuse(sock: Socket, id: string, e: EngineError, log: (l: string) => void, what: string): void {
  log(`${what} #${id}: ${e.code} ${e.message}`);
  sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "error", error: e.toInfo() });
  endConnection(sock);
}

/** Engine side of migrate.send / migrate.receive on a connection the server handed over. */
export async function serveMigrateStream(
  sock: Socket,
  raw: unknown,
  rest: Buffer,
  open: MigrateCommandOpener | undefined,
  log: (line: string) => void,
): Promise<void> {
  const id = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : "?";
  const method = (raw as { method?: string }).method === MIGRATE_RECEIVE ? MIGRATE_RECEIVE : MIGRATE_SEND;
  const frame = requestFrame.safeParse(raw);
  if (!frame.success)
    return refuse(
      sock,
      id,
      new EngineError("BAD_REQUEST", "malformed request frame: expected {v, id, method, params}"),
      log,
      method,
    );
  if (frame.data.v !== PROTOCOL_VERSION)
    return refuse(
      sock,
      id,
      new EngineError(
        "PROTOCOL_VERSION",
        `engine speaks protocol ${PROTOCOL_VERSION}, client sent ${frame.data.v}; upgrade the client`,
      ),
      log,
      method,
    );
  const params = migrateStreamParams.safeParse(frame.data.params ?? {});
  if (!params.success)
    return refuse(
      sock,
      id,
      new EngineError(
        "BAD_REQUEST",
        `invalid parameters for ${method}: ${params.error.issues.map((i) => i.message).join("; ")}`,
      ),
      log,
      method,
    );
  if (!open)
    return refuse(sock, id, new EngineError("UNSUPPORTED", "this engine does not migrate containers"), log, method);
  const { ctid, phase } = params.data;
  let command: { cmd: string; args: string[] };
  try {
    command = await open(ctid, phase, method === MIGRATE_SEND ? "send" : "receive");
  } catch (e) {
    return refuse(
      sock,
      id,
      e instanceof EngineError ? e : new EngineError("INTERNAL", (e as Error).message),
      log,
      method,
    );
  }
  sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "result", result: { ok: true } });
  sock.resume(); // the server paused it when it handed the connection over
  if (method === MIGRATE_SEND) return sendPhase(sock, command, log, `${method} ${ctid}/${phase}`);
  return receivePhase(sock, id, rest, command, log, `${method} ${ctid}/${phase}`);
}

function sendPhase(
  sock: Socket,
  command: { cmd: string; args: string[] },
  log: (l: string) => void,
  what: string,
): void {
  const proc = runStreamCommand(command, {
    stdout: (chunk) => {
      for (let o = 0; o < chunk.length; o += MAX_CHUNK) {
        const part = chunk.subarray(o, o + MAX_CHUNK);
        sock.write(header(part.length));
        if (!sock.write(part)) {
          proc.pause();
          sock.once("drain", () => proc.resume());
        }
      }
    },
  });
  proc.stdin.end();
  let closed = false;
  sock.once("close", () => {
    closed = true;
    proc.kill(); // the reader went away: stop producing
  });
  proc.done.then(
    () => {
      if (!closed) sock.end(header(0));
    },
    (e: Error) => {
      log(`${what}: ${e.message}`);
      if (!closed) sock.end(failFrame(e.message));
    },
  );
  sock.on("data", () => {}); // nothing is read after the request
}

function receivePhase(
  sock: Socket,
  id: string,
  rest: Buffer,
  command: { cmd: string; args: string[] },
  log: (l: string) => void,
  what: string,
): void {
  const proc = runStreamCommand(command, {});
  const dec = new ChunkDecoder();
  let finished = false;
  const finish = (err: EngineError | null) => {
    if (finished) return;
    finished = true;
    if (err) {
      log(`${what}: ${err.message}`);
      proc.kill();
      if (!sock.destroyed) {
        sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "error", error: err.toInfo() });
        endConnection(sock);
      }
      return;
    }
    sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "result", result: { bytes: dec.bytes } });
    endConnection(sock);
  };
  const onData = (raw: Buffer) => {
    if (finished || dec.state !== "data") return;
    for (const c of dec.push(raw)) {
      if (!proc.stdin.write(c)) {
        sock.pause();
        proc.stdin.once("drain", () => sock.resume());
      }
    }
    const state = dec.state as ChunkDecoder["state"]; // push() moves it on
    if (state === "failed")
      finish(new EngineError("HOST_TOOL_FAILED", `the source node could not send the data: ${dec.failure}`));
    else if (state === "end") {
      proc.stdin.end();
      proc.done.then(
        () => finish(null),
        (e: Error) => finish(e instanceof EngineError ? e : new EngineError("HOST_TOOL_FAILED", e.message)),
      );
    }
  };
  sock.on("data", onData);
  sock.once("close", () =>
    finish(new EngineError("INTERNAL", "the connection closed before the stream ended; nothing was kept")),
  );
  proc.done.catch((e: Error) => {
    if (dec.state === "data") finish(e instanceof EngineError ? e : new EngineError("HOST_TOOL_FAILED", e.message));
  });
  if (rest.length) onData(rest);
}

// ------------------------------------------------------------------------------------------ client side

/**
 * How the control plane reaches an engine for a raw stream (protocol/dial.ts dialEngine: Unix socket or mutual TLS).
 */
export type Dialer = (endpoint: string) => Promise<Socket>;

/** Open a stream connection: resolves after the accepted line with the socket and any bytes after it. */
async function openStream(
  dial: Dialer,
  endpoint: string,
  method: string,
  params: { ctid: number; phase: MigratePhase },
): Promise<{ sock: Socket; rest: Buffer; lines: LineReader }> {
  const sock = await dial(endpoint);
  const lines = new LineReader(sock);
  sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id: "1", method, params }) + "\n");
  const first = await lines.next(`${method} on ${endpoint}`);
  if (first.type === "error") {
    sock.destroy();
    throw EngineError.fromInfo(first.error);
  }
  return { sock, rest: lines.takeRest(), lines };
}

/** Reads newline-terminated reply frames off a socket until told to hand the rest over. */
class LineReader {
  private buf: Buffer = Buffer.alloc(0);
  private waiting: {
    resolve: (f: ReturnType<typeof replyFrame.parse>) => void;
    reject: (e: Error) => void;
    what: string;
  } | null = null;
  private closed = false;
  private active = true;
  constructor(private readonly sock: Socket) {
    sock.on("data", (d: Buffer) => {
      if (!this.active) return;
      this.buf = Buffer.concat([this.buf, d]);
      this.pump();
    });
    sock.on("close", () => {
      this.closed = true;
      this.pump();
    });
    sock.on("error", () => {});
  }
  private pump(): void {
    if (!this.waiting) return;
    const nl = this.buf.indexOf(0x0a);
    const w = this.waiting;
    if (nl >= 0) {
      this.waiting = null;
      try {
        w.resolve(replyFrame.parse(JSON.parse(this.buf.toString("utf8", 0, nl))));
      } catch {
        w.reject(new EngineError("INTERNAL", `malformed reply to ${w.what}`));
      }
      this.buf = this.buf.subarray(nl + 1);
    } else if (this.closed) {
      this.waiting = null;
      w.reject(new EngineError("INTERNAL", `the engine closed the connection during ${w.what}`));
    }
  }
  next(what: string): Promise<ReturnType<typeof replyFrame.parse>> {
    this.active = true;
    this.sock.resume();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject, what };
      this.pump();
    });
  }
  /** Stop buffering (the caller reads the socket itself) and return what was buffered. */
  takeRest(): Buffer {
    this.active = false;
    this.sock.pause(); // until the caller reads it (nothing may be lost in between)
    const b = this.buf;
    this.buf = Buffer.alloc(0);
    return b;
  }
}

/**
 * Relay one phase from the source engine to the target engine; resolves with the payload bytes once the
 * target has stored them. Any failure on either side (an engine gone, a tool failing) rejects, and both
 * connections are closed, which makes the other side drop what it had.
 */
export async function relayPhase(
  dial: Dialer,
  source: string,
  target: string,
  ctid: number,
  phase: MigratePhase,
): Promise<{ bytes: number }> {
  const src = await openStream(dial, source, MIGRATE_SEND, { ctid, phase });
  let dst: Awaited<ReturnType<typeof openStream>>;
  try {
    dst = await openStream(dial, target, MIGRATE_RECEIVE, { ctid, phase });
  } catch (e) {
    src.sock.destroy();
    throw e;
  }
  const dec = new ChunkDecoder();
  return new Promise<{ bytes: number }>((resolve, reject) => {
    let done = false;
    const fail = (e: Error) => {
      if (done) return;
      done = true;
      src.sock.destroy();
      dst.sock.destroy();
      reject(e);
    };
    const forward = (raw: Buffer) => {
      if (dec.state !== "data") return;
      dec.push(raw);
      if (!dst.sock.write(raw)) {
        src.sock.pause();
        dst.sock.once("drain", () => src.sock.resume());
      }
    };
    src.sock.on("data", forward);
    src.sock.once("close", () => {
      if (dec.state === "data")
        fail(
          new EngineError(
            "INTERNAL",
            `the source node closed the ${phase} stream of container ${ctid} before its end; is its engine running?`,
          ),
        );
      else if (dec.state === "failed")
        fail(
          new EngineError(
            "HOST_TOOL_FAILED",
            `the source node could not send the ${phase} of container ${ctid}: ${dec.failure}`,
          ),
        );
    });
    dst.lines.next(`${MIGRATE_RECEIVE} ${ctid}/${phase} on ${target}`).then((f) => {
      if (done) return;
      done = true;
      src.sock.destroy();
      dst.sock.destroy();
      if (f.type === "error") return reject(EngineError.fromInfo(f.error));
      const r = migrateReceived.safeParse(f.type === "result" ? f.result : null);
      if (!r.success)
        return reject(new EngineError("INTERNAL", `the target node sent an invalid ${MIGRATE_RECEIVE} result`));
      resolve(r.data);
    }, fail);
    if (src.rest.length) forward(src.rest);
    src.sock.resume();
    dst.sock.resume();
  });
}
