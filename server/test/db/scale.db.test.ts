/**
 * Many containers in one tenant on one node (issue 16): 1,100 running containers with an address each, more than
 * the 999 bound parameters Prisma allows one SQLite query here ("The query parameter limit supported by your
 * database is exceeded" from containers.list before). The listing, the usage and traffic samples and the traffic
 * quota work on both databases, and the samplers ask the engine only about the node's containers the panel knows.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { sampleTraffic } from "../../services/traffic.js";
import { resetUsageCaches, sampleUsage } from "../../services/usage.js";
import { PROVIDERS } from "../helpers/db.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const N = 1100;
const FIRST = 10_000;
const ctids = Array.from({ length: N }, (_, i) => FIRST + i);
/** a container the engine runs that the panel does not know (made on the node by hand) */
const STRANGER = 9_999;
const ipOf = (i: number) => `198.18.${32 + Math.floor(i / 250)}.${(i % 250) + 2}`;

describe.each(PROVIDERS)("1,100 containers in one tenant on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  beforeAll(async () => {
    const { db, node } = w;
    const pool = await db.ipPool.create({
      data: {
        nodeId: node.id,
        name: "big-v4",
        kind: "venet",
        family: 4,
        cidr: "198.18.32.0/19",
        gateway: "198.18.32.1",
        rangeStart: "198.18.32.2",
        rangeEnd: "198.18.63.254",
      },
    });
    const id = (i: number) => `scale${provider}${String(i).padStart(5, "0")}`;
    await db.container.createMany({
      data: ctids.map((ctid, i) => ({
        id: id(i),
        ctid,
        nodeId: node.id,
        tenantId: w.direct.id,
        planId: w.platformPlan.id,
        hostname: `s${ctid}.test`,
        template: "busybox",
        state: "running",
      })),
    });
    await db.ipAddress.createMany({
      data: ctids.map((_, i) => ({ poolId: pool.id, nodeId: node.id, address: ipOf(i), containerId: id(i) })),
    });
    const eng = fakeEngine();
    for (const [i, ctid] of [...ctids, STRANGER].entries()) {
      const net = { venet: [ipOf(i)] };
      await eng.call("container.create", { ctid, template: "busybox", hostname: `s${ctid}.test`, net });
      await eng.call("container.start", { ctid });
    }
  }, 300_000);

  afterEach(async () => {
    await waitForAllOperations();
  });

  it("containers.list gives the tenant's 1,101 containers with their addresses", async () => {
    const list = await as(w, "direct").containers.list({ take: 2000 });
    expect(list).toHaveLength(N + 1);
    const big = list.filter((c) => c.ctid >= FIRST);
    expect(big.map((c) => c.ctid)).toEqual(ctids);
    expect(big.map((c) => c.ips)).toEqual(ctids.map((_, i) => [ipOf(i)]));
    expect(big.every((c) => c.tenant.id === w.direct.id && c.plan.id === w.platformPlan.id)).toBe(true);
    // a page from the middle: the same rows, the same addresses
    const page = await as(w, "direct").containers.list({ take: 100, skip: 500 });
    expect(page).toEqual(list.slice(500, 600));
  });

  it("the admin's list of every tenant works as well", async () => {
    const list = await as(w, "admin").containers.list({ take: 2000 });
    expect(list.length).toBe(N + 5);
    expect(list.find((c) => c.ctid === FIRST + 7)?.ips).toEqual([ipOf(7)]);
  });

  it("usage and traffic samples take all 1,100 containers; the engine is asked only about the panel's", async () => {
    resetUsageCaches();
    const eng = fakeEngine();
    const asked: Array<{ method: string; ctids: number[] | undefined }> = [];
    const call = eng.call.bind(eng);
    eng.call = (async (method: string, params: Record<string, unknown>, opts?: unknown) => {
      if (method === "container.usage" || method === "container.net.stats")
        asked.push({ method, ctids: params.ctids as number[] | undefined });
      return call(method as never, params as never, opts as never);
    }) as typeof eng.call;
    try {
      const t0 = Date.parse("2026-11-20T10:00:00Z");
      eng.usageClock = () => t0;
      expect(await sampleUsage(w.db, w.node.id, new Date(t0))).toMatchObject({ sampled: N, rows: 0, fresh: N });
      eng.usageClock = () => t0 + 10_000;
      expect(await sampleUsage(w.db, w.node.id, new Date(t0 + 10_000))).toMatchObject({ sampled: N, rows: N });
      expect(await w.db.usageCounter.count()).toBe(N);
      expect(await w.db.usageSample.count({ where: { tier: 300 } })).toBe(N);
      for (const ctid of ctids) eng.trafficTick(ctid, 10, 5);
      const traffic = await sampleTraffic(w.db, w.node.id, new Date(t0));
      expect(traffic.sampled).toBe(N);
      expect(await w.db.trafficDaily.count({ where: { ctid: { gte: FIRST } } })).toBe(N);
    } finally {
      eng.call = call;
      eng.usageClock = null;
    }
    expect(asked.length).toBeGreaterThan(0);
    for (const a of asked) {
      expect(a.ctids, a.method).toBeDefined();
      expect(a.ctids).not.toContain(STRANGER);
      expect(a.ctids).toEqual(expect.arrayContaining(ctids));
    }
  });
});
