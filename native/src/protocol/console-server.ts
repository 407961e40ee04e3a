/**
 * Engine side of `container.console` (protocol: schema.ts header, frames: console-framing.ts). The
 * server hands over a connection whose first request is the console method; from then on this module
 * owns it: validate, open the session, answer with the accepted line, then relay binary frames until
 * either side ends. A bad frame or a disconnect drops this client: a session that is not detachable
 * ends with it (its processes are killed); a detachable one keeps running for its other or later clients
 * (`session` param), which first get its recent output.
 */
import type { Socket } from "node:net";
import { EngineError } from "../errors.js";
import type { ConsoleRequest } from "../console.js";
import {
  ConsoleFrameDecoder,
  ConsoleProtocolError,
  encodeData,
  encodeExit,
  ENGINE_ACCEPTS,
  type ConsoleExit,
} from "./console-framing.js";
import { sendFrame } from "./framing.js";
import { consoleParams, PROTOCOL_VERSION, requestFrame } from "./schema.js";

/** What this module needs of a session (ConsoleSession in console.ts; stubs in tests). */
export interface ConsoleSessionLike {
  readonly id: string;
  readonly ctid: number;
  /** returns an unsubscribe */
  onData(cb: (d: Buffer) => void): () => void;
  /** returns an unsubscribe */
  onExit(cb: (e: ConsoleExit) => void): () => void;
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  /** balanced: one resume() per pause() */
  pause(): void;
  resume(): void;
  /** recent output for a client that attaches to a running session (empty when there is none) */
  scrollback(): Buffer;
  /** this client went away: ends a non-detachable session, starts a detached one's expiry */
  leave(reason: string): void;
}
/** ConsoleManager in console.ts */
export interface ConsoleOpener {
  open(req: ConsoleRequest): Promise<ConsoleSessionLike>;
}

/**
 * Send the last bytes and close. The socket may be paused (handed over by the JSON reader): resume it so
 * the peer's end is seen, and do not wait for a peer that never closes.
 */
export function endConnection(sock: Socket, last?: Buffer): void {
  if (last) sock.end(last);
  else sock.end();
  sock.resume();
  setTimeout(() => sock.destroy(), 10_000).unref();
}

export async function serveConsole(
  sock: Socket,
  raw: unknown,
  leftover: Buffer,
  consoles: ConsoleOpener | undefined,
  log: (line: string) => void,
): Promise<void> {
  const id = typeof (raw as { id?: unknown })?.id === "string" ? (raw as { id: string }).id : "?";
  const refuse = (e: EngineError) => {
    log(`container.console #${id}: ${e.code} ${e.message}`);
    sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "error", error: e.toInfo() });
    endConnection(sock); // the connection was only for this session
  };
  let disconnected = false;
  sock.once("close", () => (disconnected = true));

  const frame = requestFrame.safeParse(raw);
  if (!frame.success)
    return refuse(new EngineError("BAD_REQUEST", "malformed request frame: expected {v, id, method, params}"));
  if (frame.data.v !== PROTOCOL_VERSION) {
    return refuse(
      new EngineError(
        "PROTOCOL_VERSION",
        `engine speaks protocol ${PROTOCOL_VERSION}, client sent ${frame.data.v}; upgrade the client`,
      ),
    );
  }
  const params = consoleParams.safeParse(frame.data.params ?? {});
  if (!params.success) {
    const msg = params.error.issues.map((i) => `${i.path.join(".") || "params"}: ${i.message}`).join("; ");
    return refuse(new EngineError("BAD_REQUEST", `invalid parameters for container.console: ${msg}`));
  }
  if (!consoles) return refuse(new EngineError("UNSUPPORTED", "this engine does not serve console sessions"));

  let session: ConsoleSessionLike;
  try {
    session = await consoles.open(params.data);
  } catch (e) {
    return refuse(
      e instanceof EngineError
        ? e
        : new EngineError("INTERNAL", `could not open a console: ${(e as Error).message}`, { cause: e }),
    );
  }
  if (disconnected || sock.destroyed) {
    session.leave("client disconnected before the session started");
    return;
  }

  sendFrame(sock, { v: PROTOCOL_VERSION, id, type: "result", result: { session: session.id, ctid: session.ctid } });

  // engine → client: first the recent output (attach), then the terminal's, with backpressure on the
  // terminal (this client's pause counts until it drains or leaves)
  let paused = false;
  const send = (d: Buffer) => {
    if (sock.destroyed || !d.length) return;
    if (!sock.write(encodeData(d)) && !paused) {
      paused = true;
      session.pause();
    }
  };
  send(session.scrollback());
  const offData = session.onData(send);
  sock.on("drain", () => {
    if (paused) {
      paused = false;
      session.resume();
    }
  });
  const offExit = session.onExit((exit) => {
    if (!sock.destroyed) endConnection(sock, encodeExit(exit));
  });
  let left = false;
  const leave = (reason: string) => {
    if (left) return;
    left = true;
    offData();
    offExit();
    if (paused) {
      paused = false;
      session.resume();
    }
    session.leave(reason);
  };

  // client → engine: keyboard input and resizes
  const decoder = new ConsoleFrameDecoder(ENGINE_ACCEPTS);
  const feed = (chunk: Buffer) => {
    let frames;
    try {
      frames = decoder.push(chunk);
    } catch (e) {
      const msg = e instanceof ConsoleProtocolError ? e.message : String(e);
      log(`console ${session.id}: protocol error from the client: ${msg}; dropping the client`);
      sock.off("data", feed);
      leave(`protocol error: ${msg}`);
      sock.destroy();
      return;
    }
    for (const f of frames) {
      if (f.type === "data") session.write(f.data);
      else if (f.type === "resize") session.resize(f.cols, f.rows);
    }
  };
  sock.on("close", () => leave("client disconnected"));
  if (disconnected) leave("client disconnected");
  sock.on("data", feed);
  if (leftover.length) feed(leftover);
  sock.resume();
}
