/**
 * Client side of a console session (protocol: schema.ts header; frames: console-framing.ts). Used by
 * `vzctl enter` (tools/enter.ts) and the panel's browser-console bridge:
 *
 *   const c = await openConsole("/run/ovz/engine.sock", { ctid: 101, cols: 80, rows: 24 });
 *   c.onData((bytes) => term.write(bytes));
 *   c.onExit(({ code }) => ...);            // exactly once: the session's status, or code -1 if the link broke
 *   c.write("ls\r"); c.resize(120, 40); c.close();
 *
 * openConsole rejects with the engine's EngineError (NOT_FOUND, NOT_RUNNING, FROZEN, BUSY, ...) when the
 * session cannot start. One connection per session; the endpoint is a socket path or tls://HOST:PORT (dial.ts).
 */
import { EngineError } from "../errors.js";
import { dialEngine, type DialOptions } from "./dial.js";
import {
  CLIENT_ACCEPTS,
  ConsoleFrameDecoder,
  ConsoleProtocolError,
  encodeData,
  encodeResize,
  type ConsoleExit,
} from "./console-framing.js";
import {
  CONSOLE_METHOD,
  consoleAccepted,
  consoleParams,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  replyFrame,
  type ConsoleParams,
} from "./schema.js";

export type { ConsoleExit } from "./console-framing.js";

export interface ConsoleConnection {
  /** the engine's id of this session (appears in its log) */
  readonly session: string;
  readonly ctid: number;
  /** resolves with the exit (also delivered to onExit listeners) */
  readonly exited: Promise<ConsoleExit>;
  write(data: Buffer | string): void;
  resize(cols: number, rows: number): void;
  /** terminal output; bytes that arrived before the first listener are delivered to it. Returns an unsubscribe. */
  onData(cb: (data: Buffer) => void): () => void;
  onExit(cb: (exit: ConsoleExit) => void): () => void;
  /** Ends the session (the engine hangs up the terminal and kills what is left of it). */
  close(): void;
}

export async function openConsole(
  endpoint: string,
  params: ConsoleParams,
  dialOptions: DialOptions = {},
): Promise<ConsoleConnection> {
  const checked = consoleParams.safeParse(params);
  if (!checked.success) {
    const msg = checked.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ");
    throw new EngineError("BAD_REQUEST", `invalid parameters for ${CONSOLE_METHOD}: ${msg}`);
  }
  const sock = await dialEngine(endpoint, dialOptions);
  sock.setNoDelay?.(true);

  // Phase 1: the JSON accepted/error line.
  const { accepted, rest } = await new Promise<{ accepted: { session: string; ctid: number }; rest: Buffer }>(
    (resolve, reject) => {
      let buf: Buffer = Buffer.alloc(0);
      const fail = (e: EngineError) => {
        cleanup();
        sock.destroy();
        reject(e);
      };
      const onError = (e: Error) =>
        fail(
          new EngineError("INTERNAL", `the connection to the host engine at ${endpoint} failed: ${e.message}`, {
            cause: e,
          }),
        );
      const onClose = () =>
        fail(new EngineError("INTERNAL", `the host engine closed the connection before answering ${CONSOLE_METHOD}`));
      const onData = (chunk: Buffer) => {
        buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
        const nl = buf.indexOf(0x0a);
        if (nl < 0) {
          if (buf.length > MAX_FRAME_BYTES)
            fail(new EngineError("INTERNAL", "the host engine sent an oversized reply"));
          return;
        }
        let value: unknown;
        try {
          value = JSON.parse(buf.toString("utf8", 0, nl));
        } catch {
          value = undefined;
        }
        const f = replyFrame.safeParse(value);
        if (!f.success || f.data.type === "event")
          return fail(new EngineError("INTERNAL", `unexpected reply to ${CONSOLE_METHOD} from the host engine`));
        if (f.data.type === "error") return fail(EngineError.fromInfo(f.data.error));
        const a = consoleAccepted.safeParse(f.data.result);
        if (!a.success)
          return fail(new EngineError("INTERNAL", `the host engine sent an invalid ${CONSOLE_METHOD} result`));
        cleanup();
        sock.pause(); // keep what follows until the session reader is attached
        resolve({ accepted: a.data, rest: Buffer.from(buf.subarray(nl + 1)) });
      };
      const cleanup = () => {
        sock.off("error", onError);
        sock.off("close", onClose);
        sock.off("data", onData);
      };
      sock.on("error", onError);
      sock.on("close", onClose);
      sock.on("data", onData);
      sock.write(JSON.stringify({ v: PROTOCOL_VERSION, id: "1", method: CONSOLE_METHOD, params: checked.data }) + "\n");
    },
  );

  // Phase 2: binary frames.
  const dataListeners = new Set<(d: Buffer) => void>();
  const exitListeners = new Set<(e: ConsoleExit) => void>();
  const early: Buffer[] = [];
  let exit: ConsoleExit | null = null;
  let resolveExited!: (e: ConsoleExit) => void;
  const exited = new Promise<ConsoleExit>((r) => (resolveExited = r));
  const finish = (e: ConsoleExit) => {
    if (exit) return;
    exit = e;
    resolveExited(e);
    for (const l of [...exitListeners]) l(e);
    sock.destroy();
  };
  const emitData = (d: Buffer) => {
    if (dataListeners.size === 0) early.push(d);
    else for (const l of [...dataListeners]) l(d);
  };
  const decoder = new ConsoleFrameDecoder(CLIENT_ACCEPTS);
  const feed = (chunk: Buffer) => {
    if (exit) return;
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      const msg = e instanceof ConsoleProtocolError ? e.message : String(e);
      return finish({ code: -1, signal: null, message: `protocol error from the host engine: ${msg}` });
    }
    for (const f of frames) {
      if (f.type === "data") emitData(f.data);
      else if (f.type === "exit") return finish(f.exit);
    }
  };
  sock.on("data", feed);
  sock.on("error", () => {});
  sock.on("close", () => finish({ code: -1, signal: null, message: "the connection to the host engine was lost" }));
  if (rest.length) feed(rest);
  sock.resume();

  return {
    session: accepted.session,
    ctid: accepted.ctid,
    exited,
    write(data) {
      if (!exit && !sock.destroyed) sock.write(encodeData(typeof data === "string" ? Buffer.from(data, "utf8") : data));
    },
    resize(cols, rows) {
      if (!exit && !sock.destroyed) sock.write(encodeResize(cols, rows));
    },
    onData(cb) {
      dataListeners.add(cb);
      if (dataListeners.size === 1 && early.length) for (const d of early.splice(0)) cb(d);
      return () => dataListeners.delete(cb);
    },
    onExit(cb) {
      if (exit) {
        cb(exit);
        return () => {};
      }
      exitListeners.add(cb);
      return () => exitListeners.delete(cb);
    },
    close() {
      finish({ code: -1, signal: null, message: "closed by the client" });
    },
  };
}
