/**
 * Backup policies through tRPC (fake engine, both databases): who may create, see, change and attach which
 * policy; a customer cannot keep more than the plan allows nor touch another customer's container; schedule
 * and retention are validated with sentences and field errors; a plan's default applies to its containers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, type World, useWorld } from "../helpers/world.js";

describe.each(PROVIDERS)("backup policies (tRPC) on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  afterEach(async () => {
    await w.db.backupPolicy.deleteMany({});
    await w.db.plan.updateMany({ data: { maxBackups: 3, maxSnapshots: 5 } });
  });
  const nightly = { name: "nightly", kind: "backup" as const, schedule: "daily 03:00", keepDaily: 2 };

  it("a customer keeps its policy on its own container within the plan's limit", async () => {
    const me = as(w, "customerA1");
    const c = w.a.customers[0]!.container;
    const p = await me.backupPolicies.create({ ...nightly, schedule: " DAILY 03:00 " });
    expect(p).toMatchObject({ tenantId: w.a.customers[0]!.tenant.id, schedule: "daily 03:00", keepDaily: 2 });
    await me.backupPolicies.setForContainer({ containerId: c.id, policyId: p.id });
    const view = await me.backupPolicies.forContainer({ containerId: c.id });
    expect(view).toMatchObject({ source: "container", own: { id: p.id }, plan: null, maxBackups: 3 });
    expect(view.nextRunAt).not.toBeNull();

    // more than the plan's 3 backups: refused on attach, and on an update of an attached policy
    const big = await me.backupPolicies.create({ ...nightly, name: "big", keepDaily: 2, keepWeekly: 2 });
    const e = await expectCode(
      me.backupPolicies.setForContainer({ containerId: c.id, policyId: big.id }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e.message).toMatch(/allows 3 backup\(s\) per container, and policy "big" may keep 4 .*keep fewer/);
    await expectCode(me.backupPolicies.update({ policyId: p.id, keepMonthly: 2 }), "FORBIDDEN", "QUOTA_EXCEEDED");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).backupPolicyId).toBe(p.id);
    // a snapshot policy is held to maxSnapshots (5)
    const snaps = await me.backupPolicies.create({ ...nightly, name: "snaps", kind: "snapshot", keepDaily: 5 });
    await me.backupPolicies.setForContainer({ containerId: c.id, policyId: snaps.id });
    // back to the plan's (none)
    await me.backupPolicies.setForContainer({ containerId: c.id, policyId: null });
    expect((await me.backupPolicies.forContainer({ containerId: c.id })).source).toBeNull();
  });

  it("scope: nobody reaches another customer's container or policy; customers cannot set plans", async () => {
    const mine = await as(w, "customerA1").backupPolicies.create(nightly);
    const sellers = await as(w, "resellerA").backupPolicies.create(nightly);
    const other = w.a.customers[1]!.container;
    const own = w.a.customers[0]!.container;
    // another customer's container, with my policy: NOT_FOUND (no existence leak)
    await expectCode(
      as(w, "customerA1").backupPolicies.setForContainer({ containerId: other.id, policyId: mine.id }),
      "NOT_FOUND",
    );
    await expectCode(as(w, "customerA1").backupPolicies.forContainer({ containerId: other.id }), "NOT_FOUND");
    // a policy of someone else on my container: NOT_FOUND
    await expectCode(
      as(w, "customerA2").backupPolicies.setForContainer({ containerId: other.id, policyId: mine.id }),
      "NOT_FOUND",
    );
    await expectCode(
      as(w, "customerA1").backupPolicies.setForContainer({ containerId: own.id, policyId: sellers.id }),
      "NOT_FOUND",
    );
    for (const who of ["customerA2", "customerB1", "resellerB"] as const) {
      await expectCode(as(w, who).backupPolicies.update({ policyId: mine.id, keepDaily: 1 }), "NOT_FOUND");
      await expectCode(as(w, who).backupPolicies.delete({ policyId: mine.id }), "NOT_FOUND");
      expect((await as(w, who).backupPolicies.list()).map((p) => p.id)).not.toContain(mine.id);
    }
    await expectCode(
      as(w, "customerA1").backupPolicies.setForPlan({ planId: w.a.plan.id, policyId: mine.id }),
      "FORBIDDEN",
    );
    // the seller sees and may use its customer's policy and its own on the customer's container
    expect((await as(w, "resellerA").backupPolicies.list()).map((p) => p.id).sort()).toEqual(
      [mine.id, sellers.id].sort(),
    );
    await as(w, "resellerA").backupPolicies.setForContainer({ containerId: own.id, policyId: sellers.id });
    await as(w, "resellerA").backupPolicies.setForContainer({ containerId: own.id, policyId: mine.id });
    // ... but not on another customer's container (a policy of customer A1 on A2's)
    await expectCode(
      as(w, "resellerA").backupPolicies.setForContainer({ containerId: other.id, policyId: mine.id }),
      "NOT_FOUND",
    );
    // the admin sees everything
    expect((await as(w, "admin").backupPolicies.list()).map((p) => p.id)).toEqual(
      expect.arrayContaining([mine.id, sellers.id]),
    );
  });

  it("sellers set a plan's default; its containers follow it unless they have their own", async () => {
    const reseller = as(w, "resellerA");
    const p = await reseller.backupPolicies.create(nightly);
    const foreign = await as(w, "resellerB").backupPolicies.create(nightly);
    await expectCode(reseller.backupPolicies.setForPlan({ planId: w.a.plan.id, policyId: foreign.id }), "NOT_FOUND");
    await expectCode(reseller.backupPolicies.setForPlan({ planId: w.b.plan.id, policyId: p.id }), "NOT_FOUND");
    await w.db.plan.update({ where: { id: w.a.plan.id }, data: { maxBackups: 1 } });
    await expectCode(
      reseller.backupPolicies.setForPlan({ planId: w.a.plan.id, policyId: p.id }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    await w.db.plan.update({ where: { id: w.a.plan.id }, data: { maxBackups: 3 } });
    await reseller.backupPolicies.setForPlan({ planId: w.a.plan.id, policyId: p.id });
    expect((await reseller.plans.list()).find((x) => x.id === w.a.plan.id)?.backupPolicyId).toBe(p.id);
    const c = w.a.customers[1]!.container;
    expect(await as(w, "customerA2").backupPolicies.forContainer({ containerId: c.id })).toMatchObject({
      source: "plan",
      plan: { id: p.id, name: "nightly" },
    });
    // the plan's policy cannot be raised above the plan's limit either
    await expectCode(reseller.backupPolicies.update({ policyId: p.id, keepDaily: 4 }), "FORBIDDEN", "QUOTA_EXCEEDED");
    // deleting the policy leaves the plan without one
    await reseller.backupPolicies.delete({ policyId: p.id });
    expect((await w.db.plan.findUniqueOrThrow({ where: { id: w.a.plan.id } })).backupPolicyId).toBeNull();
  });

  it("a run the panel did not see end shows how its operation ended", async () => {
    const c = w.a.customers[0]!.container;
    const op = await w.db.operation.create({
      data: { type: "backup", status: "failed", tenantId: c.tenantId, containerId: c.id, actor: "gone panel" },
    });
    await w.db.container.update({
      where: { id: c.id },
      data: { policyLastAt: new Date("2026-12-07T03:00:00Z"), policyLastOpId: op.id, policyLastStatus: "running" },
    });
    expect(await as(w, "customerA1").backupPolicies.forContainer({ containerId: c.id })).toMatchObject({
      lastRunAt: "2026-12-07T03:00:00.000Z",
      lastStatus: "failed",
      lastOperationId: op.id,
    });
    await w.db.container.update({ where: { id: c.id }, data: { policyLastOpId: null, policyLastStatus: null } });
  });

  it("validation: schedule syntax and retention, with field errors; names unique per tenant", async () => {
    const me = as(w, "customerA1");
    for (const schedule of ["daily 3:00", "hourly", "weekly 03:00", "0 3 * * *"]) {
      const e = await expectCode(me.backupPolicies.create({ ...nightly, schedule }), "BAD_REQUEST");
      expect(e.message).toMatch(/Write the schedule as "daily 03:00" or "weekly sun 03:00" \(UTC\)/);
      expect((e as unknown as { data?: { fields?: Record<string, string> } }).data?.fields).toHaveProperty("schedule");
    }
    const zero = await expectCode(me.backupPolicies.create({ ...nightly, keepDaily: 0 }), "BAD_REQUEST");
    expect(zero.message).toMatch(/Keep at least one backup/);
    await me.backupPolicies.create(nightly);
    await expectCode(me.backupPolicies.create(nightly), "CONFLICT");
    // another tenant may use the same name
    await as(w, "customerA2").backupPolicies.create(nightly);
  });
});
