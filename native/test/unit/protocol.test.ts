/**
 * Protocol tests over a real Unix socket with a stub handler table: frame validation, version check,
 * typed errors, events, result validation. (The real engine behind it is covered by the root tests.)
 */
import { mkdtemp, rm, stat } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "../../src/errors.js";
import { EngineClient } from "../../src/protocol/client.js";
import type { Handlers } from "../../src/protocol/handlers.js";
import { listen } from "../../src/protocol/server.js";
import { PROTOCOL_VERSION } from "../../src/protocol/schema.js";

let dir: string;
let server: net.Server;
let client: EngineClient;
let sock: string;

const info = (ctid: number) => ({
  ctid,
  name: null,
  hostname: `ct${ctid}`,
  template: "busybox",
  state: "running" as const,
  initPid: 42,
  limits: {
    ram: 1,
    swap: 0,
    cpuunits: 1000,
    cpulimit: 0,
    cpumask: null,
    cpus: 0,
    numproc: 10,
    numfile: 100,
    numpty: 1024,
    diskspace: 1,
    diskinodes: 0,
    ioweight: 500,
    iolimit: 0,
    iopslimit: 0,
  },
  onboot: false,
  bootorder: null,
  features: [],
  idmap: { hostId: 1000000, size: 65536 },
  rootfs: "/x",
  root: "/var/lib/ovz/root/101",
  createdAt: "now",
  ips: [],
  checkpoint: null,
});

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ovz-proto-"));
  sock = path.join(dir, "engine.sock");
  const handlers = {
    "container.status": async (p: { ctid: number }) => {
      if (p.ctid === 404) throw new EngineError("NOT_FOUND", "container 404 does not exist");
      if (p.ctid === 500) throw new Error("boom");
      if (p.ctid === 501) return { nonsense: true };
      return info(p.ctid);
    },
    "container.start": async (
      p: { ctid: number },
      ctx: { progress: (n: number, m?: string) => void; log: (l: string) => void },
    ) => {
      ctx.log("hello");
      ctx.progress(50, "half");
      return info(p.ctid);
    },
  } as unknown as Handlers;
  server = await listen(handlers, { socketPath: sock, gid: null });
  client = new EngineClient(sock);
});

afterAll(async () => {
  client.close();
  await new Promise((r) => server.close(r));
  await rm(dir, { recursive: true, force: true });
});

function rawCall(line: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(sock, () => s.write(line + "\n"));
    let buf = "";
    s.on("data", (d) => {
      buf += d.toString();
      const nl = buf.indexOf("\n");
      if (nl >= 0) {
        s.destroy();
        resolve(JSON.parse(buf.slice(0, nl)));
      }
    });
    s.on("error", reject);
  });
}

describe("engine protocol", () => {
  it("creates the socket root-only when no group is given", async () => {
    expect((await stat(sock)).mode & 0o777).toBe(0o600);
  });

  it("returns typed results", async () => {
    const r = await client.call("container.status", { ctid: 7 });
    expect(r.hostname).toBe("ct7");
  });

  it("carries typed errors with their code", async () => {
    await expect(client.call("container.status", { ctid: 404 })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("turns an unexpected exception into INTERNAL without a stack trace", async () => {
    const e = await client.call("container.status", { ctid: 500 }).catch((x) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect(e.code).toBe("INTERNAL");
    expect(e.message).not.toMatch(/at .*\.ts:\d+/);
  });

  it("refuses a result that breaks the method's schema", async () => {
    await expect(client.call("container.status", { ctid: 501 })).rejects.toMatchObject({ code: "INTERNAL" });
  });

  it("streams events before the result", async () => {
    const events: unknown[] = [];
    await client.call("container.start", { ctid: 1 }, { onEvent: (e) => events.push(e) });
    expect(events).toEqual([
      { kind: "log", line: "hello" },
      { kind: "progress", percent: 50, message: "half" },
    ]);
  });

  it("validates params on the client before sending", async () => {
    await expect(client.call("container.status", { ctid: -1 })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("re-validates params on the server", async () => {
    const r = await rawCall(
      JSON.stringify({ v: PROTOCOL_VERSION, id: "1", method: "container.status", params: { ctid: "101; rm -rf /" } }),
    );
    expect(r).toMatchObject({ type: "error", error: { code: "BAD_REQUEST" } });
    const extra = await rawCall(
      JSON.stringify({ v: PROTOCOL_VERSION, id: "2", method: "container.status", params: { ctid: 1, evil: true } }),
    );
    expect(extra).toMatchObject({ type: "error", error: { code: "BAD_REQUEST" } });
  });

  it("refuses other protocol versions, unknown methods and garbage", async () => {
    expect(
      await rawCall(JSON.stringify({ v: 99, id: "1", method: "container.status", params: { ctid: 1 } })),
    ).toMatchObject({
      error: { code: "PROTOCOL_VERSION" },
    });
    expect(
      await rawCall(JSON.stringify({ v: PROTOCOL_VERSION, id: "1", method: "host.shell", params: {} })),
    ).toMatchObject({
      error: { code: "UNKNOWN_METHOD" },
    });
    expect(await rawCall("not json")).toMatchObject({ error: { code: "BAD_REQUEST" } });
  });
});
