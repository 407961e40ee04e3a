import { beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode, holdEngine } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const MiB = 1024 * 1024;

describe.each(PROVIDERS)("containers on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(async () => {
    await waitForAllOperations();
    fakeEngine().failNext.clear();
  });

  const a1 = () => w.a.customers[0]!.container;
  const a2 = () => w.a.customers[1]!.container;
  const b1 = () => w.b.customers[0]!.container;
  const done = async (opId: string) => {
    await waitForAllOperations();
    return w.db.operation.findUniqueOrThrow({ where: { id: opId }, include: { lines: { orderBy: { id: "asc" } } } });
  };

  it("list is scoped, ordered by ctid, filterable by tenant and paginated", async () => {
    const all = await as(w, "admin").containers.list();
    expect(all.map((c) => c.ctid)).toEqual([101, 102, 103, 104, 105]);
    const ra = await as(w, "resellerA").containers.list();
    expect(ra.map((c) => c.id)).toEqual([a1().id, a2().id]);
    expect(ra[0]).toMatchObject({
      ctid: 101,
      hostname: "web-a1.test",
      template: "busybox",
      state: "stopped",
      tenant: { id: w.a.customers[0]!.tenant.id, name: "Customer a1" },
      plan: { id: w.a.plan.id, name: "small-a" },
      node: { id: w.node.id, name: "local" },
    });
    expect(
      (await as(w, "resellerA").containers.list({ tenantId: w.a.customers[1]!.tenant.id })).map((c) => c.id),
    ).toEqual([a2().id]);
    expect(await as(w, "resellerA").containers.list({ tenantId: w.b.customers[0]!.tenant.id })).toEqual([]);
    expect((await as(w, "admin").containers.list({ take: 2, skip: 1 })).map((c) => c.ctid)).toEqual([102, 103]);
    expect((await as(w, "customerB1").containers.list()).map((c) => c.id)).toEqual([b1().id]);
    expect((await as(w, "direct").containers.list()).map((c) => c.id)).toEqual([w.directContainer.id]);
  });

  it("get tells when the container was suspended for its host's reboot and for how long (7 days)", async () => {
    const eng = fakeEngine();
    const boot = (at: string) => ({
      bootId: "b2",
      already: false,
      at,
      outcomes: [
        { ctid: 101, action: "resumed" as const, bootorder: null, suspendedSec: 204 },
        { ctid: 102, action: "started" as const, bootorder: null },
      ],
    });
    const now = new Date().toISOString();
    eng.power = { ...eng.power, lastBoot: boot(now) };
    expect((await as(w, "customerA1").containers.get({ containerId: a1().id })).hostReboot).toEqual({
      resumedAt: now,
      suspendedSec: 204,
    });
    // started afresh at the boot: nothing to tell
    expect((await as(w, "customerA2").containers.get({ containerId: a2().id })).hostReboot).toBeNull();
    // an old reboot is not news
    eng.power = { ...eng.power, lastBoot: boot(new Date(Date.now() - 8 * 24 * 3600 * 1000).toISOString()) };
    expect((await as(w, "customerA1").containers.get({ containerId: a1().id })).hostReboot).toBeNull();
    // a node that cannot say: the page still loads
    eng.failNext.set("host.power", new EngineError("INTERNAL", "boom"));
    expect((await as(w, "customerA1").containers.get({ containerId: a1().id })).hostReboot).toBeNull();
  });

  it("get returns the effective limits and syncs the state from the engine", async () => {
    const g = await as(w, "customerA1").containers.get({ containerId: a1().id });
    expect(g).toMatchObject({
      id: a1().id,
      ctid: 101,
      hostname: "web-a1.test",
      state: "stopped",
      plan: { id: w.a.plan.id, templates: ["busybox"] },
      overrides: {},
    });
    expect(g.limits).toMatchObject({ ram: 256 * MiB, cpus: 1, diskspace: 1024 * MiB });
    await expectCode(as(w, "customerA1").containers.get({ containerId: a2().id }), "NOT_FOUND");
    await expectCode(as(w, "resellerB").containers.get({ containerId: a1().id }), "NOT_FOUND");
    // The engine lost the container: the panel shows "error".
    const lost = await w.db.container.create({
      data: {
        ctid: 900,
        nodeId: w.node.id,
        tenantId: w.direct.id,
        planId: w.platformPlan.id,
        hostname: "lost.test",
        template: "busybox",
        state: "running",
      },
    });
    expect((await as(w, "direct").containers.get({ containerId: lost.id })).state).toBe("error");
    const marked = await w.db.container.findUniqueOrThrow({ where: { id: lost.id } });
    expect(marked.state).toBe("error");
    // a view of an unchanged state writes nothing (the row's updatedAt stays)
    await new Promise((r) => setTimeout(r, 20));
    expect((await as(w, "direct").containers.get({ containerId: lost.id })).state).toBe("error");
    const before = (await w.db.container.findUniqueOrThrow({ where: { id: a1().id } })).updatedAt;
    expect((await as(w, "customerA1").containers.get({ containerId: a1().id })).state).toBe("stopped");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: lost.id } })).updatedAt).toEqual(marked.updatedAt);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: a1().id } })).updatedAt).toEqual(before);
    // a state the node changed behind the panel's back is stored by the next view
    await fakeEngine().call("container.start", { ctid: a1().ctid });
    expect((await as(w, "customerA1").containers.get({ containerId: a1().id })).state).toBe("running");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: a1().id } })).state).toBe("running");
    await fakeEngine().call("container.stop", { ctid: a1().ctid });
    await as(w, "customerA1").containers.get({ containerId: a1().id });
    const u = await as(w, "direct").containers.usage({ containerId: lost.id });
    expect(u.available).toBe(false);
    await w.db.container.delete({ where: { id: lost.id } });
  });

  it("create: an operation that ends with a stopped container on the next ctid", async () => {
    const op = await as(w, "resellerA").containers.create({
      tenantId: w.a.customers[0]!.tenant.id,
      planId: w.a.plan.id,
      hostname: " Web-New.Test ",
      template: "busybox",
    });
    expect(op).toMatchObject({
      type: "create",
      status: "running",
      tenantId: w.a.customers[0]!.tenant.id,
      userId: w.a.user.id,
      actor: "reseller-a@test.example",
    });
    const row = await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } });
    expect(row).toMatchObject({
      hostname: "web-new.test",
      template: "busybox",
      tenantId: w.a.customers[0]!.tenant.id,
      planId: w.a.plan.id,
      nodeId: w.node.id,
    });
    expect(row.ctid).toBeGreaterThanOrEqual(101);
    expect(row.ctid).toBe(106);
    const finished = await done(op.id);
    expect(finished).toMatchObject({ status: "succeeded", progress: 100, error: null });
    expect(finished.finishedAt).toBeInstanceOf(Date);
    expect(finished.lines.map((l) => l.line)).toContain("container 106 created from busybox");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: row.id } })).state).toBe("stopped");
    const eng = fakeEngine().containers.get(106)!;
    expect(eng).toMatchObject({ hostname: "web-new.test", template: "busybox", state: "stopped" });
    expect(eng.limits).toMatchObject({ ram: 256 * MiB, cpus: 1, diskspace: 1024 * MiB });
    const audit = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.create", target: "container 106 (web-new.test)" },
    });
    expect(audit).toMatchObject({ tenantId: w.a.customers[0]!.tenant.id, userId: w.a.user.id, ip: "127.0.0.1" });
    expect(JSON.parse(audit.details)).toEqual({
      plan: "small-a",
      template: "busybox",
      node: "local",
      netMode: "venet",
      ips: ["198.18.0.15"],
    });
    // the plan's one address: the lowest free one of the node's venet pool, given to the engine at create
    expect((await w.db.ipAddress.findMany({ where: { containerId: row.id } })).map((a) => a.address)).toEqual([
      "198.18.0.15",
    ]);
    expect(eng.ips).toEqual(["198.18.0.15"]);
    expect(fakeEngine().nets.get(106)!.venet).toEqual(["198.18.0.15"]);
    // The customer sees it and its operation.
    expect((await as(w, "customerA1").containers.list()).map((c) => c.ctid)).toEqual([101, 106]);
    expect((await as(w, "customerA1").operations.get({ operationId: op.id })).status).toBe("succeeded");
  });

  it("create is refused for a customer, a foreign tenant or plan, a template the plan lacks", async () => {
    const before = { c: await w.db.container.count(), o: await w.db.operation.count() };
    const base = {
      tenantId: w.a.customers[0]!.tenant.id,
      planId: w.a.plan.id,
      hostname: "nope.test",
      template: "busybox",
    };
    await expectCode(as(w, "customerA1").containers.create(base), "FORBIDDEN");
    await expectCode(
      as(w, "resellerA").containers.create({ ...base, tenantId: w.b.customers[0]!.tenant.id }),
      "NOT_FOUND",
    );
    await expectCode(as(w, "resellerA").containers.create({ ...base, planId: w.b.plan.id }), "NOT_FOUND");
    const tpl = await expectCode(
      as(w, "resellerA").containers.create({ ...base, template: "debian-12" }),
      "BAD_REQUEST",
    );
    expect(tpl.message).toContain('does not allow template "debian-12"');
    await expectCode(as(w, "resellerA").containers.create({ ...base, ctid: 777 }), "FORBIDDEN");
    await expectCode(as(w, "resellerA").containers.create({ ...base, hostname: "bad host!" }), "BAD_REQUEST");
    await expectCode(as(w, "admin").containers.create({ ...base, nodeId: "no-such-node" }), "NOT_FOUND");
    await expectCode(as(w, "admin").containers.create({ ...base, ctid: 101 }), "CONFLICT");
    expect({ c: await w.db.container.count(), o: await w.db.operation.count() }).toEqual(before);
  });

  it("an admin may choose the ctid", async () => {
    const op = await as(w, "admin").containers.create({
      tenantId: w.direct.id,
      planId: w.platformPlan.id,
      hostname: "chosen.test",
      template: "debian-12",
      ctid: 4242,
    });
    expect((await done(op.id)).status).toBe("succeeded");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } })).ctid).toBe(4242);
    expect(fakeEngine().containers.get(4242)?.template).toBe("debian-12");
  });

  it("a reseller exceeding its allocation (RAM, then a 5th container) is refused, leaving nothing behind", async () => {
    // Reseller A now runs 3 containers on small-a (768 of 1024 MiB RAM, 3 of 4 vCPUs).
    const big = await as(w, "resellerA").plans.create({
      name: "big-a",
      limits: { ram: 512 * MiB, cpus: 1, diskspace: 1024 * MiB },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    });
    const before = {
      c: await w.db.container.count(),
      o: await w.db.operation.count(),
      e: fakeEngine().containers.size,
    };
    const e = await expectCode(
      as(w, "resellerA").containers.create({
        tenantId: w.a.customers[1]!.tenant.id,
        planId: big.id,
        hostname: "big.test",
        template: "busybox",
      }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e.message).toContain("MiB RAM: would use 1280 of 1024");
    expect(e.message).not.toContain("containers:");
    expect({
      c: await w.db.container.count(),
      o: await w.db.operation.count(),
      e: fakeEngine().containers.size,
    }).toEqual(before);

    const fourth = await as(w, "resellerA").containers.create({
      tenantId: w.a.customers[1]!.tenant.id,
      planId: w.a.plan.id,
      hostname: "fourth.test",
      template: "busybox",
    });
    expect((await done(fourth.id)).status).toBe("succeeded");
    const before5 = {
      c: await w.db.container.count(),
      o: await w.db.operation.count(),
      e: fakeEngine().containers.size,
    };
    const e5 = await expectCode(
      as(w, "resellerA").containers.create({
        tenantId: w.a.customers[1]!.tenant.id,
        planId: w.a.plan.id,
        hostname: "fifth.test",
        template: "busybox",
      }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e5.message).toContain("containers: would use 5 of 4");
    expect(e5.message).toContain("vCPUs: would use 5 of 4");
    expect(e5.message).toContain("MiB RAM: would use 1280 of 1024");
    expect({
      c: await w.db.container.count(),
      o: await w.db.operation.count(),
      e: fakeEngine().containers.size,
    }).toEqual(before5);
    expect(await w.db.container.count({ where: { hostname: "fifth.test" } })).toBe(0);
    // An admin selling to a reseller's customer is held to the same allocation.
    await expectCode(
      as(w, "admin").containers.create({
        tenantId: w.a.customers[1]!.tenant.id,
        planId: w.platformPlan.id,
        hostname: "fifth.test",
        template: "busybox",
      }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
  });

  it("a reseller may sell a platform plan; it counts against its allocation", async () => {
    const used = (await as(w, "resellerB").allocations.get({ tenantId: w.b.tenant.id })).used;
    const op = await as(w, "resellerB").containers.create({
      tenantId: w.b.customers[1]!.tenant.id,
      planId: w.platformPlan.id,
      hostname: "platform-plan.test",
      template: "debian-12",
    });
    expect((await done(op.id)).status).toBe("succeeded");
    const after = (await as(w, "resellerB").allocations.get({ tenantId: w.b.tenant.id })).used;
    expect(after).toEqual({
      ...used,
      containers: used.containers + 1,
      cpus: used.cpus + 1,
      ramMb: used.ramMb + 256,
      diskMb: used.diskMb + 1024,
      ipCount: used.ipCount + 1,
    });
    // Its customer can see it, the plan stays the platform's.
    const c = await as(w, "customerB1").containers.list();
    expect(c.map((x) => x.hostname)).not.toContain("platform-plan.test");
    const row = await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } });
    expect(row.planId).toBe(w.platformPlan.id);
  });

  it("a failed engine create fails the operation with the engine's message and removes the row", async () => {
    fakeEngine().failNext.set("container.create", new EngineError("NO_SPACE", "storage pool is full: 0 bytes free"));
    const sizeBefore = fakeEngine().containers.size;
    const hold = holdEngine("container.create");
    let op;
    try {
      op = await as(w, "resellerB").containers.create({
        tenantId: w.b.customers[0]!.tenant.id,
        planId: w.b.plan.id,
        hostname: "doomed.test",
        template: "busybox",
      });
      expect((await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } })).state).toBe("creating");
    } finally {
      hold.restore();
    }
    const rowId = op.containerId!;
    const f = await done(op.id);
    expect(f.status).toBe("failed");
    expect(f.error).toBe("storage pool is full: 0 bytes free");
    expect(f.finishedAt).toBeInstanceOf(Date);
    expect(f.lines.map((l) => l.line)).toContain("error: storage pool is full: 0 bytes free");
    expect(f.containerId).toBeNull();
    expect(await w.db.container.findUnique({ where: { id: rowId } })).toBeNull();
    expect(await w.db.container.count({ where: { hostname: "doomed.test" } })).toBe(0);
    expect(fakeEngine().containers.size).toBe(sizeBefore);
    // The customer still sees the failed operation.
    const ops = await as(w, "customerB1").operations.list();
    expect(ops.find((o) => o.id === op.id)).toMatchObject({
      status: "failed",
      error: "storage pool is full: 0 bytes free",
    });
  });

  it("start, restart, stop: operations that change the state; their failures are recorded", async () => {
    const c = as(w, "customerA1");
    const start = await c.containers.start({ containerId: a1().id });
    expect(start).toMatchObject({
      type: "start",
      status: "running",
      containerId: a1().id,
      userId: w.a.customers[0]!.user.id,
    });
    expect((await done(start.id)).status).toBe("succeeded");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: a1().id } })).state).toBe("running");
    expect(fakeEngine().containers.get(101)?.state).toBe("running");

    // Starting a running container: the operation fails with the engine's reason.
    const again = await c.containers.start({ containerId: a1().id });
    const failed = await done(again.id);
    expect(failed.status).toBe("failed");
    expect(failed.error).toMatch(/already running/);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: a1().id } })).state).toBe("running");

    const restart = await c.containers.restart({ containerId: a1().id });
    expect(restart.type).toBe("restart");
    expect((await done(restart.id)).status).toBe("succeeded");
    expect(fakeEngine().containers.get(101)?.initPid).toBe(4243);

    const stop = await c.containers.stop({ containerId: a1().id });
    expect((await done(stop.id)).status).toBe("succeeded");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: a1().id } })).state).toBe("stopped");

    fakeEngine().failNext.set("container.start", new EngineError("TIMEOUT", "init did not come up within 30 s"));
    const timeout = await done((await c.containers.start({ containerId: a1().id })).id);
    expect(timeout).toMatchObject({ status: "failed", error: "init did not come up within 30 s" });
    expect((await w.db.container.findUniqueOrThrow({ where: { id: a1().id } })).state).toBe("stopped");

    const actions = (
      await w.db.auditLog.findMany({
        where: {
          tenantId: w.a.customers[0]!.tenant.id,
          action: { in: ["container.start", "container.stop", "container.restart"] },
        },
        orderBy: { id: "asc" },
      })
    ).map((x) => x.action);
    expect(actions).toEqual([
      "container.start",
      "container.start",
      "container.restart",
      "container.stop",
      "container.start",
    ]);
    await expectCode(as(w, "customerA2").containers.start({ containerId: a1().id }), "NOT_FOUND");
  });

  it("a second operation while one is running is a CONFLICT", async () => {
    const hold = holdEngine("container.start");
    try {
      const op = await as(w, "customerA2").containers.start({ containerId: a2().id });
      expect(op.status).toBe("running");
      const opsBefore = await w.db.operation.count();
      const auditBefore = await w.db.auditLog.count();
      const e = await expectCode(as(w, "customerA2").containers.stop({ containerId: a2().id }), "CONFLICT", "CONFLICT");
      expect(e.message).toMatch(/Container \d+ is busy: its start \(operation \w+\) is still running/);
      await expectCode(
        as(w, "resellerA").containers.destroy({ containerId: a2().id, confirmHostname: "web-a2.test" }),
        "CONFLICT",
      );
      await expectCode(
        as(w, "admin").containers.reinstall({ containerId: a2().id, template: "busybox", confirm: true }),
        "CONFLICT",
      );
      expect(await w.db.operation.count()).toBe(opsBefore);
      expect(await w.db.auditLog.count()).toBe(auditBefore); // refused: nothing claims it happened
      expect((await w.db.operation.findUniqueOrThrow({ where: { id: op.id } })).status).toBe("running");
      hold.release();
      expect((await done(op.id)).status).toBe("succeeded");
    } finally {
      hold.restore();
    }
    // Once it finished, the next operation is accepted.
    const stop = await as(w, "customerA2").containers.stop({ containerId: a2().id });
    expect((await done(stop.id)).status).toBe("succeeded");
  });

  it("two operations started at the same moment: exactly one is accepted", async () => {
    const hold = holdEngine("container.start");
    try {
      const results = await Promise.allSettled([
        as(w, "customerA2").containers.start({ containerId: a2().id }),
        as(w, "resellerA").containers.start({ containerId: a2().id }),
        as(w, "admin").containers.restart({ containerId: a2().id }),
      ]);
      const ok = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(ok).toHaveLength(1);
      for (const r of refused) expect((r.reason as { code: string }).code).toBe("CONFLICT");
      expect(await w.db.operation.count({ where: { containerId: a2().id, status: "running" } })).toBe(1);
    } finally {
      hold.restore();
    }
    await waitForAllOperations();
    await w.db.container.update({ where: { id: a2().id }, data: { state: "stopped" } });
    const info = fakeEngine().containers.get(a2().ctid)!;
    info.state = "stopped";
  });

  it("reinstall (wipe) replaces the system from an allowed template and keeps it running if it was", async () => {
    const c = as(w, "customerB1");
    await expectCode(
      c.containers.reinstall({ containerId: b1().id, template: "debian-12", confirm: true }),
      "BAD_REQUEST",
    );
    await expectCode(
      c.containers.reinstall({ containerId: b1().id, template: "busybox", confirm: false as true }),
      "BAD_REQUEST",
    );
    expect((await done((await c.containers.start({ containerId: b1().id })).id)).status).toBe("succeeded");
    const eng = fakeEngine();
    eng.containers.get(b1().ctid)!.createdAt = "2000-01-01T00:00:00.000Z";
    const op = await c.containers.reinstall({ containerId: b1().id, template: "busybox", confirm: true });
    expect(op.type).toBe("reinstall");
    const f = await done(op.id);
    expect(f.status).toBe("succeeded");
    expect(f.lines.map((l) => l.line)).toContain(`container ${b1().ctid} reinstalled from busybox; old files wiped`);
    const info = eng.containers.get(b1().ctid)!;
    // the engine swaps the root filesystem: the container (its identity) stays
    expect(info.createdAt).toBe("2000-01-01T00:00:00.000Z");
    expect(info.template).toBe("busybox");
    expect(info.state).toBe("running");
    expect(info.limits.ram).toBe(256 * MiB);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: b1().id } })).state).toBe("running");
    const audit = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.reinstall", tenantId: w.b.customers[0]!.tenant.id },
    });
    expect(JSON.parse(audit.details)).toEqual({ template: "busybox", keepData: false });
  });

  it("a failed reinstall keeps the old system (the engine swaps it back) and the container is started again", async () => {
    const before = (await w.db.container.findUniqueOrThrow({ where: { id: b1().id } })).state;
    fakeEngine().failNext.set(
      "container.reinstall",
      new EngineError("TEMPLATE_NOT_FOUND", "template cache is corrupt"),
    );
    const op = await as(w, "resellerB").containers.reinstall({
      containerId: b1().id,
      template: "busybox",
      confirm: true,
    });
    const f = await done(op.id);
    expect(f.status).toBe("failed");
    expect(f.error).toMatch(/template cache is corrupt/);
    expect((await w.db.container.findUniqueOrThrow({ where: { id: b1().id } })).state).toBe(before);
    expect(
      (
        await done(
          (await as(w, "resellerB").containers.reinstall({ containerId: b1().id, template: "busybox", keepData: true }))
            .id,
        )
      ).status,
    ).toBe("succeeded");
    expect((await w.db.container.findUniqueOrThrow({ where: { id: b1().id } })).state).toBe(before);
    // resetPassword below starts from a stopped container
    if (before === "running") await done((await as(w, "resellerB").containers.stop({ containerId: b1().id })).id);
  });

  it("resetPassword reaches the engine (running or stopped, as vzctl) and is audited without the password", async () => {
    const id = b1().id;
    const ctid = b1().ctid;
    expect(fakeEngine().containers.get(ctid)!.state).toBe("stopped");
    expect(
      await as(w, "customerB1").containers.resetPassword({ containerId: id, password: "root-password-0" }),
    ).toEqual({ ok: true });
    expect(fakeEngine().passwords.get(`${ctid}:root`)).toBe("root-password-0");
    await done((await as(w, "customerB1").containers.start({ containerId: id })).id);
    expect(
      await as(w, "customerB1").containers.resetPassword({ containerId: id, password: "root-password-1" }),
    ).toEqual({ ok: true });
    expect(fakeEngine().passwords.get(`${ctid}:root`)).toBe("root-password-1");
    const audit = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.resetPassword", tenantId: w.b.customers[0]!.tenant.id },
    });
    expect(JSON.stringify(audit)).not.toContain("root-password-");
    await expectCode(
      as(w, "customerB1").containers.resetPassword({ containerId: id, password: "short" }),
      "BAD_REQUEST",
    );
    await expectCode(
      as(w, "customerA1").containers.resetPassword({ containerId: id, password: "evil-password-1" }),
      "NOT_FOUND",
    );
    expect(fakeEngine().passwords.get(`${ctid}:root`)).toBe("root-password-1");
  });

  it("setLimits (admin) applies live to the engine and stores overrides on top of the plan", async () => {
    const id = b1().id;
    const ctid = b1().ctid;
    expect(fakeEngine().containers.get(ctid)?.state).toBe("running");
    const r = await as(w, "admin").containers.setLimits({ containerId: id, limits: { ram: 512 * MiB, numproc: 200 } });
    expect(r.appliedLive).toBe(true);
    expect(r.limits).toMatchObject({ ram: 512 * MiB, numproc: 200, cpus: 1 });
    expect(fakeEngine().containers.get(ctid)!.limits).toMatchObject({ ram: 512 * MiB, numproc: 200 });
    expect(JSON.parse((await w.db.container.findUniqueOrThrow({ where: { id } })).overrides)).toEqual({
      ram: 512 * MiB,
      numproc: 200,
    });
    await as(w, "admin").containers.setLimits({ containerId: id, limits: { numproc: 300 } });
    const g = await as(w, "customerB1").containers.get({ containerId: id });
    expect(g.overrides).toEqual({ ram: 512 * MiB, numproc: 300 });
    expect(g.limits).toMatchObject({ ram: 512 * MiB, numproc: 300, diskspace: 1024 * MiB });
    // Overrides count against the reseller's allocation.
    expect((await as(w, "resellerB").allocations.get({ tenantId: w.b.tenant.id })).used.ramMb).toBe(256 + 256 + 512); // b1 (override), b2, platform-plan.test
    const audit = await w.db.auditLog.findMany({
      where: { action: "container.setLimits", tenantId: w.b.customers[0]!.tenant.id },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => JSON.parse(a.details))).toEqual([
      { ram: 512 * MiB, numproc: 200, live: true },
      { numproc: 300, live: true },
    ]);

    const before = (await w.db.container.findUniqueOrThrow({ where: { id } })).overrides;
    await expectCode(as(w, "admin").containers.setLimits({ containerId: id, limits: {} }), "BAD_REQUEST");
    await expectCode(as(w, "admin").containers.setLimits({ containerId: id, limits: { ram: 1 } }), "BAD_REQUEST");
    await expectCode(as(w, "admin").containers.setLimits({ containerId: id, limits: { nonsense: 5 } }), "BAD_REQUEST");
    await expectCode(as(w, "admin").containers.setLimits({ containerId: id, limits: { ram: "lots" } }), "BAD_REQUEST");
    await expectCode(
      as(w, "resellerB").containers.setLimits({ containerId: id, limits: { ram: 2048 * MiB } }),
      "FORBIDDEN",
    );
    await expectCode(
      as(w, "customerB1").containers.setLimits({ containerId: id, limits: { ram: 2048 * MiB } }),
      "FORBIDDEN",
    );
    expect((await w.db.container.findUniqueOrThrow({ where: { id } })).overrides).toBe(before);
    expect(fakeEngine().containers.get(ctid)!.limits.ram).toBe(512 * MiB);
  });

  it("usage reports the engine's numbers", async () => {
    const u = await as(w, "customerB1").containers.usage({ containerId: b1().id });
    expect(u.available).toBe(true);
    if (!u.available) return;
    expect(u.state).toBe("running");
    expect(u.initPid).toBe(4242);
    expect(u.configured.ram).toBe(512 * MiB);
    expect(u.disk.limitBytes).toBe(1024 * MiB);
    // the real engine's resources (the engine contract holds the fake to them)
    expect(u.beancounters.map((b) => b.resource)).toEqual([
      "memory",
      "swap",
      "numproc",
      "cpu",
      "blkio",
      "diskspace",
      "numfile",
    ]);
    await expectCode(as(w, "customerA1").containers.usage({ containerId: b1().id }), "NOT_FOUND");
    fakeEngine().failNext.set("container.beancounters", new EngineError("INTERNAL", "cannot reach the host engine"));
    const down = await as(w, "customerB1").containers.usage({ containerId: b1().id });
    expect(down).toEqual({ available: false, reason: "cannot reach the host engine" });
  });

  it("destroy needs the hostname, is refused to customers, and removes row and engine container", async () => {
    const id = a2().id;
    const ctid = a2().ctid;
    await expectCode(
      as(w, "customerA2").containers.destroy({ containerId: id, confirmHostname: "web-a2.test" }),
      "FORBIDDEN",
    );
    const e = await expectCode(
      as(w, "resellerA").containers.destroy({ containerId: id, confirmHostname: "web-a1.test" }),
      "BAD_REQUEST",
    );
    expect(e.message).toContain("(web-a2.test)");
    await expectCode(
      as(w, "resellerB").containers.destroy({ containerId: id, confirmHostname: "web-a2.test" }),
      "NOT_FOUND",
    );
    expect(await w.db.container.findUnique({ where: { id } })).not.toBeNull();
    expect(fakeEngine().containers.has(ctid)).toBe(true);

    const op = await as(w, "resellerA").containers.destroy({ containerId: id, confirmHostname: "  WEB-A2.test " });
    expect(op).toMatchObject({ type: "destroy", status: "running", containerId: id });
    const f = await done(op.id);
    expect(f.status).toBe("succeeded");
    expect(f.containerId).toBeNull();
    expect(f.lines.map((l) => l.line)).toContain(`container ${ctid} destroyed`);
    expect(await w.db.container.findUnique({ where: { id } })).toBeNull();
    expect(fakeEngine().containers.has(ctid)).toBe(false);
    // Its operations stay visible to the customer (tenant-scoped, container link cleared).
    const ops = await as(w, "customerA2").operations.list();
    expect(ops.find((o) => o.id === op.id)).toMatchObject({ status: "succeeded", container: null });
    await expectCode(as(w, "resellerA").containers.get({ containerId: id }), "NOT_FOUND");
    expect(
      await w.db.auditLog.count({ where: { action: "container.destroy", target: `container ${ctid} (web-a2.test)` } }),
    ).toBe(1);
  });

  it("destroy succeeds when the engine already lost the container", async () => {
    const c = await w.db.container.create({
      data: {
        ctid: 950,
        nodeId: w.node.id,
        tenantId: w.direct.id,
        planId: w.platformPlan.id,
        hostname: "ghost.test",
        template: "busybox",
        state: "stopped",
      },
    });
    const f = await done(
      (await as(w, "admin").containers.destroy({ containerId: c.id, confirmHostname: "ghost.test" })).id,
    );
    expect(f.status).toBe("succeeded");
    expect(f.lines.map((l) => l.line)).toContain("container 950 was already gone from the node");
    expect(await w.db.container.findUnique({ where: { id: c.id } })).toBeNull();
  });

  it("actions on a container still being created are a CONFLICT", async () => {
    const hold = holdEngine("container.create");
    try {
      const op = await as(w, "admin").containers.create({
        tenantId: w.direct.id,
        planId: w.platformPlan.id,
        hostname: "slow.test",
        template: "busybox",
      });
      expect((await w.db.container.findUniqueOrThrow({ where: { id: op.containerId! } })).state).toBe("creating");
      const e = await expectCode(as(w, "direct").containers.start({ containerId: op.containerId! }), "CONFLICT");
      expect(e.message).toMatch(/still being created/);
      hold.release();
      expect((await done(op.id)).status).toBe("succeeded");
    } finally {
      hold.restore();
    }
  });
});
