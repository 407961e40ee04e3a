/**
 * Console session framing (console-framing.ts): frames survive any split or merge of the byte stream,
 * oversized or unknown frames are refused, control payloads are validated; plus the JSON line reader's
 * hand-over of the bytes after a console request (framing.ts detach); and the session protocol over a
 * real socket with stub sessions (console-server.ts + console-client.ts). Real terminals: root test.
 */
import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import net, { type Socket } from "node:net";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EngineError } from "../../src/errors.js";
import type { Handlers } from "../../src/protocol/handlers.js";
import { openConsole } from "../../src/protocol/console-client.js";
import type { ConsoleOpener, ConsoleSessionLike } from "../../src/protocol/console-server.js";
import {
  CLIENT_ACCEPTS,
  ConsoleFrameDecoder,
  ConsoleProtocolError,
  encodeData,
  encodeExit,
  encodeResize,
  ENGINE_ACCEPTS,
  FRAME_DATA,
  FRAME_RESIZE,
  HEADER_BYTES,
  MAX_CONSOLE_PAYLOAD,
  type ConsoleExit,
  type ConsoleFrame,
} from "../../src/protocol/console-framing.js";
import { onFrames } from "../../src/protocol/framing.js";

function header(type: number, len: number): Buffer {
  const b = Buffer.alloc(HEADER_BYTES);
  b.writeUInt8(type, 0);
  b.writeUInt32BE(len, 1);
  return b;
}

function decodeAll(chunks: Buffer[], accept = new Set([1, 2, 3])): ConsoleFrame[] {
  const d = new ConsoleFrameDecoder(accept);
  return chunks.flatMap((c) => d.push(c));
}

describe("console framing", () => {
  const stream = Buffer.concat([
    encodeData("hello "),
    encodeResize(120, 40),
    encodeData(Buffer.from([0, 1, 2, 0xff, 0x0a, 0x1b])), // binary-safe: NUL, 0xff, newline, ESC
    encodeData("wörld ✓"),
    encodeExit({ code: 3, signal: null }),
  ]);
  const expected: ConsoleFrame[] = [
    { type: "data", data: Buffer.from("hello ") },
    { type: "resize", cols: 120, rows: 40 },
    { type: "data", data: Buffer.from([0, 1, 2, 0xff, 0x0a, 0x1b]) },
    { type: "data", data: Buffer.from("wörld ✓") },
    { type: "exit", exit: { code: 3, signal: null } },
  ];

  it("decodes a stream delivered in one chunk", () => {
    expect(decodeAll([stream])).toEqual(expected);
  });

  it("decodes the same stream split at every possible byte boundary", () => {
    for (let cut = 1; cut < stream.length; cut++) {
      expect(decodeAll([stream.subarray(0, cut), stream.subarray(cut)]), `cut at ${cut}`).toEqual(expected);
    }
  });

  it("decodes the stream fed one byte at a time (headers and payloads split everywhere)", () => {
    const d = new ConsoleFrameDecoder();
    const out: ConsoleFrame[] = [];
    for (let i = 0; i < stream.length; i++) out.push(...d.push(stream.subarray(i, i + 1)));
    expect(out).toEqual(expected);
    expect(d.pending).toBe(0);
  });

  it("decodes random splits and merges of many frames", () => {
    const frames: Buffer[] = [];
    const want: ConsoleFrame[] = [];
    let seed = 7;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    for (let i = 0; i < 200; i++) {
      const data = Buffer.alloc(rnd(3000) + 1, i % 256);
      frames.push(encodeData(data));
      want.push({ type: "data", data });
    }
    const all = Buffer.concat(frames);
    const chunks: Buffer[] = [];
    for (let off = 0; off < all.length;) {
      const n = rnd(5000) + 1;
      chunks.push(all.subarray(off, off + n));
      off += n;
    }
    // compared as hex: a deep equality of 200 Buffers byte by byte took over 10 s on a loaded machine
    const hex = (fs: ConsoleFrame[]) => fs.map((f) => (f.type === "data" ? f.data.toString("hex") : f));
    expect(hex(decodeAll(chunks))).toEqual(hex(want));
  });

  it("splits large data into frames of at most the payload limit and reassembles it", () => {
    const big = Buffer.alloc(MAX_CONSOLE_PAYLOAD * 2 + 123, 0x61);
    const enc = encodeData(big);
    expect(enc.length).toBe(big.length + 3 * HEADER_BYTES);
    const out = decodeAll([enc]);
    expect(out.map((f) => (f.type === "data" ? f.data.length : -1))).toEqual([
      MAX_CONSOLE_PAYLOAD,
      MAX_CONSOLE_PAYLOAD,
      123,
    ]);
    expect(Buffer.concat(out.map((f) => (f.type === "data" ? f.data : Buffer.alloc(0))))).toEqual(big);
    expect(encodeData(Buffer.alloc(0)).length).toBe(0);
  });

  it("accepts a frame of exactly the limit and refuses one byte more as soon as its header arrives", () => {
    expect(decodeAll([encodeData(Buffer.alloc(MAX_CONSOLE_PAYLOAD))])).toHaveLength(1);
    const d = new ConsoleFrameDecoder();
    // only the header: the decoder must not wait for (or buffer) 4 GiB of payload
    expect(() => d.push(header(FRAME_DATA, MAX_CONSOLE_PAYLOAD + 1))).toThrow(ConsoleProtocolError);
    expect(() => new ConsoleFrameDecoder().push(header(FRAME_DATA, 0xffffffff))).toThrow(/exceeds/);
    // a failed decoder stays failed
    expect(() => d.push(encodeData("x"))).toThrow(ConsoleProtocolError);
  });

  it("refuses unknown frame types and types the receiving side never gets", () => {
    expect(() => decodeAll([header(9, 0)])).toThrow(/type 9/);
    expect(() => decodeAll([encodeExit({ code: 0, signal: null })], new Set(ENGINE_ACCEPTS))).toThrow(/type 3/);
    expect(() => decodeAll([encodeResize(80, 24)], new Set(CLIENT_ACCEPTS))).toThrow(/type 2/);
  });

  it("validates control payloads", () => {
    const bad = (type: number, text: string) =>
      Buffer.concat([header(type, Buffer.byteLength(text)), Buffer.from(text)]);
    expect(() => decodeAll([bad(FRAME_RESIZE, "{nope")])).toThrow(/not JSON/);
    expect(() => decodeAll([bad(FRAME_RESIZE, '{"cols":0,"rows":24}')])).toThrow(/invalid resize/);
    expect(() => decodeAll([bad(FRAME_RESIZE, '{"cols":80,"rows":24,"x":1}')])).toThrow(/invalid resize/);
    expect(() => decodeAll([bad(3, '{"code":"3"}')])).toThrow(/invalid exit/);
    expect(() => encodeResize(0, 10)).toThrow();
    expect(() => encodeResize(80, 100_000)).toThrow();
  });
});

