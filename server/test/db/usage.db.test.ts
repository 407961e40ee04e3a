/**
 * Usage history: rates from cumulative counters (incl. a restart: no rate for that sample), disk space
 * read at most every 5 minutes, roll-ups into 5-minute and hourly averages, retention, the points of a
 * range, per-tenant daily/monthly totals with their scopes, and an API token reading the totals.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { validateApiToken } from "../../auth/api-token.js";
import type { Actor } from "../../auth/roles.js";
import { bucketOf, pruneUsage, resetUsageCaches, sampleUsage, usageInterval } from "../../services/usage.js";
import { containerPoints } from "../../services/usage-read.js";
import { PROVIDERS, type TestDb } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const MiB = 1024 * 1024;

describe.each(PROVIDERS)("usage on %s", (provider) => {
  let t: TestDb;
  let w: World;
  useWorld(provider, (x) => ({ t, w } = x));
  let clock = 0;
  beforeEach(async () => {
    await waitForAllOperations();
    resetUsageCaches();
    const eng = fakeEngine();
    eng.failNext.clear();
    eng.usageClock = () => clock;
    // only the containers a test starts run
    for (const c of eng.containers.values())
      if (c.state === "running") await eng.call("container.stop", { ctid: c.ctid });
    eng.usageOverride.clear();
    await w.db.usageSample.deleteMany();
    await w.db.usageCounter.deleteMany();
  });

  const rowsOf = (containerId: string, tier: number) =>
    w.db.usageSample.findMany({ where: { containerId, tier }, orderBy: { at: "asc" } });

  it("rates come from the difference of two samples; the first sample and a restart only store counters", async () => {
    const c = w.a.customers[0]!.container;
    const eng = fakeEngine();
    await eng.call("container.start", { ctid: c.ctid });
    const t0 = Date.parse("2026-11-20T10:00:00Z");
    clock = t0;
    eng.usageOverride.set(c.ctid, {
      cpuNs: 1e9,
      memBytes: 64 * MiB,
      swapBytes: 0,
      ioReadBytes: 0,
      ioWriteBytes: 0,
      nproc: 4,
    });
    expect(await sampleUsage(w.db, w.node.id, new Date(t0))).toEqual({ sampled: 1, rows: 0, fresh: 1, diskReads: 1 });
    expect(await rowsOf(c.id, 10)).toEqual([]);
    expect(await w.db.usageCounter.findUniqueOrThrow({ where: { containerId: c.id } })).toMatchObject({
      cpuNs: 1_000_000_000n,
      boot: `fake-${c.ctid}-1`,
    });

    // 10 s later: 5 s of CPU (50 % of a core), 10 KiB read, 40 KiB written, 20 kB received, 5 kB sent
    clock = t0 + 10_000;
    eng.usageOverride.set(c.ctid, {
      cpuNs: 6e9,
      memBytes: 80 * MiB,
      swapBytes: MiB,
      ioReadBytes: 10_240,
      ioWriteBytes: 40_960,
      nproc: 5,
    });
    eng.trafficTick(c.ctid, 20_000, 5_000);
    expect(await sampleUsage(w.db, w.node.id, new Date(clock))).toEqual({
      sampled: 1,
      rows: 1,
      fresh: 0,
      diskReads: 0,
    });
    const [r] = await rowsOf(c.id, 10);
    expect(r).toMatchObject({
      tenantId: w.a.customers[0]!.tenant.id,
      at: new Date(clock),
      memBytes: BigInt(80 * MiB),
      swapBytes: BigInt(MiB),
      diskBytes: BigInt(MiB),
      nproc: 5,
    });
    expect(r!.cpuPct).toBeCloseTo(50, 6);
    expect(r!.ioReadBps).toBeCloseTo(1024, 6);
    expect(r!.ioWriteBps).toBeCloseTo(4096, 6);
    expect(r!.netRxBps).toBeCloseTo(2000, 6);
    expect(r!.netTxBps).toBeCloseTo(500, 6);

    // restarted: a new boot id and counters from zero → no row for this sample, counters replaced
    await eng.call("container.restart", { ctid: c.ctid });
    clock = t0 + 20_000;
    eng.usageOverride.set(c.ctid, { cpuNs: 2e8, ioReadBytes: 0, ioWriteBytes: 0 });
    expect(await sampleUsage(w.db, w.node.id, new Date(clock))).toMatchObject({ rows: 0, fresh: 1 });
    expect(await rowsOf(c.id, 10)).toHaveLength(1);
    expect(await w.db.usageCounter.findUniqueOrThrow({ where: { containerId: c.id } })).toMatchObject({
      cpuNs: 200_000_000n,
      boot: `fake-${c.ctid}-2`,
    });
    clock = t0 + 30_000;
    // two cores busy for 5 s each
    eng.usageOverride.set(c.ctid, { cpuNs: 2e8 + 10e9, ioReadBytes: 0, ioWriteBytes: 0 });
    await sampleUsage(w.db, w.node.id, new Date(clock));
    expect((await rowsOf(c.id, 10)).map((x) => Math.round(x.cpuPct))).toEqual([50, 100]);

    // a counter below the last one without a new boot id (the same fallback as traffic): no rate either
    clock = t0 + 40_000;
    eng.usageOverride.set(c.ctid, { cpuNs: 1e6, ioReadBytes: 0, ioWriteBytes: 0 });
    expect(await sampleUsage(w.db, w.node.id, new Date(clock))).toMatchObject({ rows: 0, fresh: 1 });

    // stopped: nothing sampled; unknown containers of the node are ignored
    await eng.call("container.stop", { ctid: c.ctid });
    await eng.call("container.create", { ctid: 7788, template: "busybox" });
    await eng.call("container.start", { ctid: 7788 });
    expect(await sampleUsage(w.db, w.node.id, new Date(clock + 10_000))).toEqual({
      sampled: 0,
      rows: 0,
      fresh: 0,
      diskReads: 0,
    });
    await eng.call("container.destroy", { ctid: 7788, force: true });
  });

  it("disk space is read at most every 5 minutes per container; a failed read is retried later", async () => {
    const c = w.a.customers[1]!.container;
    const eng = fakeEngine();
    await eng.call("container.start", { ctid: c.ctid });
    const t0 = Date.parse("2026-11-20T11:00:00Z");
    eng.failNext.set(
      "container.limits",
      new (await import("../../../native/src/errors.js")).EngineError("INTERNAL", "quota read failed"),
    );
    for (let i = 0; i < 3; i++) {
      clock = t0 + i * 10_000;
      expect((await sampleUsage(w.db, w.node.id, new Date(clock))).diskReads).toBe(i === 0 ? 1 : 0);
    }
    expect((await rowsOf(c.id, 10)).map((r) => r.diskBytes)).toEqual([null, null]);
    clock = t0 + 5 * 60_000;
    expect((await sampleUsage(w.db, w.node.id, new Date(clock))).diskReads).toBe(1);
    expect((await rowsOf(c.id, 10)).at(-1)!.diskBytes).toBe(BigInt(MiB));
  });

  it("roll-ups are time-weighted averages over the whole bucket being filled; retention drops old rows per tier", async () => {
    const c = w.b.customers[0]!.container;
    const eng = fakeEngine();
    await eng.call("container.start", { ctid: c.ctid });
    const t0 = Date.parse("2026-11-20T12:04:40Z"); // 20 s before a 5-minute boundary
    let cpu = 0;
    const step = async (at: number, pct: number, mem: number, nproc = 3) => {
      cpu += (pct / 100) * 10e9;
      clock = at;
      eng.usageOverride.set(c.ctid, { cpuNs: cpu, memBytes: mem, ioReadBytes: 0, ioWriteBytes: 0, nproc });
      await sampleUsage(w.db, w.node.id, new Date(at));
    };
    await step(t0 - 10_000, 0, 0); // counters only
    await step(t0, 30, 150 * MiB, 7); // each sample covers the 10 s since the last one
    await step(t0 + 10_000, 60, 300 * MiB);
    await step(t0 + 20_000, 90, 300 * MiB); // 12:05:00: the next 5-minute bucket
    const r300 = await rowsOf(c.id, 300);
    // (30 % × 10 s + 60 % × 10 s) / 300 s = 3 %; (150 + 300) MiB × 10 s / 300 s = 15 MiB
    expect(
      r300.map((r) => [r.at.toISOString(), +r.cpuPct.toFixed(6), Number(r.memBytes) / MiB, r.nproc, r.diskBytes]),
    ).toEqual([
      ["2026-11-20T12:00:00.000Z", 3, 15, 7, BigInt(MiB)],
      ["2026-11-20T12:05:00.000Z", 3, 10, 3, BigInt(MiB)],
    ]);
    // the hour: 180 %·10 s / 3600 s = 0.5 % (= 0.005 core-hours); 750 MiB × 10 s / 3600 s
    const r3600 = await rowsOf(c.id, 3600);
    expect(r3600.map((r) => [r.at.toISOString(), +r.cpuPct.toFixed(6), Math.round(Number(r.memBytes))])).toEqual([
      ["2026-11-20T12:00:00.000Z", 0.5, Math.round((750 * MiB) / 360)],
    ]);
    // the graph of the bucket being filled shows the average of its elapsed part (not yet a tenth of it)
    const pts = await containerPoints(w.db, c.id, "7d", new Date(t0 + 50_000)); // 30 s into 12:05: 90 % × 10 s / 30 s
    expect(pts.points.at(-1)!.cpuPct).toBeCloseTo(30, 6);

    // counters older than 10 minutes (the panel was down) give no rate
    clock = t0 + 20_000 + 11 * 60_000;
    expect(await sampleUsage(w.db, w.node.id, new Date(clock))).toMatchObject({ rows: 0, fresh: 1 });
    expect(bucketOf(new Date(t0), 3600).toISOString()).toBe("2026-11-20T12:00:00.000Z");

    // retention: tier 10 for 24 h, 300 for 31 days, 3600 for 366 days
    const now = new Date(t0 + 20_000);
    const old = (tier: number, ageMs: number) => ({
      containerId: c.id,
      tenantId: c.tenantId,
      tier,
      at: new Date(now.getTime() - ageMs),
      cpuPct: 1,
      memBytes: 1n,
      swapBytes: 0n,
      ioReadBps: 0,
      ioWriteBps: 0,
      netRxBps: 0,
      netTxBps: 0,
      nproc: 1,
    });
    const H = 3600_000;
    const D = 24 * H;
    await w.db.usageSample.createMany({
      data: [
        old(10, 25 * H),
        old(10, 23 * H),
        old(300, 32 * D),
        old(300, 30 * D),
        old(3600, 367 * D),
        old(3600, 365 * D),
      ],
    });
    expect(await pruneUsage(w.db, now)).toBe(3);
    const left = await w.db.usageSample.findMany({ where: { containerId: c.id, cpuPct: 1 } });
    expect(
      left.map((r) => [r.tier, Math.round((now.getTime() - r.at.getTime()) / H)]).sort((a, b) => a[0]! - b[0]!),
    ).toEqual([
      [10, 23],
      [300, 30 * 24],
      [3600, 365 * 24],
    ]);
  });

  it("usage.container returns a range's points to every role that sees the container, NOT_FOUND to others", async () => {
    const c = w.a.customers[0]!.container;
    const now = Date.now();
    const row = (tier: number, at: number, cpuPct: number) => ({
      containerId: c.id,
      tenantId: c.tenantId,
      tier,
      at: new Date(at),
      cpuPct,
      memBytes: BigInt(50 * MiB),
      swapBytes: 0n,
      ioReadBps: 1,
      ioWriteBps: 2,
      netRxBps: 3,
      netTxBps: 4,
      nproc: 3,
    });
    await w.db.usageSample.createMany({
      data: [
        row(10, now - 2 * 3600_000, 5),
        row(10, now - 120_000, 10),
        row(10, now - 60_000, 20),
        row(300, now - 3 * 86_400_000, 7),
        row(3600, now - 100 * 86_400_000, 9),
      ],
    });
    const r = await as(w, "customerA1").usage.container({ containerId: c.id, range: "1h" });
    expect(r).toMatchObject({ range: "1h", tier: 10, intervalSec: usageInterval(), limits: { ramBytes: 256 * MiB } });
    expect(r.points.map((p) => p.cpuPct)).toEqual([10, 20]);
    expect(r.points[0]).toMatchObject({
      memBytes: 50 * MiB,
      ioReadBps: 1,
      ioWriteBps: 2,
      netRxBps: 3,
      netTxBps: 4,
      nproc: 3,
      diskBytes: null,
    });
    expect((await as(w, "resellerA").usage.container({ containerId: c.id, range: "24h" })).points).toHaveLength(3);
    expect(
      (await as(w, "admin").usage.container({ containerId: c.id, range: "7d" })).points.map((p) => p.cpuPct),
    ).toEqual([7]);
    expect(
      (await as(w, "admin").usage.container({ containerId: c.id, range: "1y" })).points.map((p) => p.cpuPct),
    ).toEqual([9]);
    await expectCode(as(w, "customerA2").usage.container({ containerId: c.id, range: "1h" }), "NOT_FOUND");
    await expectCode(as(w, "resellerB").usage.container({ containerId: c.id, range: "1h" }), "NOT_FOUND");
    await expectCode(as(w, "customerA1").usage.container({ containerId: c.id, range: "2h" as "1h" }), "BAD_REQUEST");
  });

  it("usage.tenants: daily and monthly totals from the hourly rows, scoped; an API token reads them", async () => {
    const a1 = w.a.customers[0]!;
    const b1 = w.b.customers[0]!;
    const hour = (c: typeof a1.container, at: string, cpuPct: number, memMiB: number) => ({
      containerId: c.id,
      tenantId: c.tenantId,
      tier: 3600,
      at: new Date(at),
      cpuPct,
      memBytes: BigInt(memMiB * MiB),
      swapBytes: 0n,
      diskBytes: BigInt(100 * MiB),
      ioReadBps: 1000,
      ioWriteBps: 2000,
      netRxBps: 10,
      netTxBps: 20,
      nproc: 3,
    });
    await w.db.usageSample.createMany({
      data: [
        hour(a1.container, "2026-10-01T00:00:00Z", 100, 100), // one core for an hour
        hour(a1.container, "2026-10-01T01:00:00Z", 50, 300),
        hour(a1.container, "2026-10-02T00:00:00Z", 200, 200),
        hour(b1.container, "2026-10-01T00:00:00Z", 10, 10),
        hour(a1.container, "2026-11-01T00:00:00Z", 100, 1), // another month
      ],
    });
    const r = await as(w, "admin").usage.tenants({ month: "2026-10" });
    expect(r.month).toBe("2026-10");
    const ta = r.tenants.find((x) => x.tenantId === a1.tenant.id)!;
    expect(ta.month.cpuCoreHours).toBeCloseTo(3.5, 9);
    expect(ta.month.ramPeakBytes).toBe(300 * MiB);
    // 100 + 300 + 200 MiB-hours over the 744 hours of October
    expect(ta.month.ramAvgBytes).toBe(Math.round((600 * MiB) / 744));
    expect(ta.month.diskAvgBytes).toBe(Math.round((300 * MiB) / 744));
    expect(ta.month).toMatchObject({
      ioReadBytes: 3 * 3600 * 1000,
      ioWriteBytes: 3 * 3600 * 2000,
      netRxBytes: 3 * 3600 * 10,
      netTxBytes: 3 * 3600 * 20,
    });
    expect(ta.days.map((d) => [d.day, d.cpuCoreHours, d.ramPeakBytes / MiB])).toEqual([
      ["2026-10-01", 1.5, 300],
      ["2026-10-02", 2, 200],
    ]);
    expect(ta.days[0]!.ramAvgBytes).toBe(Math.round((400 * MiB) / 24));
    expect(ta.containers).toBe(1);
    expect(r.tenants[0]!.tenantId).toBe(a1.tenant.id); // most CPU first
    expect(r.tenants.map((x) => x.tenantId)).toContain(b1.tenant.id);

    // scopes: a reseller sees itself and its customers, a customer itself
    const ids = async (who: Parameters<typeof as>[1]) =>
      (await as(w, who).usage.tenants({ month: "2026-10" })).tenants.map((x) => x.tenantId).sort();
    expect(await ids("resellerA")).toEqual([w.a.tenant.id, ...w.a.customers.map((c) => c.tenant.id)].sort());
    expect(await ids("customerA1")).toEqual([a1.tenant.id]);
    expect(await ids("customerB1")).toEqual([b1.tenant.id]);
    const forB = (await as(w, "resellerB").usage.tenants({ month: "2026-10" })).tenants.find(
      (x) => x.tenantId === b1.tenant.id,
    )!;
    expect(forB.month.cpuCoreHours).toBeCloseTo(0.1, 9);
    await expectCode(as(w, "admin").usage.tenants({ month: "2026-13" }), "BAD_REQUEST");

    // the billing API: a reseller's API token reads its tenants' totals (as createContext builds the actor)
    const tok = await as(w, "resellerA").tokens.create({ name: "billing" });
    const v = (await validateApiToken(w.db, tok.token))!;
    const actor: Actor = {
      userId: v.userId,
      role: v.role as Actor["role"],
      tenantId: v.tenantId,
      label: `token:${v.name} (${v.user.email})`,
      via: "token",
      tokenId: v.id,
    };
    const viaToken = await caller(w.db, actor).usage.tenants({ month: "2026-10" });
    expect(viaToken.tenants.map((x) => x.tenantId).sort()).toEqual(await ids("resellerA"));
    expect(viaToken.tenants.find((x) => x.tenantId === a1.tenant.id)!.month.cpuCoreHours).toBeCloseTo(3.5, 9);
  });

  it("usage.tenants at the month pattern's edges: 9999-12 counts its last hour, 0000-01 is empty, 0099-12 is not 1999-12", async () => {
    const a1 = w.a.customers[0]!;
    const at = (iso: string) => ({
      containerId: a1.container.id,
      tenantId: a1.tenant.id,
      tier: 3600,
      at: new Date(iso),
      cpuPct: 100,
      memBytes: BigInt(MiB),
      swapBytes: 0n,
      diskBytes: 0n,
      ioReadBps: 0,
      ioWriteBps: 0,
      netRxBps: 0,
      netTxBps: 0,
      nproc: 1,
    });
    await w.db.usageSample.createMany({ data: [at("1999-12-31T23:00:00Z"), at("9999-12-31T23:00:00Z")] });
    const cpu = async (month: string) => {
      const r = await as(w, "admin").usage.tenants({ month });
      expect(r.month).toBe(month);
      return r.tenants.find((x) => x.tenantId === a1.tenant.id)!.month.cpuCoreHours;
    };
    expect(await cpu("9999-12")).toBe(1); // its last hour is in the month
    expect(await cpu("0000-01")).toBe(0);
    expect(await cpu("0099-12")).toBe(0); // years 0–99 are not 1900–1999
    expect(await cpu("1999-12")).toBe(1);
  });

  it("a container that ran 20 s of the current hour is billed for 20 s", async () => {
    const a1 = w.a.customers[0]!;
    const eng = fakeEngine();
    await eng.call("container.start", { ctid: a1.container.ctid });
    const now = Date.now();
    for (const [i, cpuNs] of [0, 10e9, 20e9].entries()) {
      clock = now - 20_000 + i * 10_000;
      eng.usageOverride.set(a1.container.ctid, { cpuNs, ioReadBytes: 0, ioWriteBytes: 0 }); // one core busy
      await sampleUsage(w.db, w.node.id, new Date(clock));
    }
    const r = await as(w, "customerA1").usage.tenants();
    // 20 core-seconds (both samples may fall into different hours: the sum is the same)
    expect(r.tenants[0]!.month.cpuCoreHours).toBeCloseTo(20 / 3600, 9);
    await eng.call("container.stop", { ctid: a1.container.ctid });
    void t;
  });
});
