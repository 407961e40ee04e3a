/**
 * The RAM limit in the usage history: each sample keeps the limit the engine read from the kernel, so the graph's
 * limit line follows the limit as it was (a live raise shows as a step), not today's value over the whole range.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { resetUsageCaches, sampleUsage } from "../../services/usage.js";
import { containerPoints } from "../../services/usage-read.js";
import { PROVIDERS } from "../helpers/db.js";
import { fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const MiB = 1024 * 1024;

describe.each(PROVIDERS)("the RAM limit in the usage history on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  let clock = 0;
  beforeEach(async () => {
    await waitForAllOperations();
    resetUsageCaches();
    const eng = fakeEngine();
    eng.usageClock = () => clock;
    for (const c of eng.containers.values())
      if (c.state === "running") await eng.call("container.stop", { ctid: c.ctid });
    eng.usageOverride.clear();
    await w.db.usageSample.deleteMany();
    await w.db.usageCounter.deleteMany();
  });

  it("each point carries the limit in force when it was sampled; roll-ups keep the highest of their bucket", async () => {
    const c = w.a.customers[0]!.container;
    const eng = fakeEngine();
    await eng.call("container.start", { ctid: c.ctid });
    const t0 = Date.parse("2026-11-20T10:00:00Z");
    let cpuNs = 0;
    const sample = async (at: number, limit: number | null | undefined) => {
      clock = at;
      cpuNs += 1e9;
      eng.usageOverride.set(c.ctid, {
        cpuNs,
        memBytes: 64 * MiB,
        ioReadBytes: 0,
        ioWriteBytes: 0,
        memLimitBytes: limit,
      });
      await sampleUsage(w.db, w.node.id, new Date(at));
    };
    await sample(t0, 128 * MiB); // counters only
    await sample(t0 + 10_000, 128 * MiB);
    await sample(t0 + 20_000, 256 * MiB); // raised live
    await sample(t0 + 30_000, null); // unlimited
    await sample(t0 + 40_000, undefined); // an engine that does not say
    const now = new Date(t0 + 45_000);
    const fine = await containerPoints(w.db, c.id, "1h", now);
    expect(fine.points.map((p) => p.ramLimitBytes)).toEqual([128 * MiB, 256 * MiB, null, null]);

    // the 5-minute bucket saw 128, 256, then unlimited: null (its latest sample had no limit)
    const [r300] = await w.db.usageSample.findMany({ where: { containerId: c.id, tier: 300 } });
    expect(r300!.ramLimitBytes).toBeNull();
    // a bucket whose latest limit is lower than an earlier one keeps the higher
    await sample(t0 + 50_000, 512 * MiB);
    await sample(t0 + 60_000, 192 * MiB);
    const coarse = await containerPoints(w.db, c.id, "7d", new Date(t0 + 65_000));
    expect(coarse.points.map((p) => p.ramLimitBytes)).toEqual([512 * MiB]);
  });
});