describe("JSON line reader hand-over (framing.ts)", () => {
  function fakeSocket() {
    const s = new EventEmitter() as EventEmitter & { pause(): void; paused: boolean };
    s.paused = false;
    s.pause = () => {
      s.paused = true;
    };
    return s;
  }

  it("stops at the frame that detaches and returns every byte after it, even in the same chunk", () => {
    const sock = fakeSocket();
    const seen: unknown[] = [];
    let rest: Buffer | null = null;
    const reader = onFrames(
      sock as unknown as Socket,
      (v) => {
        seen.push(v);
        if ((v as { method?: string }).method === "container.console") rest = reader.detach();
      },
      () => {},
    );
    const binary = Buffer.concat([encodeData("ls\n"), encodeResize(100, 30)]);
    sock.emit(
      "data",
      Buffer.concat([
        Buffer.from('{"id":"a"}\n{"method":"container.console"}\n{"id":"never"}\n'),
        binary.subarray(0, 4),
      ]),
    );
    sock.emit("data", binary.subarray(4)); // after detach: not the reader's any more
    expect(seen).toEqual([{ id: "a" }, { method: "container.console" }]);
    expect(sock.paused).toBe(true);
    expect(rest!.subarray(0, 15).toString()).toBe('{"id":"never"}\n');
    expect(Buffer.compare(rest!.subarray(15), binary.subarray(0, 4))).toBe(0);
  });

  it("reassembles UTF-8 split across chunks (bytes are decoded per line, not per chunk)", () => {
    const sock = fakeSocket();
    const seen: unknown[] = [];
    onFrames(
      sock as unknown as Socket,
      (v) => seen.push(v),
      () => {},
    );
    const line = Buffer.from('{"s":"ä✓"}\n');
    for (let i = 0; i < line.length; i++) sock.emit("data", line.subarray(i, i + 1));
    expect(seen).toEqual([{ s: "ä✓" }]);
  });
});

