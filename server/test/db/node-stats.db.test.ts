/**
 * The node dashboard's load samples: at most one per node a minute, CPU % from two samples' cumulative counters
 * (none for the first, none across a reboot), memory and pool used from the engine's numbers, 30 days kept,
 * and the admin-only nodes.stats answer (now + history). The host.stats answers are given by the test.
 */
import { beforeEach, describe, expect, it } from "vitest";
import type { Result } from "../../../native/src/protocol/schema.js";
import { cpuPercent, nodeStats, sampleNode, sampleNodes } from "../../services/node-stats.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, type World, useWorld } from "../helpers/world.js";

const GiB = 1024 ** 3;
const stats = (busy: number, total: number, over: Partial<Result<"host.stats">> = {}): Result<"host.stats"> => ({
  cpu: { busy, total },
  cpus: 2,
  load: [1.5, 1, 0.5],
  memory: { totalBytes: 24 * GiB, availableBytes: 20 * GiB },
  swap: { totalBytes: 0, freeBytes: 0 },
  pool: { totalBytes: 100 * GiB, freeBytes: 75 * GiB },
  uptimeSec: 1000,
  containers: { total: 5, running: 3 },
  ...over,
});

describe("cpuPercent", () => {
  it("is the busy share of the time between two readings, null without a previous one or across a reboot", () => {
    expect(cpuPercent(null, { busy: 10, total: 100 })).toBeNull();
    expect(cpuPercent({ busy: 100, total: 1000 }, { busy: 350, total: 2000 })).toBe(25);
    expect(cpuPercent({ busy: 0, total: 0 }, { busy: 3, total: 3 })).toBe(100);
    // counters went back: the host rebooted between the two
    expect(cpuPercent({ busy: 5000, total: 9000 }, { busy: 10, total: 100 })).toBeNull();
    expect(cpuPercent({ busy: 10, total: 100 }, { busy: 10, total: 100 })).toBeNull();
  });
});

describe.each(PROVIDERS)("node load samples on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(async () => {
    await w.db.nodeSample.deleteMany();
  });

  it("samples a node at most once a minute; CPU % from two samples; used = total − free", async () => {
    const t0 = Date.parse("2026-12-01T10:00:00Z");
    const answers = [stats(1000, 10_000), stats(9999, 99_999), stats(4000, 22_000)];
    const calls: string[] = [];
    const ask = async (ep: string) => (calls.push(ep), answers.shift()!);
    const first = await sampleNode(w.db, w.node, new Date(t0), ask);
    expect(first).toMatchObject({ cpuPct: null, cpuBusy: 1000n, load1: 1.5, containers: 5, running: 3 });
    expect(first!.memUsedBytes).toBe(BigInt(4 * GiB));
    expect(first!.poolUsedBytes).toBe(BigInt(25 * GiB));
    // 30 s later: too soon, the engine is not asked
    expect(await sampleNode(w.db, w.node, new Date(t0 + 30_000), ask)).toBeNull();
    expect(calls).toHaveLength(1);
    // a minute later (the second answer was skipped above, so drop it): 3000 of 12000 jiffies busy = 25 %
    answers.shift();
    const second = await sampleNode(w.db, w.node, new Date(t0 + 60_000), ask);
    expect(second?.cpuPct).toBe(25);
    expect(calls).toEqual([w.node.endpoint, w.node.endpoint]);
  });

  it("keeps 30 days: sampleNodes prunes older rows of every node", async () => {
    const now = new Date("2026-12-01T10:00:00Z");
    const old = new Date(now.getTime() - 31 * 86_400_000);
    const recent = new Date(now.getTime() - 29 * 86_400_000);
    for (const at of [old, recent]) await sampleNode(w.db, w.node, at, async () => stats(1, 2));
    await sampleNodes(w.db, now); // the fake engine answers this one
    const ats = (await w.db.nodeSample.findMany({ orderBy: { at: "asc" } })).map((r) => r.at.getTime());
    expect(ats).toEqual([recent.getTime(), now.getTime()]);
  });

  it("nodes.stats: the load now and the history, oldest first; only admins may ask", async () => {
    const t0 = Date.now() - 5 * 60_000;
    for (let i = 0; i < 3; i++)
      await sampleNode(w.db, w.node, new Date(t0 + i * 60_000), async () => stats(1000 * (i + 1), 10_000 * (i + 1)));
    const direct = await nodeStats(w.db, w.node, 1, new Date(), async () => stats(3500, 35_000));
    expect(direct.history.map((h) => h.cpuPct)).toEqual([null, 10, 10]);
    expect(direct.current.cpuPct).toBe(10); // (3500−3000)/(35000−30000)
    expect(direct.history[0]).toMatchObject({ memUsedBytes: 4 * GiB, poolTotalBytes: 100 * GiB, running: 3 });

    const r = await as(w, "admin").nodes.stats({ nodeId: w.node.id, hours: 1 });
    expect(r.history).toHaveLength(3);
    expect(r.current.cpus).toBe(2);
    expect(r.current.containers.total).toBeGreaterThanOrEqual(0);
    await expectCode(as(w, "resellerA").nodes.stats({ nodeId: w.node.id }), "FORBIDDEN");
    await expectCode(as(w, "customerA1").nodes.stats({ nodeId: w.node.id }), "FORBIDDEN");
    await expectCode(as(w, "admin").nodes.stats({ nodeId: "no-such-node" }), "NOT_FOUND");
  });
});
