/**
 * GET /api/events (server/http/events.ts) on the operations bus: 401 without a session and 403 from another
 * site; the stream's headers; each user gets the events of the tenants it may see only (a customer never
 * another tenant's, a reseller its customers', the admin all); at most MAX_STREAMS_PER_SESSION per session;
 * a closed or aborted stream leaves no listener behind; a stream whose session ends says so and closes.
 */
import { afterEach, describe, expect, it } from "vitest";
import { createSession, SESSION_COOKIE } from "../../auth/session.js";
import { eventStream, MAX_STREAMS_PER_SESSION, openStreams } from "../../http/events.js";
import { listenerCount, type PanelEvent } from "../../services/events/bus.js";
import { PROVIDERS } from "../helpers/db.js";
import { as, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

interface Client {
  status: number;
  headers: Headers;
  text: () => string;
  events: () => PanelEvent[];
  ended: Promise<void>;
  close: () => Promise<void>;
}

/** Resolves when `ok()` holds; fails with `what` if it does not within a generous bound (not a timing check). */
async function until(ok: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 25));
  if (!ok()) throw new Error(`never happened: ${what}`);
}

describe.each(PROVIDERS)("live event stream on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });

  const sessionOf = async (userId: string) =>
    (await createSession(w.db, userId, { secondFactor: true, ip: null, userAgent: null })).token;

  async function open(token: string | null, o: { headers?: Record<string, string>; signal?: AbortSignal } = {}) {
    const headers: Record<string, string> = { ...o.headers };
    if (token) headers.cookie = `${SESSION_COOKIE}=${token}`;
    const req = new Request("http://panel.test/api/events", { headers, signal: o.signal });
    const res = await eventStream(req, w.db, { heartbeatMs: 150 });
    let text = "";
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    const ended = (async () => {
      for (;;) {
        const r = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (r.done) return;
        text += dec.decode(r.value);
      }
    })();
    const c: Client = {
      status: res.status,
      headers: res.headers,
      text: () => text,
      events: () =>
        text
          .split("\n\n")
          .filter((m) => m.startsWith("data: "))
          .map((m) => JSON.parse(m.slice(6)) as PanelEvent),
      ended,
      close: async () => {
        await reader.cancel().catch(() => {});
        await ended;
      },
    };
    clients.push(c);
    return c;
  }

  it("refuses without a session (401) and a cookie sent from another site (403)", async () => {
    const anon = await open(null);
    expect(anon.status).toBe(401);
    await anon.ended;
    expect(anon.text()).toBe("You are not logged in (or your session expired). Log in again.\n");
    const bad = await open("notavalidtoken1234");
    expect(bad.status).toBe(401);
    const token = await sessionOf(w.actors.customerA1.userId);
    const cross = await open(token, { headers: { "sec-fetch-site": "cross-site", origin: "https://evil.test" } });
    expect(cross.status).toBe(403);
    expect(listenerCount()).toBe(0);
  });

  it("streams without buffering: event-stream type, no-transform, x-accel-buffering off", async () => {
    const c = await open(await sessionOf(w.actors.customerA1.userId));
    expect(c.status).toBe(200);
    expect(c.headers.get("content-type")).toMatch(/^text\/event-stream/);
    expect(c.headers.get("cache-control")).toContain("no-transform");
    expect(c.headers.get("x-accel-buffering")).toBe("no");
    await until(() => c.text().includes(": connected"), "the stream's first line");
    await until(() => c.text().includes(": ping"), "a heartbeat");
  });

  it("each user gets the events of the tenants it may see only", async () => {
    const a = w.actors;
    const [admin, resellerA, resellerB, mine, sibling, other] = await Promise.all(
      [a.admin, a.resellerA, a.resellerB, a.customerA1, a.customerA2, a.customerB1].map(async (x) =>
        open(await sessionOf(x.userId)),
      ),
    );
    await until(() => [admin, resellerA, other].every((x) => x!.text().includes(": connected")), "connected");
    const c = w.a.customers[0]!.container;
    const op = await as(w, "customerA1").containers.start({ containerId: c.id });
    await waitForAllOperations();
    const about = (x: Client) => x.events().filter((e) => e.tenantId === c.tenantId);
    for (const who of [admin!, resellerA!, mine!]) {
      await until(() => about(who).some((e) => e.kind === "operation" && e.phase === "finished"), "finished");
      const ops = about(who).filter((e) => e.kind === "operation");
      expect(ops.every((e) => e.kind === "operation" && e.operationId === op.id && e.containerId === c.id)).toBe(true);
      expect(ops.map((e) => e.kind === "operation" && e.phase)).toContain("created");
      expect(ops.at(-1)).toMatchObject({ phase: "finished", status: "succeeded", type: "start" });
      expect(about(who).filter((e) => e.kind === "container")).toEqual([
        { kind: "container", containerId: c.id, tenantId: c.tenantId },
        { kind: "container", containerId: c.id, tenantId: c.tenantId },
      ]);
    }
    // the others had heartbeats since, and not one event (another reseller, another customer, a sibling)
    for (const who of [resellerB!, sibling!, other!]) {
      const beats = who.text().split(": ping").length;
      await until(() => who.text().split(": ping").length > beats + 1, "two more heartbeats");
      expect(who.events()).toEqual([]);
    }
    await as(w, "customerA1").containers.stop({ containerId: c.id });
    await waitForAllOperations();
  });

  it(`allows ${MAX_STREAMS_PER_SESSION} streams per session; a closed or aborted one frees its place`, async () => {
    const token = await sessionOf(w.actors.customerA2.userId);
    const before = listenerCount();
    const abort = new AbortController();
    const first = await open(token, { signal: abort.signal });
    const rest = [];
    for (let i = 1; i < MAX_STREAMS_PER_SESSION; i++) rest.push(await open(token));
    expect([first, ...rest].map((c) => c.status)).toEqual(Array(MAX_STREAMS_PER_SESSION).fill(200));
    expect(listenerCount()).toBe(before + MAX_STREAMS_PER_SESSION);
    const over = await open(token);
    expect(over.status).toBe(429);
    await over.ended;
    expect(over.text()).toMatch(/^Too many live update streams are open for this session \(\d+\); close some/);
    // another session of the same user is not limited by this one's streams
    expect((await open(await sessionOf(w.actors.customerA2.userId))).status).toBe(200);
    abort.abort();
    await first.ended;
    await rest[0]!.close();
    expect(listenerCount()).toBe(before + MAX_STREAMS_PER_SESSION - 2 + 1);
    expect((await open(token)).status).toBe(200);
    await Promise.all(clients.splice(0).map((c) => c.close()));
    expect(listenerCount()).toBe(before);
    expect(openStreams()).toBe(0);
  });

  it("ends the stream when its session ends (logout, a disabled user)", async () => {
    const token = await sessionOf(w.actors.direct.userId);
    const c = await open(token);
    await until(() => c.text().includes(": connected"), "connected");
    await w.db.session.deleteMany({ where: { userId: w.actors.direct.userId } });
    await c.ended; // closed by the server, not by this test
    expect(c.text()).toContain('event: end\ndata: {"reason":"unauthorized"}');
    expect(openStreams()).toBe(0);
  });
});
