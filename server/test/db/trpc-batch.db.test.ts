/**
 * The cap on tRPC batches, through the real route handler (app/api/trpc/[trpc]/route.ts) on a real
 * database with an API token: 25 calls in one request run, 26 are refused with a 400 that names the
 * limit (GET and POST; tRPC refuses the batch before it looks at any call), and the panel's own client link
 * (app/_lib/trpc-link.ts)
 * splits 60 simultaneous calls into requests of at most 25.
 */
import { createTRPCClient } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { panelLink, SOLO } from "../../../app/_lib/trpc-link.js";
import { GET, POST } from "../../../app/api/trpc/[trpc]/route.js";
import { setDb } from "../../db/client.js";
import type { AppRouter } from "../../routers/index.js";
import { TRPC_MAX_BATCH } from "../../trpc/batch.js";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";
import { as, buildWorld, type World } from "../helpers/world.js";

const BASE = "http://panel.test/api/trpc";
const MESSAGE = "This request batches more than 25 calls; send at most 25 calls per request.";

describe.each(PROVIDERS)("tRPC batch cap on %s", (provider) => {
  let t: TestDb;
  let w: World;
  let auth: Record<string, string>;
  beforeAll(async () => {
    t = await freshDb(provider);
    w = await buildWorld(t.db);
    setDb(t.db); // the route handler's context uses the panel's database
    const { token } = await as(w, "admin").tokens.create({ name: "batch test" });
    auth = { authorization: `Bearer ${token}` };
  });
  afterAll(async () => {
    setDb(undefined);
    await t?.drop();
  });

  const paths = (n: number, p = "auth.me") => Array(n).fill(p).join(",");

  it("25 calls in one request run; 26 get a 400 naming the limit (GET)", async () => {
    expect(TRPC_MAX_BATCH).toBe(25);
    const ok = await GET(new Request(`${BASE}/${paths(25)}?batch=1&input=%7B%7D`, { headers: auth }));
    expect(ok.status).toBe(200);
    const results = (await ok.json()) as { result: { data: { json: { id: string } } } }[];
    expect(results.map((r) => r.result.data.json.id)).toEqual(Array(25).fill(w.actors.admin.userId));

    const big = await GET(new Request(`${BASE}/${paths(26)}?batch=1&input=%7B%7D`, { headers: auth }));
    expect(big.status).toBe(400);
    const body = (await big.json()) as { error: { json: { message: string; data: Record<string, unknown> } } };
    expect(body.error.json.message).toBe(MESSAGE);
    expect(body.error.json.data).toMatchObject({ code: "BAD_REQUEST", httpStatus: 400, domainCode: "BATCH_TOO_LARGE" });
  });

  it("a POST batch of 1000 mutations is refused as a whole with the same 400", async () => {
    const input = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [i, { json: { name: `flood ${i}` } }]));
    const r = await POST(
      new Request(`${BASE}/${paths(1000, "tokens.create")}?batch=1`, {
        method: "POST",
        headers: { ...auth, "content-type": "application/json" },
        body: JSON.stringify(input),
      }),
    );
    expect(r.status).toBe(400);
    expect(((await r.json()) as { error: { json: { message: string } } }).error.json.message).toBe(MESSAGE);
  });

  it("the panel's client link sends 60 simultaneous calls in requests of at most 25", async () => {
    const sizes: number[] = [];
    const client = createTRPCClient<AppRouter>({
      links: [
        panelLink({
          url: BASE,
          fetch: async (input, init) => {
            const req = new Request(input as string, init);
            sizes.push(decodeURIComponent(new URL(req.url).pathname.split("/").pop()!).split(",").length);
            const headers = new Headers(req.headers);
            headers.set("authorization", auth.authorization!);
            return GET(new Request(req.url, { headers }));
          },
        }),
      ],
    });
    const me = await Promise.all(Array.from({ length: 60 }, () => client.auth.me.query()));
    expect(me.map((m) => m.id)).toEqual(Array(60).fill(w.actors.admin.userId));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(60);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(TRPC_MAX_BATCH);
    expect(sizes).toHaveLength(3);
  });

  it("a call with the SOLO context goes in a request of its own, beside the batch of the others", async () => {
    const urls: string[] = [];
    const client = createTRPCClient<AppRouter>({
      links: [
        panelLink({
          url: BASE,
          fetch: async (input, init) => {
            const req = new Request(input as string, init);
            urls.push(new URL(req.url).pathname.split("/").pop()! + new URL(req.url).search);
            const headers = new Headers(req.headers);
            headers.set("authorization", auth.authorization!);
            return GET(new Request(req.url, { headers }));
          },
        }),
      ],
    });
    const [a, b, c] = await Promise.all([
      client.auth.me.query(undefined, { context: SOLO }),
      client.auth.me.query(),
      client.auth.me.query(),
    ]);
    expect([a.id, b.id, c.id]).toEqual(Array(3).fill(w.actors.admin.userId));
    expect(urls).toHaveLength(2);
    const solo = urls.filter((u) => !u.includes("batch=1"));
    expect(solo).toHaveLength(1);
    expect(decodeURIComponent(urls.find((u) => u.includes("batch=1"))!).split("?")[0]).toBe("auth.me,auth.me");
  });
});
