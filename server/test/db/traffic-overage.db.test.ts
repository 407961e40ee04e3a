/**
 * A plan's traffic overage "suspend" against the fake engine: over the monthly quota the container is suspended
 * (stopped, start refused with the quota's reason, audited as the traffic quota), the next month or a raised quota
 * unsuspends it to the state it had; a seller's unsuspend by hand waives it for the month (the quota throttles
 * instead); a tenant's suspension keeps it when the quota's reason goes; switching a plan between throttle and
 * suspend applies at once; a throttle is told to the tenant (container.throttled).
 */
import { beforeEach, describe, expect, it } from "vitest";
import { applyTrafficQuota, sampleTraffic, utcDay, utcMonth } from "../../services/traffic.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const GB = 1_000_000_000;

describe.each(PROVIDERS)("traffic overage on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(async () => {
    await waitForAllOperations();
    fakeEngine().failNext.clear();
  });

  const engineState = async (ctid: number) => (await fakeEngine().call("container.status", { ctid })).state;
  const row = (id: string) => w.db.container.findUniqueOrThrow({ where: { id } });

  /** A running container of the direct customer on a 2 GB plan with the given overage rule. */
  async function metered(name: string, trafficOverage: "throttle" | "suspend") {
    const plan = await as(w, "admin").plans.create({
      name,
      limits: { cpus: 1 },
      bandwidthMbps: 100,
      ipCount: 1,
      trafficQuotaGb: 2,
      throttleKbit: 512,
      trafficOverage,
      templates: ["busybox"],
    });
    expect(plan.trafficOverage).toBe(trafficOverage);
    const op = await as(w, "admin").containers.create({
      tenantId: w.direct.id,
      planId: plan.id,
      hostname: `${name}.test`,
      template: "busybox",
    });
    await waitForAllOperations();
    const c = await row(op.containerId!);
    await fakeEngine().call("container.start", { ctid: c.ctid });
    return { plan, c };
  }

  /** Sets the container's traffic of today (the real clock's day) to `bytes` received. */
  async function usedToday(c: { id: string; ctid: number }, bytes: number) {
    await w.db.trafficDaily.deleteMany({ where: { containerId: c.id } });
    await w.db.trafficDaily.create({
      data: {
        nodeId: w.node.id,
        ctid: c.ctid,
        containerId: c.id,
        tenantId: w.direct.id,
        day: utcDay(new Date()),
        rxBytes: BigInt(bytes),
        txBytes: 0n,
      },
    });
  }

  it("suspends over the quota (start refused, reason shown) and unsuspends in the next month", async () => {
    const { c } = await metered("cutoff", "suspend");
    const eng = fakeEngine();
    const nov = new Date("2026-11-10T12:00:00Z");
    eng.trafficTick(c.ctid, 2 * GB, 0); // exactly the quota: not over
    expect(await sampleTraffic(w.db, w.node.id, nov)).toMatchObject({ suspended: [], throttled: [] });
    eng.trafficTick(c.ctid, 1, 0);
    const r = await sampleTraffic(w.db, w.node.id, nov);
    expect(r).toMatchObject({ suspended: [c.ctid], throttled: [] });
    await waitForAllOperations();
    expect(await engineState(c.ctid)).toBe("stopped");
    const s = await row(c.id);
    expect(s).toMatchObject({ suspendedBy: "traffic", suspendedFrom: "running", throttled: false });
    expect(s.suspendReason).toBe(
      "Over its monthly traffic quota: 2.00 GB used of 2 GB in 2026-11 (UTC). " +
        "It is lifted at the start of next month, or at once when your provider raises the quota.",
    );
    // the owner cannot start it and is told why
    const owner = as(w, "direct");
    const refused = await expectCode(owner.containers.start({ containerId: c.id }), "CONFLICT");
    expect(refused.message).toMatch(/monthly traffic quota/);
    expect((await owner.containers.get({ containerId: c.id })).suspension?.reason).toBe(s.suspendReason);
    const a = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.suspend", target: `container ${c.ctid} (cutoff.test)` },
    });
    expect(a).toMatchObject({ actor: "panel (traffic quota)", userId: null, tenantId: w.direct.id });
    expect(JSON.parse(a.details)).toMatchObject({ by: "traffic" });
    // the next sample (stopped: no new traffic) changes nothing
    expect(await sampleTraffic(w.db, w.node.id, nov)).toMatchObject({ suspended: [], unsuspended: [] });
    expect(await w.db.operation.count({ where: { containerId: c.id, type: "stop" } })).toBe(1);

    // a new month: lifted, running again as before
    const dec = await sampleTraffic(w.db, w.node.id, new Date("2026-12-01T00:00:30Z"));
    expect(dec).toMatchObject({ unsuspended: [c.ctid], suspended: [] });
    await waitForAllOperations();
    expect(await engineState(c.ctid)).toBe("running");
    expect(await row(c.id)).toMatchObject({ suspendedAt: null, suspendedBy: null, suspendReason: null });
    await eng.call("container.stop", { ctid: c.ctid });
  });

  it("a seller's unsuspend waives it for the month (throttled instead); a raised quota lifts both", async () => {
    const { plan, c } = await metered("waiver", "suspend");
    const month = utcMonth(new Date());
    await usedToday(c, 3 * GB);
    expect(await applyTrafficQuota(w.db, { nodeId: w.node.id })).toMatchObject({ suspended: [c.ctid] });
    await waitForAllOperations();
    expect(await engineState(c.ctid)).toBe("stopped");

    expect(await as(w, "admin").containers.unsuspend({ containerId: c.id })).toMatchObject({ type: "start" });
    await waitForAllOperations();
    expect(await engineState(c.ctid)).toBe("running");
    expect(await row(c.id)).toMatchObject({ suspendedAt: null, trafficWaived: month });
    const up = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.unsuspend", target: { contains: "waiver.test" } },
    });
    expect(JSON.parse(up.details)).toMatchObject({ trafficQuota: "waived this month" });
    // the quota now throttles it, and does not suspend it again
    const again = await applyTrafficQuota(w.db, { nodeId: w.node.id });
    expect(again).toMatchObject({ suspended: [], throttled: [c.ctid] });
    expect(fakeEngine().nets.get(c.ctid)!.rate).toEqual({ inKbit: 512, outKbit: 512 });
    const tc = await as(w, "direct").traffic.container({ containerId: c.id });
    expect(tc.month).toMatchObject({ overage: "throttle", suspended: false, throttled: true });
    // raising the quota unthrottles at once
    await as(w, "admin").plans.update({ planId: plan.id, trafficQuotaGb: 4 });
    expect(await row(c.id)).toMatchObject({ throttled: false, suspendedAt: null });
    expect(fakeEngine().nets.get(c.ctid)!.rate).toEqual({ inKbit: 100_000, outKbit: 100_000 });
    await fakeEngine().call("container.stop", { ctid: c.ctid });
  });

  it("switching a plan from throttle to suspend applies at once; a raised quota unsuspends", async () => {
    const { plan, c } = await metered("switch", "throttle");
    await usedToday(c, 2.5 * GB);
    expect(await applyTrafficQuota(w.db, { nodeId: w.node.id })).toMatchObject({ throttled: [c.ctid] });
    const tc = await as(w, "direct").traffic.container({ containerId: c.id });
    expect(tc.month).toMatchObject({ overage: "throttle", throttled: true, suspended: false });

    await as(w, "admin").plans.update({ planId: plan.id, trafficOverage: "suspend" });
    await waitForAllOperations();
    expect(await row(c.id)).toMatchObject({ suspendedBy: "traffic", throttled: false });
    expect(await engineState(c.ctid)).toBe("stopped");
    expect(fakeEngine().nets.get(c.ctid)!.rate).toEqual({ inKbit: 100_000, outKbit: 100_000 });
    const tc2 = await as(w, "direct").traffic.container({ containerId: c.id });
    expect(tc2.month).toMatchObject({ overage: "suspend", suspended: true, throttled: false });

    await as(w, "admin").plans.update({ planId: plan.id, trafficQuotaGb: 3 });
    await waitForAllOperations();
    expect(await row(c.id)).toMatchObject({ suspendedAt: null, throttled: false });
    expect(await engineState(c.ctid)).toBe("running");
    // a customer cannot pick the rule, and a wrong value is a sentence on its field
    await expectCode(as(w, "direct").plans.update({ planId: plan.id, trafficOverage: "throttle" }), "FORBIDDEN");
    const bad = await expectCode(
      as(w, "admin").plans.update({ planId: plan.id, trafficOverage: "delete" as "suspend" }),
      "BAD_REQUEST",
    );
    expect(JSON.stringify(bad.cause)).toMatch(/choose throttle or suspend/);
    await fakeEngine().call("container.stop", { ctid: c.ctid });
  });

  it("a suspended tenant keeps the container suspended when the quota's reason goes", async () => {
    const { c } = await metered("held", "suspend");
    await usedToday(c, 3 * GB);
    await applyTrafficQuota(w.db, { nodeId: w.node.id });
    await waitForAllOperations();
    await as(w, "admin").tenants.suspend({ tenantId: w.direct.id, reason: "invoice 7 is overdue" });
    await waitForAllOperations();
    // still the quota's suspension
    expect((await row(c.id)).suspendedBy).toBe("traffic");
    // next month: the quota lets go, the tenant's suspension holds it
    const next = new Date(Date.now() + 40 * 86_400_000);
    expect(await applyTrafficQuota(w.db, { nodeId: w.node.id }, next)).toMatchObject({ unsuspended: [] });
    await waitForAllOperations();
    expect(await row(c.id)).toMatchObject({ suspendedBy: "tenant", suspendReason: "invoice 7 is overdue" });
    expect(await engineState(c.ctid)).toBe("stopped");
    // the tenant's unsuspend lifts it and restores it as it was before the quota stopped it
    await as(w, "admin").tenants.unsuspend({ tenantId: w.direct.id });
    await waitForAllOperations();
    expect(await row(c.id)).toMatchObject({ suspendedAt: null });
    expect(await engineState(c.ctid)).toBe("running");
    await fakeEngine().call("container.stop", { ctid: c.ctid });
  });

  it("a throttle is told to the container's tenant (container.throttled)", async () => {
    await as(w, "admin").notifications.setSmtp({
      settings: {
        host: "127.0.0.1",
        port: 1,
        tls: "none",
        from: "Panel <panel@test.example>",
        panelUrl: "https://panel.test.example",
      },
    });
    const { c } = await metered("slowed", "throttle");
    await usedToday(c, 2.5 * GB);
    await applyTrafficQuota(w.db, { nodeId: w.node.id });
    const mails = await w.db.notifyDelivery.findMany({ where: { event: "container.throttled", channel: "email" } });
    expect(mails.map((m) => m.to)).toContain(w.directUser.email);
    const mine = mails.find((m) => m.to === w.directUser.email)!;
    expect(mine.subject).toBe(`container ${c.ctid} (slowed.test) is over its monthly traffic quota and was throttled`);
    expect(mine.payload).toContain("Used 2.50 GB of 2 GB this month (UTC); its network is limited to 512 kbit/s.");
    // once: the next sample does not tell it again
    await applyTrafficQuota(w.db, { nodeId: w.node.id });
    expect(await w.db.notifyDelivery.count({ where: { event: "container.throttled", to: w.directUser.email } })).toBe(
      1,
    );
    await fakeEngine().call("container.stop", { ctid: c.ctid });
  });
});
