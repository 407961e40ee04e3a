/**
 * webStreamOf (server/web/web-stream.ts), the body of a streamed download, through Next's own code that
 * writes a route handler's Response to the socket (pipeToNodeResponse) over a real HTTP connection:
 * a client that disconnects half-way destroys the source (the engine connection) and nothing is thrown
 * (Readable.toWeb threw "Controller is already closed" as an uncaught exception here); a source that
 * fails is reported once and ends the response; all bytes arrive otherwise.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { PassThrough, type Readable } from "node:stream";
import { createRequire } from "node:module";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { webStreamOf } from "../../web/web-stream.js";

// Next's production code path for a route handler's body (next/dist/server/send-response.js uses it)
const { pipeToNodeResponse } = createRequire(import.meta.url)("next/dist/server/pipe-readable") as {
  pipeToNodeResponse(body: ReadableStream<Uint8Array>, res: http.ServerResponse): Promise<void>;
};

const CHUNK = Buffer.alloc(64 * 1024, 0x5a);
let uncaught: unknown[] = [];
const onUncaught = (e: unknown) => void uncaught.push(e);
beforeEach(() => {
  uncaught = [];
  process.on("uncaughtException", onUncaught);
});
afterEach(() => void process.off("uncaughtException", onUncaught));

/** An engine-like source: writes chunks as fast as the reader lets it (pauses on backpressure) until `total`. */
function source(total: number): PassThrough {
  const src = new PassThrough();
  let sent = 0;
  const pump = () => {
    while (sent < total && !src.destroyed) {
      sent += CHUNK.length;
      if (!src.write(CHUNK)) return void src.once("drain", pump);
    }
    if (!src.destroyed) src.end();
  };
  setImmediate(pump);
  return src;
}

async function serve(
  make: () => Readable,
  onError: (e: unknown) => void,
): Promise<{ url: string; close: () => Promise<void>; piped: Promise<string>[] }> {
  const piped: Promise<string>[] = [];
  const server = http.createServer((_req, res) => {
    res.statusCode = 200;
    // settled here: Next awaits it (a rejection = "failed to pipe response", logged by Next)
    piped.push(
      pipeToNodeResponse(webStreamOf(make(), onError), res).then(
        () => "ok",
        (e: Error) => `failed: ${e.message}`,
      ),
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    piped,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

/** The outcome of each pipe, or "stuck" for one still running after 3 s. */
const settled = (ps: Promise<string>[]) =>
  Promise.all(ps.map((p) => Promise.race([p, new Promise<string>((r) => setTimeout(() => r("stuck"), 3000))])));

const until = async (cond: () => boolean, what: string) => {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!cond()) throw new Error(`timed out waiting until ${what}`);
};

describe("webStreamOf through Next's response writer", () => {
  it("a client that disconnects half-way destroys the source; nothing is thrown or reported", async () => {
    const sources: PassThrough[] = [];
    const errors: unknown[] = [];
    let piped: string[] = [];
    const srv = await serve(
      () => (sources.push(source(64 * 1024 * 1024)), sources.at(-1)!),
      (e) => errors.push(e),
    );
    try {
      for (let round = 0; round < 5; round++) {
        const got = await new Promise<number>((resolve, reject) => {
          const req = http.get(srv.url, (res) => {
            let n = 0;
            res.on("data", (c: Buffer) => {
              n += c.length;
              if (n >= 512 * 1024) {
                req.destroy();
                resolve(n);
              }
            });
            res.on("end", () => reject(new Error("the whole body arrived before the abort")));
          });
          req.on("error", () => {});
        });
        expect(got).toBeGreaterThanOrEqual(512 * 1024);
        await until(() => sources[round]!.destroyed, "the source is destroyed");
      }
      piped = await settled(srv.piped);
      await new Promise((r) => setTimeout(r, 100)); // late events of the destroyed sources
    } finally {
      await srv.close();
    }
    expect(uncaught.map(String)).toEqual([]);
    expect(errors).toEqual([]);
    expect(piped, "Next's writer finished every response").toEqual(Array(5).fill("ok"));
  });

  it("a source that fails mid-way is reported once and cuts the response short", async () => {
    const errors: unknown[] = [];
    const srv = await serve(
      () => {
        const src = new PassThrough();
        src.write(CHUNK);
        setTimeout(() => src.destroy(new Error("engine went away")), 50);
        return src;
      },
      (e) => errors.push(e),
    );
    try {
      const r = await new Promise<{ n: number; aborted: boolean }>((resolve) => {
        http.get(srv.url, (res) => {
          let n = 0;
          res.on("data", (c: Buffer) => (n += c.length));
          res.on("error", () => resolve({ n, aborted: true }));
          res.on("end", () => resolve({ n, aborted: false }));
        });
      });
      expect(r.n).toBe(CHUNK.length);
      expect(r.aborted).toBe(true);
      expect(await settled(srv.piped)).toEqual(["failed: failed to pipe response"]);
    } finally {
      await srv.close();
    }
    expect(errors.map(String)).toEqual(["Error: engine went away"]);
    expect(uncaught.map(String)).toEqual([]);
  });

  it("an error before the first read is no uncaught 'error' event; the first read rejects with it", async () => {
    const src = new PassThrough();
    const errors: unknown[] = [];
    const body = webStreamOf(src, (e) => errors.push(e));
    src.destroy(new Error("refused early"));
    await new Promise((r) => setTimeout(r, 20));
    await expect(body.getReader().read()).rejects.toThrow("refused early");
    expect(errors.map(String)).toEqual(["Error: refused early"]);
    expect(uncaught).toEqual([]);
  });

  it("delivers every byte in order when nobody goes away", async () => {
    const src = new PassThrough();
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    setImmediate(() => src.end(data));
    const got = Buffer.from(await new Response(webStreamOf(src, () => {})).arrayBuffer());
    expect(got.equals(data)).toBe(true);
  });
});
