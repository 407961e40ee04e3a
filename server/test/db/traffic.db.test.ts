/**
 * Traffic accounting: counter deltas into per-day rows (incl. a counter reset at restart), the monthly
 * quota (throttle, unthrottle next month or when the quota is raised), and the traffic procedures with
 * their scopes.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import {
  applyTrafficQuota,
  lastDays,
  sampleTraffic,
  startTrafficSampler,
  trafficInterval,
  utcDay,
} from "../../services/traffic.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const GB = 1_000_000_000;

describe.each(PROVIDERS)("traffic on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(async () => {
    await waitForAllOperations();
    fakeEngine().failNext.clear();
  });

  const day = async (ctid: number, d: string) => {
    // the newest row of that ctid and day (a destroyed container's rows stay, with containerId null)
    const r = await w.db.trafficDaily.findFirst({
      where: { nodeId: w.node.id, ctid, day: d },
      orderBy: { id: "desc" },
    });
    return r
      ? { rx: Number(r.rxBytes), tx: Number(r.txBytes), containerId: r.containerId, tenantId: r.tenantId }
      : null;
  };
  const counter = async (ctid: number) => {
    const r = await w.db.trafficCounter.findUnique({ where: { nodeId_ctid: { nodeId: w.node.id, ctid } } });
    return r ? [Number(r.rxBytes), Number(r.txBytes)] : null;
  };

  it("deltas of the engine's counters go into the UTC day's row; a restart (counter reset) counts the new value", async () => {
    const c = w.a.customers[0]!.container;
    const eng = fakeEngine();
    const d1 = new Date("2026-11-20T23:59:00Z");
    const d2 = new Date("2026-11-21T00:01:00Z");
    // stopped: nothing counted, no row
    expect(await sampleTraffic(w.db, w.node.id, d1)).toMatchObject({ sampled: 0, addedBytes: 0n });
    expect(await day(c.ctid, "2026-11-20")).toBeNull();

    await eng.call("container.start", { ctid: c.ctid });
    eng.trafficTick(c.ctid, 1000, 500);
    expect(await sampleTraffic(w.db, w.node.id, d1)).toMatchObject({ sampled: 1, addedBytes: 1500n });
    expect(await day(c.ctid, "2026-11-20")).toEqual({
      rx: 1000,
      tx: 500,
      containerId: c.id,
      tenantId: w.a.customers[0]!.tenant.id,
    });
    expect(await counter(c.ctid)).toEqual([1000, 500]);

    // no traffic since: nothing added
    expect((await sampleTraffic(w.db, w.node.id, d1)).addedBytes).toBe(0n);
    eng.trafficTick(c.ctid, 200, 100);
    await sampleTraffic(w.db, w.node.id, d1);
    expect(await day(c.ctid, "2026-11-20")).toMatchObject({ rx: 1200, tx: 600 });

    // restarted: the engine's counters start again from 0; 300 < 1200 → the delta is 300
    await eng.call("container.restart", { ctid: c.ctid });
    eng.trafficTick(c.ctid, 300, 50);
    await sampleTraffic(w.db, w.node.id, d1);
    expect(await day(c.ctid, "2026-11-20")).toMatchObject({ rx: 1500, tx: 650 });
    expect(await counter(c.ctid)).toEqual([300, 50]);

    // restarted between two samples and already past the last seen values: the new boot id says so,
    // the delta is the whole new counter (2000), not 2000 - 300
    await eng.call("container.restart", { ctid: c.ctid });
    eng.trafficTick(c.ctid, 2000, 0);
    await sampleTraffic(w.db, w.node.id, d1);
    expect(await day(c.ctid, "2026-11-20")).toMatchObject({ rx: 3500, tx: 650 });
    expect(await counter(c.ctid)).toEqual([2000, 0]);

    // after midnight UTC: a new row
    eng.trafficTick(c.ctid, 7, 3);
    await sampleTraffic(w.db, w.node.id, d2);
    expect(await day(c.ctid, "2026-11-21")).toMatchObject({ rx: 7, tx: 3 });
    expect(await day(c.ctid, "2026-11-20")).toMatchObject({ rx: 3500, tx: 650 });

    // stopped: the last seen values drop to zero, so a start that grows past them still counts fully
    await eng.call("container.stop", { ctid: c.ctid });
    await sampleTraffic(w.db, w.node.id, d2);
    expect(await counter(c.ctid)).toEqual([0, 0]);
    await eng.call("container.start", { ctid: c.ctid });
    eng.trafficTick(c.ctid, 5000, 0);
    await sampleTraffic(w.db, w.node.id, d2);
    expect(await day(c.ctid, "2026-11-21")).toMatchObject({ rx: 5007, tx: 3 });
    await eng.call("container.stop", { ctid: c.ctid });

    // containers the panel does not know are ignored; an unreachable node fails the sample, changing nothing
    await eng.call("container.create", { ctid: 7777, template: "busybox" });
    await eng.call("container.start", { ctid: 7777 });
    eng.trafficTick(7777, 99, 99);
    await sampleTraffic(w.db, w.node.id, d2);
    expect(await w.db.trafficDaily.count({ where: { ctid: 7777 } })).toBe(0);
    await eng.call("container.destroy", { ctid: 7777, force: true });
    eng.failNext.set("container.net.stats", new EngineError("INTERNAL", "cannot reach the host engine"));
    const rows = await w.db.trafficDaily.count();
    await expect(sampleTraffic(w.db, w.node.id, d2)).rejects.toThrow(/cannot reach/);
    expect(await w.db.trafficDaily.count()).toBe(rows);
  });

  it("the monthly quota throttles at once and lifts in the next month or when the quota is raised", async () => {
    const plan = await as(w, "admin").plans.create({
      name: "metered",
      limits: { cpus: 1 },
      bandwidthMbps: 100,
      ipCount: 1,
      trafficQuotaGb: 2,
      throttleKbit: 512,
      templates: ["busybox"],
    });
    expect(plan).toMatchObject({ trafficQuotaGb: 2, throttleKbit: 512 });
    const op = await as(w, "admin").containers.create({
      tenantId: w.direct.id,
      planId: plan.id,
      hostname: "metered.test",
      template: "busybox",
    });
    await waitForAllOperations();
    const c = await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } });
    const eng = fakeEngine();
    expect(eng.nets.get(c.ctid)!.rate).toEqual({ inKbit: 100_000, outKbit: 100_000 });
    await eng.call("container.start", { ctid: c.ctid });
    const nov = new Date("2026-11-10T12:00:00Z");

    eng.trafficTick(c.ctid, 1.5 * GB, 0.5 * GB); // exactly 2 GB: not over
    expect((await sampleTraffic(w.db, w.node.id, nov)).throttled).toEqual([]);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).throttled).toBe(false);
    eng.trafficTick(c.ctid, 1, 0);
    const r = await sampleTraffic(w.db, w.node.id, new Date("2026-11-11T00:00:00Z"));
    expect(r.throttled).toEqual([c.ctid]);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).throttled).toBe(true);
    expect(eng.nets.get(c.ctid)!.rate).toEqual({ inKbit: 512, outKbit: 512 });
    expect(eng.netSets.at(-1)).toEqual({ ctid: c.ctid, net: { rate: { inKbit: 512, outKbit: 512 } } });
    const a1 = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.throttle", target: `container ${c.ctid} (metered.test)` },
    });
    expect(a1).toMatchObject({ tenantId: w.direct.id, actor: "panel (traffic quota)", userId: null });
    expect(JSON.parse(a1.details)).toEqual({
      month: "2026-11",
      usedBytes: String(2 * GB + 1),
      quotaGb: 2,
      rateKbit: 512,
    });
    // the network view says so
    expect(await as(w, "direct").containers.network({ containerId: c.id })).toMatchObject({
      throttled: true,
      rate: { inKbit: 512, outKbit: 512 },
    });
    // a second sample changes nothing more
    const sets = eng.netSets.length;
    await sampleTraffic(w.db, w.node.id, nov);
    expect(eng.netSets.length).toBe(sets);
    expect(
      await w.db.auditLog.count({ where: { action: "container.throttle", target: { contains: "metered" } } }),
    ).toBe(1);

    // a new month: November's traffic no longer counts
    const dec = await sampleTraffic(w.db, w.node.id, new Date("2026-12-01T00:00:30Z"));
    expect(dec.unthrottled).toEqual([c.ctid]);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).throttled).toBe(false);
    expect(eng.nets.get(c.ctid)!.rate).toEqual({ inKbit: 100_000, outKbit: 100_000 });
    expect(
      JSON.parse(
        (
          await w.db.auditLog.findFirstOrThrow({
            where: { action: "container.unthrottle", target: { contains: "metered" } },
          })
        ).details,
      ),
    ).toMatchObject({ month: "2026-12", usedBytes: "0", rateKbit: 100_000 });

    // back in November (e.g. a late sample): over again; raising the quota lifts it at once
    await applyTrafficQuota(w.db, { nodeId: w.node.id }, nov);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).throttled).toBe(true);
    // (the plan edit re-checks with the real clock: the same traffic, today)
    const month = new Date().toISOString().slice(0, 7);
    const today = utcDay(new Date());
    await w.db.trafficDaily.deleteMany({ where: { containerId: c.id } });
    await w.db.trafficDaily.create({
      data: {
        nodeId: w.node.id,
        ctid: c.ctid,
        containerId: c.id,
        tenantId: w.direct.id,
        day: today,
        rxBytes: BigInt(1.5 * GB + 1),
        txBytes: BigInt(0.5 * GB),
      },
    });
    await as(w, "admin").plans.update({ planId: plan.id, trafficQuotaGb: 2 }); // unchanged: nothing happens
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).throttled).toBe(true);
    await as(w, "admin").plans.update({ planId: plan.id, trafficQuotaGb: 3 });
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).throttled).toBe(false);
    expect(eng.nets.get(c.ctid)!.rate).toEqual({ inKbit: 100_000, outKbit: 100_000 });
    // a bandwidth change reaches the container's rate at once
    await as(w, "admin").plans.update({ planId: plan.id, bandwidthMbps: 20 });
    expect(eng.nets.get(c.ctid)!.rate).toEqual({ inKbit: 20_000, outKbit: 20_000 });

    // traffic.container: the last 30 days and this month against the quota
    const tc = await as(w, "direct").traffic.container({ containerId: c.id });
    expect(tc.days).toHaveLength(30);
    expect(tc.days.map((d) => d.day)).toEqual(lastDays(new Date(), 30));
    expect(tc.days.at(-1)!.day).toBe(utcDay(new Date()));
    expect(tc.days.at(-1)).toEqual({ day: today, rxBytes: 1.5 * GB + 1, txBytes: 0.5 * GB });
    expect(tc.days.slice(0, -1).every((d) => d.rxBytes === 0 && d.txBytes === 0)).toBe(true);
    expect(tc.month).toEqual({
      month,
      rxBytes: 1.5 * GB + 1,
      txBytes: 0.5 * GB,
      totalBytes: 2 * GB + 1,
      quotaBytes: 3 * GB,
      throttled: false,
      throttleKbit: 512,
      overage: "throttle",
      suspended: false,
    });
    expect((await as(w, "direct").traffic.container({ containerId: c.id, days: 7 })).days).toHaveLength(7);
    await expectCode(as(w, "customerA1").traffic.container({ containerId: c.id }), "NOT_FOUND");
    await expectCode(as(w, "direct").traffic.container({ containerId: c.id, days: 0 }), "BAD_REQUEST");
    await eng.call("container.stop", { ctid: c.ctid });
  });

  it("destroy keeps the history (container link cleared) and forgets the counter", async () => {
    const op = await as(w, "admin").containers.create({
      tenantId: w.direct.id,
      planId: w.platformPlan.id,
      hostname: "short-lived.test",
      template: "busybox",
    });
    await waitForAllOperations();
    const c = await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } });
    await fakeEngine().call("container.start", { ctid: c.ctid });
    fakeEngine().trafficTick(c.ctid, 4000, 1000);
    const now = new Date();
    await sampleTraffic(w.db, w.node.id, now);
    expect(await counter(c.ctid)).toEqual([4000, 1000]);
    await as(w, "admin").containers.destroy({ containerId: c.id, confirmHostname: "short-lived.test" });
    await waitForAllOperations();
    expect(await counter(c.ctid)).toBeNull();
    expect(await day(c.ctid, utcDay(now))).toEqual({ rx: 4000, tx: 1000, containerId: null, tenantId: w.direct.id });

    // the same ctid given to a new container of another tenant the same day: its own rows, the old history intact
    const again = await w.db.container.create({
      data: {
        ctid: c.ctid,
        nodeId: w.node.id,
        tenantId: w.a.customers[0]!.tenant.id,
        planId: c.planId,
        hostname: "reused.test",
        template: "busybox",
        state: "running",
      },
    });
    await fakeEngine().call("container.create", { ctid: c.ctid, template: "busybox", net: { venet: ["198.18.99.1"] } });
    await fakeEngine().call("container.start", { ctid: c.ctid });
    fakeEngine().trafficTick(c.ctid, 10, 20);
    await sampleTraffic(w.db, w.node.id, now);
    const rows = await w.db.trafficDaily.findMany({
      where: { nodeId: w.node.id, ctid: c.ctid, day: utcDay(now) },
      orderBy: { id: "asc" },
    });
    expect(rows.map((r) => [r.containerId, r.tenantId, Number(r.rxBytes), Number(r.txBytes)])).toEqual([
      [null, w.direct.id, 4000, 1000],
      [again.id, w.a.customers[0]!.tenant.id, 10, 20],
    ]);
    await fakeEngine().call("container.destroy", { ctid: c.ctid, force: true });
    await w.db.container.delete({ where: { id: again.id } });
  });

  it("traffic.tenant: per-tenant month totals; admin sees all, a reseller itself and its customers, a customer itself", async () => {
    const month = "2026-10";
    const put = (ctid: number, containerId: string | null, tenantId: string, d: string, rx: number, tx: number) =>
      w.db.trafficDaily.create({
        data: { nodeId: w.node.id, ctid, containerId, tenantId, day: d, rxBytes: BigInt(rx), txBytes: BigInt(tx) },
      });
    const a1 = w.a.customers[0]!;
    const a2 = w.a.customers[1]!;
    const b1 = w.b.customers[0]!;
    await put(a1.container.ctid, a1.container.id, a1.tenant.id, "2026-10-01", 100, 10);
    await put(a1.container.ctid, a1.container.id, a1.tenant.id, "2026-10-31", 200, 20);
    await put(a1.container.ctid, a1.container.id, a1.tenant.id, "2026-11-01", 9999, 9999); // next month
    await put(a1.container.ctid, a1.container.id, a1.tenant.id, "2026-09-30", 9999, 9999); // previous month
    await put(a2.container.ctid, a2.container.id, a2.tenant.id, "2026-10-15", 50, 5);
    await put(4242, null, a2.tenant.id, "2026-10-15", 1, 1); // a destroyed container's history
    await put(b1.container.ctid, b1.container.id, b1.tenant.id, "2026-10-02", 7000, 700);

    const totals = (r: { tenants: { tenantId: string; totalBytes: number; rxBytes: number; txBytes: number }[] }) =>
      Object.fromEntries(r.tenants.map((x) => [x.tenantId, [x.rxBytes, x.txBytes]]));
    const admin = await as(w, "admin").traffic.tenant({ month });
    expect(admin.month).toBe(month);
    expect(totals(admin)).toMatchObject({
      [a1.tenant.id]: [300, 30],
      [a2.tenant.id]: [51, 6],
      [b1.tenant.id]: [7000, 700],
      [w.a.tenant.id]: [0, 0],
      [w.platform.id]: [0, 0],
    });
    // biggest first
    expect(admin.tenants.map((x) => x.tenantId).slice(0, 3)).toEqual([b1.tenant.id, a1.tenant.id, a2.tenant.id]);
    expect(admin.tenants.find((x) => x.tenantId === a1.tenant.id)).toMatchObject({
      name: "Customer a1",
      kind: "customer",
      parentId: w.a.tenant.id,
      containers: 1,
      totalBytes: 330,
    });

    const ra = await as(w, "resellerA").traffic.tenant({ month });
    expect(new Set(ra.tenants.map((x) => x.tenantId))).toEqual(new Set([w.a.tenant.id, a1.tenant.id, a2.tenant.id]));
    expect(totals(ra)).toEqual({ [w.a.tenant.id]: [0, 0], [a1.tenant.id]: [300, 30], [a2.tenant.id]: [51, 6] });
    const c1 = await as(w, "customerA1").traffic.tenant({ month });
    expect(totals(c1)).toEqual({ [a1.tenant.id]: [300, 30] });
    // the current month by default; bad months refused
    expect((await as(w, "customerA1").traffic.tenant()).month).toBe(new Date().toISOString().slice(0, 7));
    await expectCode(as(w, "customerA1").traffic.tenant({ month: "2026-13" }), "BAD_REQUEST");
  });

  it("the sampler's interval comes from OVZ_TRAFFIC_INTERVAL_SEC; 0 turns it off", () => {
    expect(trafficInterval({})).toBe(60);
    expect(trafficInterval({ OVZ_TRAFFIC_INTERVAL_SEC: "15" })).toBe(15);
    expect(trafficInterval({ OVZ_TRAFFIC_INTERVAL_SEC: "0" })).toBe(0);
    expect(trafficInterval({ OVZ_TRAFFIC_INTERVAL_SEC: "soon" })).toBe(60);
    expect(startTrafficSampler(() => w.db, 0)).toBeNull();
    const stop = startTrafficSampler(() => w.db, 3600);
    expect(typeof stop).toBe("function");
    stop!();
  });
});
