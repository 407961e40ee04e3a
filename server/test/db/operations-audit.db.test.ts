import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recoverAfterRestart } from "../../services/recovery.js";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";
import { expectCode, holdEngine } from "../helpers/expect.js";
import { as, buildWorld, caller, waitForAllOperations, type World } from "../helpers/world.js";

describe.each(PROVIDERS)("operations and audit on %s", (provider) => {
  let t: TestDb;
  let w: World;
  /** ids of operations started below, per container */
  const ops: Record<string, string> = {};
  beforeAll(async () => {
    t = await freshDb(provider);
    w = await buildWorld(t.db);
  });
  afterAll(async () => {
    await waitForAllOperations();
    await t?.drop();
  });

  const visibleTo = async (tenantId: string) =>
    new Set([tenantId, ...(await w.db.tenant.findMany({ where: { parentId: tenantId } })).map((x) => x.id)]);

  it("an operation left 'running' by a crashed panel is marked failed when the next one starts", async () => {
    const stale = await w.db.operation.create({
      data: {
        type: "start",
        status: "running",
        tenantId: w.direct.id,
        containerId: w.directContainer.id,
        actor: "x",
        startedAt: new Date(Date.now() - 3600_000),
      },
    });
    // The next panel's start-up (instrumentation.ts) runs the recovery before it records anything.
    await recoverAfterRestart(w.db);
    // Before recovery the container looks busy to nobody else: the new operation is on another container.
    const op = await as(w, "admin").containers.start({ containerId: w.a.customers[0]!.container.id });
    const s = await w.db.operation.findUniqueOrThrow({ where: { id: stale.id } });
    expect(s.status).toBe("failed");
    expect(s.error).toMatch(/stopped before it finished/);
    expect(s.finishedAt).toBeInstanceOf(Date);
    await waitForAllOperations();
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: op.id } })).status).toBe("succeeded");
    ops.a1 = op.id;
    // The container is usable again.
    const again = await as(w, "direct").containers.start({ containerId: w.directContainer.id });
    ops.direct = again.id;
    await waitForAllOperations();
  });

  it("operations.list is scoped to the caller's tenants, newest first, filterable by container", async () => {
    for (const [k, c] of [
      ["a2", w.a.customers[1]!.container],
      ["b1", w.b.customers[0]!.container],
    ] as const) {
      ops[k] = (await as(w, "admin").containers.start({ containerId: c.id })).id;
      await waitForAllOperations();
    }
    const all = await as(w, "admin").operations.list();
    expect(all.map((o) => o.id)).toEqual(expect.arrayContaining([ops.a1, ops.a2, ops.b1, ops.direct]));
    expect(all.length).toBe(await w.db.operation.count());
    const times = all.map((o) => o.createdAt.getTime());
    expect(times).toEqual([...times].sort((x, y) => y - x));

    const ra = await as(w, "resellerA").operations.list();
    const visible = await visibleTo(w.a.tenant.id);
    expect(ra.map((o) => o.id).sort()).toEqual([ops.a1, ops.a2].sort());
    for (const o of ra) expect(visible.has(o.tenantId)).toBe(true);
    expect(ra.find((o) => o.id === ops.a1)!.container).toEqual({
      id: w.a.customers[0]!.container.id,
      ctid: 101,
      hostname: "web-a1.test",
    });

    expect((await as(w, "customerA1").operations.list()).map((o) => o.id)).toEqual([ops.a1]);
    expect((await as(w, "customerB1").operations.list()).map((o) => o.id)).toEqual([ops.b1]);
    // Filtering by a foreign container never reveals it.
    expect(await as(w, "resellerA").operations.list({ containerId: w.b.customers[0]!.container.id })).toEqual([]);
    expect(
      (await as(w, "admin").operations.list({ containerId: w.b.customers[0]!.container.id })).map((o) => o.id),
    ).toEqual([ops.b1]);
    expect(await as(w, "admin").operations.list({ take: 1 })).toHaveLength(1);
    await expectCode(caller(w.db, null).operations.list(), "UNAUTHORIZED");
  });

  it("operations.get returns the log incrementally; foreign operations are NOT_FOUND", async () => {
    const g = await as(w, "customerA1").operations.get({ operationId: ops.a1! });
    expect(g).toMatchObject({
      id: ops.a1,
      type: "start",
      status: "succeeded",
      progress: 100,
      tenantId: w.a.customers[0]!.tenant.id,
      actor: "admin@test.example",
      userId: w.admin.id,
    });
    expect(g.lines.length).toBeGreaterThanOrEqual(2);
    expect(g.lines.map((l) => l.line)).toEqual(
      expect.arrayContaining(["fake engine: container.start done", "container 101 started"]),
    );
    const ids = g.lines.map((l) => l.id);
    expect(ids).toEqual([...ids].sort((x, y) => x - y));
    const rest = await as(w, "customerA1").operations.get({ operationId: ops.a1!, afterLine: ids[0]! });
    expect(rest.lines.map((l) => l.id)).toEqual(ids.slice(1));
    expect((await as(w, "customerA1").operations.get({ operationId: ops.a1!, afterLine: ids.at(-1)! })).lines).toEqual(
      [],
    );

    await expectCode(as(w, "customerA1").operations.get({ operationId: ops.a2! }), "NOT_FOUND");
    await expectCode(as(w, "resellerB").operations.get({ operationId: ops.a1! }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").operations.get({ operationId: ops.direct! }), "NOT_FOUND");
    await expectCode(as(w, "admin").operations.get({ operationId: "nope" }), "NOT_FOUND");
    expect((await as(w, "resellerA").operations.get({ operationId: ops.a2! })).id).toBe(ops.a2);
  });

  it("a running operation shows its progress while it runs", async () => {
    const hold = holdEngine("container.stop");
    try {
      const op = await as(w, "customerA1").containers.stop({ containerId: w.a.customers[0]!.container.id });
      const mid = await as(w, "customerA1").operations.get({ operationId: op.id });
      expect(mid.status).toBe("running");
      expect(mid.finishedAt).toBeNull();
      expect(mid.startedAt).toBeInstanceOf(Date);
      hold.release();
      await waitForAllOperations();
      const end = await as(w, "customerA1").operations.get({ operationId: op.id });
      expect(end).toMatchObject({ status: "succeeded", progress: 100 });
    } finally {
      hold.restore();
    }
  });

  it("changes are audited with actor, user, tenant, address and user agent", async () => {
    const ctx = { ip: "203.0.113.7", userAgent: "integration-test/1.0" };
    const target = w.b.customers[1]!.tenant;
    await caller(w.db, w.actors.resellerB, ctx).tenants.update({ tenantId: target.id, name: "Audited b2" });
    const row = await w.db.auditLog.findFirstOrThrow({
      where: { action: "tenant.update", tenantId: target.id },
      orderBy: { id: "desc" },
    });
    expect(row).toMatchObject({
      actor: "reseller-b@test.example",
      userId: w.b.user.id,
      ip: "203.0.113.7",
      userAgent: "integration-test/1.0",
      target: "customer Audited b2",
    });
    expect(JSON.parse(row.details)).toMatchObject({ name: "Audited b2" });
    expect(Date.now() - row.at.getTime()).toBeLessThan(60_000);

    // An API token is named as such.
    const tokenActor = {
      ...w.actors.resellerB,
      via: "token" as const,
      tokenId: "t1",
      label: "token:billing (reseller-b@test.example)",
    };
    await caller(w.db, tokenActor, { ip: "198.51.100.1" }).users.setDisabled({
      userId: w.b.customers[1]!.user.id,
      disabled: false,
    });
    const byToken = await w.db.auditLog.findFirstOrThrow({ where: { action: "user.enable" }, orderBy: { id: "desc" } });
    expect(byToken).toMatchObject({
      actor: "token:billing (reseller-b@test.example)",
      userId: w.b.user.id,
      ip: "198.51.100.1",
      tenantId: target.id,
    });

    // Queries are not audited.
    const n = await w.db.auditLog.count();
    await as(w, "resellerB").tenants.list();
    await as(w, "resellerB").containers.list();
    await as(w, "resellerB").audit.list();
    expect(await w.db.auditLog.count()).toBe(n);
  });

  it("audit.list: admin sees everything, a reseller only its own tenants' entries, customers nothing", async () => {
    await as(w, "admin").nodes.createNetwork({ nodeId: w.node.id, name: "audit-net", bridge: "br-audit" }); // tenantId null
    await as(w, "resellerA").plans.update({ planId: w.a.plan.id, bandwidthMbps: 10 });
    const all = await as(w, "admin").audit.list({ take: 500 });
    expect(all.length).toBe(await w.db.auditLog.count());
    expect(all.some((r) => r.tenantId === null && r.action === "network.create")).toBe(true);
    expect(all.some((r) => r.tenantId === w.b.customers[1]!.tenant.id)).toBe(true);
    const ids = all.map((r) => r.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));

    const ra = await as(w, "resellerA").audit.list({ take: 500 });
    const visible = await visibleTo(w.a.tenant.id);
    expect(ra.length).toBeGreaterThan(0);
    for (const r of ra) expect(r.tenantId !== null && visible.has(r.tenantId), `${r.action} ${r.tenantId}`).toBe(true);
    expect(ra.map((r) => r.id).sort()).toEqual(
      all
        .filter((r) => r.tenantId !== null && visible.has(r.tenantId))
        .map((r) => r.id)
        .sort(),
    );
    expect(ra.some((r) => r.action === "plan.update")).toBe(true);

    const rb = await as(w, "resellerB").audit.list();
    expect(rb.some((r) => r.action === "tenant.update")).toBe(true);
    expect(rb.some((r) => r.action === "plan.update")).toBe(false);

    await expectCode(as(w, "customerA1").audit.list(), "FORBIDDEN");
    await expectCode(caller(w.db, null).audit.list(), "UNAUTHORIZED");
  });

  it("audit.list filters by action prefix and pages with beforeId", async () => {
    const starts = await as(w, "admin").audit.list({ action: "container.st" });
    expect(starts.length).toBeGreaterThanOrEqual(5);
    expect(new Set(starts.map((r) => r.action))).toEqual(new Set(["container.start", "container.stop"]));
    const page1 = await as(w, "admin").audit.list({ take: 2 });
    expect(page1).toHaveLength(2);
    const page2 = await as(w, "admin").audit.list({ take: 2, beforeId: page1[1]!.id });
    expect(page2).toHaveLength(2);
    expect(page2[0]!.id).toBeLessThan(page1[1]!.id);
    const all = await as(w, "admin").audit.list({ take: 4 });
    expect(all.map((r) => r.id)).toEqual([...page1, ...page2].map((r) => r.id));
  });
});
