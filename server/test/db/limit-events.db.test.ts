/**
 * Notifications from the kernel's counters and the nodes' reachability: the usage sampler raises
 * container.oom / container.limit_hit when a container's OOM kills or refused forks grew since the last
 * sample (not for a container seen the first time; a restart counts from 0), at most once per container and
 * event per REPEAT_MS with the held-back count in the next one; the node sampler raises node.unreachable
 * after FAILS_BEFORE_ALERT failed tries and node.recovered at its first answer after that, to the
 * administrators only. Deliveries are read from the stored queue (the worker's sending is tested elsewhere).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import { resetUsageCaches, sampleUsage } from "../../services/usage.js";
import { sampleNodes } from "../../services/node-stats.js";
import { limitDeltas, REPEAT_MS, resetLimitEvents } from "../../services/notify/limit-events.js";
import { FAILS_BEFORE_ALERT, resetNodeWatch } from "../../services/notify/node-watch.js";
import { PROVIDERS } from "../helpers/db.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe("limitDeltas (pure)", () => {
  const cur = { oomKills: 5, forkFails: 7 };
  it("nothing without a previous sample; the growth within a run; the whole count after a restart", () => {
    expect(limitDeltas({ boot: "b1", cur, prev: null })).toEqual({ oomKills: 0, forkFails: 0 });
    expect(limitDeltas({ boot: "b1", cur, prev: { boot: "b1", oomKills: 3, forkFails: 7 } })).toEqual({
      oomKills: 2,
      forkFails: 0,
    });
    expect(limitDeltas({ boot: "b2", cur, prev: { boot: "b1", oomKills: 9, forkFails: 9 } })).toEqual(cur);
    // a previous sample from before these counters existed: no growth known yet
    expect(limitDeltas({ boot: "b1", cur, prev: { boot: "b1", oomKills: null, forkFails: null } })).toEqual({
      oomKills: 0,
      forkFails: 0,
    });
  });
});

describe.each(PROVIDERS)("limit and node notifications on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  let clock = 0;
  beforeEach(async () => {
    await waitForAllOperations();
    resetUsageCaches();
    resetLimitEvents();
    resetNodeWatch();
    const eng = fakeEngine();
    eng.failNext.clear();
    eng.usageClock = () => clock;
    for (const c of eng.containers.values())
      if (c.state === "running") await eng.call("container.stop", { ctid: c.ctid });
    eng.usageOverride.clear();
    await w.db.usageCounter.deleteMany();
    await w.db.notifyDelivery.deleteMany();
    await w.db.webhookEndpoint.deleteMany();
    await w.db.nodeSample.deleteMany();
  });

  const queued = async (event: string) =>
    (await w.db.notifyDelivery.findMany({ where: { event }, orderBy: { createdAt: "asc" } })).map((d) => ({
      userId: d.userId,
      body: JSON.parse(d.payload) as { summary: string; data: Record<string, unknown> },
    }));

  it("container.oom and container.limit_hit: raised on growth, once per REPEAT_MS, to the container's tenant", async () => {
    const a1 = w.a.customers[0]!;
    const b1 = w.b.customers[0]!;
    const events = ["container.oom", "container.limit_hit"] as const;
    await as(w, "customerA1").notifications.createWebhook({ url: "http://127.0.0.1:9/a1", events: [...events] });
    await as(w, "customerB1").notifications.createWebhook({ url: "http://127.0.0.1:9/b1", events: [...events] });
    const eng = fakeEngine();
    await eng.call("container.start", { ctid: a1.container.ctid });
    const t0 = Date.parse("2026-12-07T10:00:00Z");
    const sample = async (at: number, oomKills: number, forkFails: number) => {
      clock = at;
      eng.usageOverride.set(a1.container.ctid, { oomKills, forkFails });
      await sampleUsage(w.db, w.node.id, new Date(at));
    };
    // first sight: old counts raise nothing
    await sample(t0, 4, 0);
    expect(await queued("container.oom")).toEqual([]);
    // two more kills and 30 refused forks
    await sample(t0 + 10_000, 6, 30);
    const oom = await queued("container.oom");
    expect(oom).toHaveLength(1);
    expect(oom[0]!.userId).toBe(a1.user.id);
    expect(oom[0]!.body.summary).toBe(
      `Container ${a1.container.ctid} (${a1.container.hostname}): 2 processes were killed because it ran out of memory at its RAM limit`,
    );
    expect(oom[0]!.body.data).toMatchObject({ ctid: a1.container.ctid, count: 2 });
    expect((await queued("container.limit_hit"))[0]!.body.data).toMatchObject({ count: 30 });
    // within REPEAT_MS: held back; after it, one more with everything since
    await sample(t0 + 20_000, 7, 30);
    await sample(t0 + 30_000, 9, 30);
    expect(await queued("container.oom")).toHaveLength(1);
    await sample(t0 + 30_000 + REPEAT_MS, 10, 30);
    const again = await queued("container.oom");
    expect(again).toHaveLength(2);
    expect(again[1]!.body.data).toMatchObject({ count: 4 });
    // nothing new: nothing raised; the other tenant's user never hears of it
    await sample(t0 + 40_000 + 2 * REPEAT_MS, 10, 30);
    expect(await queued("container.oom")).toHaveLength(2);
    expect(await queued("container.limit_hit")).toHaveLength(1);
    const all = await w.db.notifyDelivery.findMany();
    expect(all.some((d) => d.userId === b1.user.id)).toBe(false);
    await eng.call("container.stop", { ctid: a1.container.ctid });
  });

  it("after a restart the new run's whole count is new", async () => {
    const a1 = w.a.customers[0]!;
    await as(w, "customerA1").notifications.createWebhook({ url: "http://127.0.0.1:9/a1", events: ["container.oom"] });
    const eng = fakeEngine();
    const t0 = Date.parse("2026-12-07T12:00:00Z");
    await eng.call("container.start", { ctid: a1.container.ctid });
    clock = t0;
    eng.usageOverride.set(a1.container.ctid, { oomKills: 3, forkFails: 0 });
    await sampleUsage(w.db, w.node.id, new Date(t0));
    await eng.call("container.stop", { ctid: a1.container.ctid });
    await eng.call("container.start", { ctid: a1.container.ctid });
    clock = t0 + 20_000;
    eng.usageOverride.set(a1.container.ctid, { oomKills: 1, forkFails: 0 });
    await sampleUsage(w.db, w.node.id, new Date(clock));
    const oom = await queued("container.oom");
    expect(oom.map((o) => o.body.data.count)).toEqual([1]);
    await eng.call("container.stop", { ctid: a1.container.ctid });
  });

  it("node.unreachable after repeated failed tries, node.recovered at the first answer, to administrators only", async () => {
    const all = ["node.unreachable", "node.recovered"] as const;
    await as(w, "admin").notifications.createWebhook({ url: "http://127.0.0.1:9/admin", events: [...all] });
    // a customer may list them, but is never told about nodes
    await as(w, "customerA1").notifications.createWebhook({ url: "http://127.0.0.1:9/a1", events: [...all] });
    expect((await as(w, "customerA1").notifications.events()).map((e) => e.name)).not.toContain("node.unreachable");
    expect((await as(w, "admin").notifications.events()).map((e) => e.name)).toContain("node.unreachable");
    const eng = fakeEngine();
    const gone = () =>
      eng.failNext.set(
        "host.stats",
        new EngineError("INTERNAL", "cannot reach the host engine at /run/ovz/engine.sock", {
          details: { unreachable: true },
        }),
      );
    const t0 = Date.parse("2026-12-07T14:00:00Z");
    for (let i = 0; i < FAILS_BEFORE_ALERT - 1; i++) {
      gone();
      await sampleNodes(w.db, new Date(t0 + i * 10_000));
    }
    expect(await queued("node.unreachable")).toEqual([]);
    gone();
    await sampleNodes(w.db, new Date(t0 + 60_000));
    gone();
    await sampleNodes(w.db, new Date(t0 + 70_000));
    const down = await queued("node.unreachable");
    expect(down).toHaveLength(1);
    expect(down[0]!.userId).toBe(w.admin.id);
    expect(down[0]!.body.summary).toMatch(/^Node local does not answer/);
    // a failure that is not the connection (the engine answered with an error) is no outage
    eng.failNext.set("host.stats", new EngineError("INTERNAL", "something else"));
    await sampleNodes(w.db, new Date(t0 + 80_000));
    expect(await queued("node.recovered")).toEqual([]);
    await sampleNodes(w.db, new Date(t0 + 6 * 60_000));
    const up = await queued("node.recovered");
    expect(up.map((u) => u.userId)).toEqual([w.admin.id]);
    expect(up[0]!.body.summary).toBe("Node local answers again after about 6 minutes");
    expect(await queued("node.unreachable")).toHaveLength(1);
  });
});