describe("console sessions over the engine socket (stub sessions)", () => {
  // Imported lazily so the pure framing tests above do not depend on the server modules.
  async function setup(opener: ConsoleOpener | undefined) {
    const { listen } = await import("../../src/protocol/server.js");
    const dir = await mkdtemp(path.join(os.tmpdir(), "ovz-console-"));
    const sock = path.join(dir, "engine.sock");
    const server = await listen({} as Handlers, { socketPath: sock, gid: null, consoles: opener });
    return {
      sock,
      connections: () => new Promise<number>((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n)))),
      async done() {
        await new Promise<void>((r) => server.close(() => r()));
        await rm(dir, { recursive: true, force: true });
      },
    };
  }

  class StubSession implements ConsoleSessionLike {
    id = "stub1";
    input: Buffer[] = [];
    sizes: Array<[number, number]> = [];
    closed: string | null = null;
    left: string[] = [];
    history = "";
    private data = new Set<(d: Buffer) => void>();
    private exits = new Set<(e: ConsoleExit) => void>();
    constructor(readonly ctid: number) {}
    get listeners() {
      return this.data.size;
    }
    onData(cb: (d: Buffer) => void) {
      this.data.add(cb);
      return () => void this.data.delete(cb);
    }
    onExit(cb: (e: ConsoleExit) => void) {
      this.exits.add(cb);
      return () => void this.exits.delete(cb);
    }
    scrollback() {
      return Buffer.from(this.history);
    }
    leave(reason: string) {
      this.left.push(reason);
      this.closed = reason;
    }
    emit(d: string) {
      this.history += d;
      for (const l of this.data) l(Buffer.from(d));
    }
    exit(e: ConsoleExit) {
      for (const l of this.exits) l(e);
    }
    write(d: Buffer) {
      this.input.push(d);
      if (d.toString().includes("\r")) this.emit(`echo:${Buffer.concat(this.input).toString()}`);
    }
    resize(c: number, r: number) {
      this.sizes.push([c, r]);
    }
    pause() {}
    resume() {}
  }

  const until = async (cond: () => boolean, ms = 3000) => {
    const end = Date.now() + ms;
    while (!cond()) {
      if (Date.now() > end) throw new Error("timed out");
      await new Promise((r) => setTimeout(r, 10));
    }
  };

  it("relays input, output, resizes and the exit; typed errors refuse the session", async () => {
    const sessions: StubSession[] = [];
    const env = await setup({
      async open(req) {
        if (req.ctid === 404) throw new EngineError("NOT_FOUND", "container 404 does not exist");
        if (req.ctid === 409) throw new EngineError("NOT_RUNNING", "container 409 is not running; start it first");
        const s = new StubSession(req.ctid);
        sessions.push(s);
        setTimeout(() => s.emit("prompt# "), 5);
        return s;
      },
    });
    try {
      await expect(openConsole(env.sock, { ctid: 404, cols: 80, rows: 24 })).rejects.toMatchObject({
        code: "NOT_FOUND",
      });
      await expect(openConsole(env.sock, { ctid: 409, cols: 80, rows: 24 })).rejects.toMatchObject({
        code: "NOT_RUNNING",
      });
      await expect(openConsole(env.sock, { ctid: 101, cols: 0, rows: 24 })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });

      const c = await openConsole(env.sock, { ctid: 101, cols: 80, rows: 24 });
      expect(c.ctid).toBe(101);
      let out = "";
      c.onData((d) => (out += d.toString()));
      await until(() => out.includes("prompt# "));
      c.resize(132, 43);
      c.write("ls -l\r");
      await until(() => out.includes("echo:ls -l\r"));
      expect(sessions[0]!.sizes).toEqual([[132, 43]]);
      sessions[0]!.exit({ code: 7, signal: null });
      expect(await c.exited).toEqual({ code: 7, signal: null });
    } finally {
      await env.done();
    }
  });

  it("ends the session when the client disconnects or sends a bad frame", async () => {
    const sessions: StubSession[] = [];
    const env = await setup({
      async open(req) {
        const s = new StubSession(req.ctid);
        sessions.push(s);
        return s;
      },
    });
    try {
      const c = await openConsole(env.sock, { ctid: 101, cols: 80, rows: 24 });
      c.close();
      await until(() => sessions[0]?.closed !== null);
      expect(sessions[0]!.closed).toMatch(/disconnected/);

      // a raw client that sends an oversized frame header right after the request (pipelined)
      const raw = net.createConnection(env.sock);
      await new Promise((r) => raw.once("connect", r));
      raw.write(
        JSON.stringify({ v: 1, id: "1", method: "container.console", params: { ctid: 102, cols: 80, rows: 24 } }) +
          "\n",
      );
      raw.write(header(FRAME_DATA, MAX_CONSOLE_PAYLOAD + 1));
      await until(() => sessions[1]?.closed != null);
      expect(sessions[1]!.closed).toMatch(/protocol error/);
      raw.destroy();
      // the session's exit ends the connection from the engine's side
      sessions[1]!.exit({ code: 0, signal: null });
      const end = Date.now() + 3000;
      while ((await env.connections()) > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(await env.connections()).toBe(0);
    } finally {
      await env.done();
    }
  });

  it("shares a session between clients: replay on attach, output to all, input from any, leaving one keeps it for the other", async () => {
    const session = new StubSession(101);
    const env = await setup({
      async open(req) {
        if (req.session !== undefined && req.session !== "00112233aabbccdd")
          throw new EngineError("NOT_FOUND", `console session ${req.session} does not exist`);
        return session;
      },
    });
    try {
      const a = await openConsole(env.sock, { ctid: 101, cols: 80, rows: 24, detachable: true });
      let outA = "";
      a.onData((d) => (outA += d.toString()));
      session.emit("first# ");
      await until(() => outA.includes("first# "));
      const b = await openConsole(env.sock, { ctid: 101, cols: 100, rows: 30, session: "00112233aabbccdd" });
      let outB = "";
      b.onData((d) => (outB += d.toString()));
      await until(() => outB.includes("first# ")); // the recent output, replayed
      b.write("from-b\r");
      await until(() => outA.includes("echo:from-b") && outB.includes("echo:from-b"));
      a.write("from-a\r");
      await until(() => outB.includes("echo:from-b\rfrom-a\r"));
      await expect(
        openConsole(env.sock, { ctid: 101, cols: 80, rows: 24, session: "ffffffffffffffff" }),
      ).rejects.toMatchObject({ code: "NOT_FOUND" });
      a.close();
      await until(() => session.left.length === 1);
      expect(session.listeners).toBe(1); // a's listener is gone, b's stays
      session.emit("still-here");
      await until(() => outB.includes("still-here"));
      session.exit({ code: 0, signal: null });
      expect(await b.exited).toEqual({ code: 0, signal: null });
      await until(() => session.left.length === 2);
    } finally {
      await env.done();
    }
  });

  it("validates the attach parameters", async () => {
    const env = await setup({ open: async (req) => new StubSession(req.ctid) });
    try {
      await expect(openConsole(env.sock, { ctid: 101, cols: 80, rows: 24, session: "not-hex" })).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
      await expect(
        openConsole(env.sock, { ctid: 101, cols: 80, rows: 24, session: "00112233", command: ["sh"] }),
      ).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(/command cannot be given when attaching/),
      });
    } finally {
      await env.done();
    }
  });

  it("refuses the console method as the second request of a connection, and when the engine has no consoles", async () => {
    const env = await setup(undefined);
    try {
      await expect(openConsole(env.sock, { ctid: 101, cols: 80, rows: 24 })).rejects.toMatchObject({
        code: "UNSUPPORTED",
      });
      const raw = net.createConnection(env.sock);
      let text = "";
      raw.on("data", (d) => (text += d.toString()));
      const closed = new Promise((r) => raw.once("close", r));
      raw.write(
        '{"v":1,"id":"1","method":"engine.nope","params":{}}\n{"v":1,"id":"2","method":"container.console","params":{}}\n',
      );
      await closed;
      expect(text).toMatch(/"id":"2".*must be the only request/);
      // refused connections are closed on the engine's side too (no descriptor kept per refusal)
      for (let i = 0; i < 5; i++) await openConsole(env.sock, { ctid: 101, cols: 80, rows: 24 }).catch(() => {});
      const end = Date.now() + 3000;
      while ((await env.connections()) > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(await env.connections()).toBe(0);
    } finally {
      await env.done();
    }
  });
});
