/**
 * Customer self-service within quota on both databases (fake engine): a customer creates, clones and restores
 * as new its own containers of a self-service plan, up to the plan's count and totals of vCPUs, RAM, disk and IP
 * addresses over all of its containers; each refusal says the numbers and names the plan field; sellers are not
 * limited by it; concurrent creates cannot both take the last room; customers destroy their self-service
 * containers. World (server/test/helpers/world.ts): customer A1 holds one container of reseller A's plan small-a
 * (1 vCPU, 256 MiB RAM, 1024 MiB disk, 1 IP); reseller A's allocation leaves room for 2 more such containers.
 */
import { afterEach, describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode, rowCounts, trpcError } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const NO_QUOTA = {
  customerMaxContainers: 0,
  customerMaxCpus: 0,
  customerMaxRamMb: 0,
  customerMaxDiskMb: 0,
  customerMaxIps: 0,
};

describe.each(PROVIDERS)("customer self-service quota on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  const a1 = () => w.a.customers[0]!;
  const plan = () => ({ id: w.a.plan.id });
  const me = () => as(w, "customerA1");
  const setQuota = (q: Partial<typeof NO_QUOTA>) => w.db.plan.update({ where: plan(), data: { ...NO_QUOTA, ...q } });
  const create = (hostname: string, extra: Record<string, unknown> = {}) =>
    me().containers.create({ tenantId: a1().tenant.id, planId: w.a.plan.id, hostname, template: "busybox", ...extra });
  const finished = async (opId: string) => {
    await waitForAllOperations();
    return (await w.db.operation.findUniqueOrThrow({ where: { id: opId } })).status;
  };

  // every test starts from the world as built: the containers made here (hostnames q-*) go again
  afterEach(async () => {
    await waitForAllOperations();
    for (const c of await w.db.container.findMany({ where: { hostname: { startsWith: "q-" } } })) {
      await w.db.ipAddress.deleteMany({ where: { containerId: c.id } });
      await w.db.operation.updateMany({ where: { containerId: c.id }, data: { containerId: null } });
      await w.db.container.delete({ where: { id: c.id } });
      fakeEngine().containers.delete(c.ctid);
      fakeEngine().nets.delete(c.ctid);
    }
    await w.db.backup.deleteMany({ where: { hostname: { startsWith: "q-" } } });
    await setQuota({});
  });

  it("auth.me says whether the customer has a self-service plan (the sidebar's New container)", async () => {
    expect((await me().auth.me()).selfService).toBe(false);
    await setQuota({ customerMaxContainers: 3 });
    expect((await me().auth.me()).selfService).toBe(true);
    // another customer of the same seller without a container of that plan still sees its seller's plan
    expect((await as(w, "customerA2").auth.me()).selfService).toBe(true);
    // another seller's customers and the sellers themselves do not
    expect((await as(w, "customerB1").auth.me()).selfService).toBe(false);
    expect((await as(w, "resellerA").auth.me()).selfService).toBe(false);
  });

  it("refuses a plan that is not self-service, not the customer's, and the seller's choices", async () => {
    const before = await rowCounts(w.db);
    const no = await expectCode(create("q-1.test"), "FORBIDDEN");
    expect(no.message).toBe(
      'Plan "small-a" does not let customers make their own containers; ask your provider for another container.',
    );
    expect((no as { data?: { fields?: unknown } }).data?.fields).toMatchObject({ planId: "not a self-service plan" });
    // a self-service plan of another seller, or the platform's (not its seller's, none of its containers has it)
    await w.db.plan.update({ where: { id: w.b.plan.id }, data: { customerMaxContainers: 5 } });
    await w.db.plan.update({ where: { id: w.platformPlan.id }, data: { customerMaxContainers: 5 } });
    await setQuota({ customerMaxContainers: 5 });
    for (const planId of [w.b.plan.id, w.platformPlan.id])
      await expectCode(create("q-1.test", { planId }), "NOT_FOUND");
    await w.db.plan.updateMany({ where: { id: { in: [w.b.plan.id, w.platformPlan.id] } }, data: NO_QUOTA });
    // another customer's tenant; the node, the ctid; a template the plan does not have
    await expectCode(create("q-1.test", { tenantId: w.a.customers[1]!.tenant.id }), "NOT_FOUND");
    await expectCode(create("q-1.test", { nodeId: w.node.id }), "FORBIDDEN");
    await expectCode(create("q-1.test", { ctid: 900 }), "FORBIDDEN");
    await expectCode(create("q-1.test", { template: "debian-12" }), "BAD_REQUEST");
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it("creates up to the plan's count, then refuses with a sentence that says the numbers", async () => {
    await setQuota({ customerMaxContainers: 2 });
    const view = await me().containers.selfService();
    expect(view.blocked).toBeNull();
    expect(view.plans).toEqual([
      expect.objectContaining({
        id: w.a.plan.id,
        name: "small-a",
        templates: ["busybox"],
        need: expect.objectContaining({ containers: 1, cpus: 1, ramMb: 256, diskMb: 1024, ipCount: 1 }),
        remaining: { containers: 1, cpus: null, ramMb: null, diskMb: null, ipCount: null },
      }),
    ]);
    const op = await create("q-1.test");
    expect(op).toMatchObject({ type: "create", tenantId: a1().tenant.id });
    expect(await finished(op.id)).toBe("succeeded");
    const row = await w.db.container.findFirstOrThrow({
      where: { hostname: "q-1.test" },
      include: { addresses: true },
    });
    expect(row).toMatchObject({ tenantId: a1().tenant.id, planId: w.a.plan.id, state: "stopped" });
    expect(row.addresses).toHaveLength(1);
    expect((await w.db.auditLog.findFirstOrThrow({ where: { target: { contains: "q-1.test" } } })).userId).toBe(
      a1().user.id,
    );
    expect((await me().containers.selfService()).plans[0]!.remaining.containers).toBe(0);

    const before = await rowCounts(w.db);
    const full = await expectCode(create("q-2.test"), "FORBIDDEN", "QUOTA_EXCEEDED");
    expect(full.message).toBe(
      'Refused: plan "small-a" lets you hold 2 containers in total; you have 2 containers. Over the quota: ' +
        "containers. Destroy one of your containers or ask your provider for a larger quota.",
    );
    expect((full as { data?: { fields?: unknown } }).data?.fields).toEqual({
      planId: "3 containers of 2 would be used",
    });
    expect(await rowCounts(w.db)).toEqual(before);
  });

  it.each([
    ["customerMaxCpus", 2, /you have 2 containers with 2 vCPUs; this one needs 1 vCPU\. Over the quota: vCPUs\./],
    ["customerMaxRamMb", 600, /with 600 MiB RAM in total; you have 2 containers with 512 MiB RAM; this one needs 256/],
    ["customerMaxDiskMb", 2048, /with 2048 MiB disk in total; you have .* 2048 MiB disk; this one needs 1024 MiB disk/],
    ["customerMaxIps", 2, /with 2 IP addresses in total; you have .* 2 IP addresses; this one needs 1 IP address/],
  ] as const)("each total refuses: %s", async (key, total, sentence) => {
    await setQuota({ customerMaxContainers: 10, [key]: total });
    expect(await finished((await create("q-1.test")).id)).toBe("succeeded");
    const e = await expectCode(create("q-2.test"), "FORBIDDEN", "QUOTA_EXCEEDED");
    expect(e.message).toMatch(/^Refused: plan "small-a" lets you hold 10 containers with /);
    expect(e.message).toMatch(sentence);
    expect(Object.keys((e as { data?: { fields?: object } }).data?.fields ?? {})).toEqual(["planId"]);
  });

  it("clone and restore as new go through the same check", async () => {
    await setQuota({ customerMaxContainers: 10, customerMaxCpus: 1 });
    const clone = await expectCode(
      me().containers.clone({ containerId: a1().container.id, hostname: "q-c.test" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(clone.message).toMatch(
      /lets you hold 10 containers with 1 vCPU in total; you have 1 container with 1 vCPU;/,
    );
    const engine = await fakeEngine().call("backup.create", { ctid: a1().container.ctid });
    const b = await w.db.backup.create({
      data: {
        engineId: engine.id,
        nodeId: w.node.id,
        tenantId: a1().tenant.id,
        ctid: a1().container.ctid,
        planId: w.a.plan.id,
        hostname: "q-backup.test",
        template: "busybox",
        sizeBytes: BigInt(1000),
      },
    });
    const restore = await expectCode(
      me().backups.restoreAsNew({ backupId: b.id, hostname: "q-r.test" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(restore.message).toBe(clone.message);
    // with room, both pass, each counting the other
    await setQuota({ customerMaxContainers: 3 });
    const r = await me().backups.restoreAsNew({ backupId: b.id, hostname: "q-r.test" });
    expect(await finished(r.id)).toBe("succeeded");
    const c = await me().containers.clone({ containerId: a1().container.id, hostname: "q-c.test" });
    expect(await finished(c.id)).toBe("succeeded");
    expect(await w.db.container.count({ where: { tenantId: a1().tenant.id } })).toBe(3);
    await expectCode(
      me().backups.restoreAsNew({ backupId: b.id, hostname: "q-r2.test" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
  });

  it("sellers are not limited by the customer quota", async () => {
    await setQuota({ customerMaxContainers: 1, customerMaxCpus: 1 });
    await expectCode(create("q-1.test"), "FORBIDDEN", "QUOTA_EXCEEDED");
    for (const [who, hostname] of [
      ["resellerA", "q-s1.test"],
      ["admin", "q-s2.test"],
    ] as const) {
      const op = await as(w, who).containers.create({
        tenantId: a1().tenant.id,
        planId: w.a.plan.id,
        hostname,
        template: "busybox",
      });
      expect(await finished(op.id)).toBe("succeeded");
    }
    expect(await w.db.container.count({ where: { tenantId: a1().tenant.id } })).toBe(3);
  });

  it("two concurrent creates cannot both take the last room", async () => {
    await setQuota({ customerMaxContainers: 2 });
    const results = await Promise.allSettled([create("q-1.test"), create("q-2.test"), create("q-3.test")]);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    for (const r of results.filter((x) => x.status === "rejected"))
      expect((await trpcError(Promise.reject((r as PromiseRejectedResult).reason))).message).toMatch(
        /lets you hold 2 containers in total; you have 2 containers/,
      );
    await waitForAllOperations();
    expect(await w.db.container.count({ where: { tenantId: a1().tenant.id } })).toBe(2);
  });

  it("customers destroy their containers of a self-service plan only", async () => {
    await setQuota({ customerMaxContainers: 3 });
    expect(await finished((await create("q-1.test")).id)).toBe("succeeded");
    const c = await w.db.container.findFirstOrThrow({ where: { hostname: "q-1.test" } });
    const destroy = () => me().containers.destroy({ containerId: c.id, confirmHostname: c.hostname });
    await w.db.container.update({ where: { id: c.id }, data: { suspendedAt: new Date(), suspendedBy: "container" } });
    await expectCode(destroy(), "CONFLICT");
    await w.db.container.update({ where: { id: c.id }, data: { suspendedAt: null, externalId: "svc-1" } });
    await expectCode(destroy(), "FORBIDDEN");
    await w.db.container.update({ where: { id: c.id }, data: { externalId: null } });
    await setQuota({});
    const no = await expectCode(destroy(), "FORBIDDEN");
    expect(no.message).toMatch(/does not let customers destroy their containers; ask your provider/);
    // a sibling's container stays out of reach
    await setQuota({ customerMaxContainers: 3 });
    const sibling = w.a.customers[1]!.container;
    await expectCode(
      me().containers.destroy({ containerId: sibling.id, confirmHostname: sibling.hostname }),
      "NOT_FOUND",
    );
    expect(await finished((await destroy()).id)).toBe("succeeded");
    expect(await w.db.container.findUnique({ where: { id: c.id } })).toBeNull();
  });

  it("plans carry the quota; a vCPU total needs a number of vCPUs per container", async () => {
    const quota = { customerMaxContainers: 3, customerMaxCpus: 4, customerMaxRamMb: 2048, customerMaxDiskMb: 9000 };
    const p = await as(w, "resellerA").plans.update({ planId: w.a.plan.id, ...quota, customerMaxIps: 3 });
    expect(p).toMatchObject({ ...quota, customerMaxIps: 3 });
    const listed = (await as(w, "resellerA").plans.list()).find((x) => x.id === w.a.plan.id);
    expect(listed).toMatchObject({ ...quota, customerMaxIps: 3 });
    const e = await expectCode(
      as(w, "admin").plans.update({ planId: w.platformPlan.id, limits: { cpus: 0 }, customerMaxCpus: 2 }),
      "BAD_REQUEST",
    );
    expect(e.message).toMatch(/set vCPUs to 1 or more, or the total to 0/);
    await expectCode(as(w, "resellerA").plans.update({ planId: w.a.plan.id, customerMaxRamMb: -1 }), "BAD_REQUEST");
  });
});
