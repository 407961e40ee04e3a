/**
 * The operations and audit tables (sorted, searched, paged, scoped), the admin's bulk start/stop, and the tenant
 * page with deleting a tenant (refused while it has containers or customers, with the reason; audited).
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const KINDS = ["start", "stop", "restart", "backup"];
const STATUSES = ["succeeded", "failed"];

describe.each(PROVIDERS)("operations and audit tables, bulk actions, tenant delete on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  beforeAll(async () => {
    const cts = [w.a.customers[0]!, w.a.customers[1]!, w.b.customers[0]!].map((c) => c.container);
    // each row's tenant's parent, as startOperation and audit() write it
    const parents = [w.a.tenant.id, w.a.tenant.id, w.b.tenant.id];
    const t0 = Date.parse("2026-03-01T00:00:00Z");
    await w.db.operation.createMany({
      data: Array.from({ length: 90 }, (_, i) => ({
        type: KINDS[i % KINDS.length]!,
        status: STATUSES[i % 2]!,
        tenantId: cts[i % 3]!.tenantId,
        parentTenantId: parents[i % 3]!,
        containerId: cts[i % 3]!.id,
        actor: "seed",
        createdAt: new Date(t0 + ((i * 7) % 90) * 60_000),
      })),
    });
    await w.db.auditLog.createMany({
      data: Array.from({ length: 120 }, (_, i) => ({
        actor: `user${i % 5}@test.example`,
        action: ["container.start", "plan.update", "tenant.create"][i % 3]!,
        target: `t${i}`,
        tenantId: cts[i % 3]!.tenantId,
        parentTenantId: parents[i % 3]!,
        at: new Date(t0 + i * 1000),
      })),
    });
  });

  it("operations: pages by kind are disjoint, complete and ordered; scoped for a customer and a reseller", async () => {
    const admin = as(w, "admin");
    const seen: { id: string; type: string }[] = [];
    let total = -1;
    for (let page = 1; page < 100; page++) {
      const r = await admin.operations.table({ sort: "kind", dir: "asc", page, pageSize: 7 });
      total = r.total;
      seen.push(...r.rows);
      if (r.rows.length < 7) break;
    }
    expect(total).toBe(await w.db.operation.count());
    expect(new Set(seen.map((o) => o.id)).size).toBe(total);
    const types = seen.map((o) => o.type);
    expect(types).toEqual([...types].sort());
    const byStatus = await admin.operations.table({ sort: "status", dir: "desc", pageSize: 100 });
    expect(byStatus.rows.map((o) => o.status)).toEqual(
      byStatus.rows
        .map((o) => o.status)
        .sort()
        .reverse(),
    );
    const c1 = await as(w, "customerA1").operations.table({ pageSize: 100 });
    expect(c1.total).toBe(30);
    expect(c1.rows.every((o) => o.tenantId === w.a.customers[0]!.tenant.id)).toBe(true);
    // newest first by default
    const times = c1.rows.map((o) => o.createdAt.getTime());
    expect(times).toEqual([...times].sort((x, y) => y - x));
    // search by the container's hostname, kind or status: never another tenant's
    expect((await as(w, "resellerA").operations.table({ q: "web-b1" })).total).toBe(0);
    expect((await admin.operations.table({ q: "web-b1" })).total).toBe(30);
    const rs = await as(w, "resellerA").operations.table({ q: "backup", pageSize: 100 });
    expect(rs.total).toBeGreaterThan(0);
    expect(rs.rows.every((o) => o.type === "backup" && o.container!.hostname.startsWith("web-a"))).toBe(true);
  });

  it("audit: sorted by actor or time, searched by action or actor, scoped for a reseller", async () => {
    const admin = as(w, "admin");
    const byActor = await admin.audit.table({ sort: "actor", dir: "asc", pageSize: 100 });
    const actors = byActor.rows.map((a) => a.actor);
    expect(actors).toEqual([...actors].sort());
    const p1 = await admin.audit.table({ pageSize: 50 });
    const p2 = await admin.audit.table({ pageSize: 50, page: 2 });
    const ids = [...p1.rows, ...p2.rows].map((a) => a.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    expect(new Set(ids).size).toBe(100);
    const plans = await admin.audit.table({ q: "PLAN.UPD", pageSize: 100 });
    expect(plans.total).toBe(40);
    expect(plans.rows.every((a) => a.action === "plan.update")).toBe(true);
    expect((await admin.audit.table({ q: "user3@" })).total).toBe(24);
    const ra = await as(w, "resellerA").audit.table({ q: "user", pageSize: 100 });
    expect(ra.total).toBe(80);
    const mine = new Set(w.a.customers.map((c) => c.tenant.id));
    expect(ra.rows.every((a) => mine.has(a.tenantId!))).toBe(true);
    await expectCode(as(w, "customerA1").audit.table({}), "FORBIDDEN");
  });

  it("bulk start/stop: one operation per container, refusals per container in sentences", async () => {
    const [a1, a2] = w.a.customers.map((c) => c.container);
    await w.db.container.update({ where: { id: a2!.id }, data: { state: "running" } });
    const r = await as(w, "admin").containers.bulkAction({ containerIds: [a1!.id, a2!.id, "nope"], action: "start" });
    await waitForAllOperations();
    expect(r).toMatchObject({ action: "start", started: 1, refused: 2 });
    expect(r.results[0]).toMatchObject({ containerId: a1!.id, error: null });
    expect(r.results[1]!.error).toMatch(/already running/);
    expect(r.results[2]!.error).toMatch(/No such container/);
    const op = await w.db.operation.findUniqueOrThrow({ where: { id: r.results[0]!.operationId! } });
    expect(op).toMatchObject({ type: "start", containerId: a1!.id, status: "succeeded" });
    expect((await w.db.container.findUniqueOrThrow({ where: { id: a1!.id } })).state).toBe("running");
    await expectCode(as(w, "resellerA").containers.bulkAction({ containerIds: [a1!.id], action: "stop" }), "FORBIDDEN");
  });

  it("tenant page: users, containers by state and plan, a reseller's allocation use", async () => {
    const t = await as(w, "resellerA").tenants.get({ tenantId: w.a.customers[0]!.tenant.id });
    expect(t.users.map((u) => u.email)).toEqual(["customer-a1@test.example"]);
    expect(t.containers).toBe(1);
    expect(t.planUsage).toEqual([{ planId: w.a.plan.id, name: "small-a", containers: 1 }]);
    expect(t.parent).toEqual({ id: w.a.tenant.id, name: "Reseller A" });
    const r = await as(w, "admin").tenants.get({ tenantId: w.a.tenant.id });
    expect(r.children).toBe(2);
    expect(r.allocation?.used.containers).toBe(2);
  });

  it("delete: refused with the reason while it has containers or customers; an empty one goes, audited", async () => {
    const a1 = w.a.customers[0]!.tenant.id;
    await expect(as(w, "resellerA").tenants.delete({ tenantId: a1 })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/still has 1 container; destroy or move them first/),
    });
    await expect(as(w, "admin").tenants.delete({ tenantId: w.b.tenant.id })).rejects.toMatchObject({
      code: "CONFLICT",
      message: expect.stringMatching(/still has 2 customers/),
    });
    await expectCode(as(w, "admin").tenants.delete({ tenantId: w.platform.id }), "CONFLICT");
    await expectCode(as(w, "resellerA").tenants.delete({ tenantId: w.a.tenant.id }), "CONFLICT");
    // an empty customer of reseller A, with a user
    const gone = await w.db.tenant.create({
      data: { name: "Gone soon", kind: "customer", parentId: w.a.tenant.id },
    });
    await w.db.user.create({
      data: { email: "gone@test.example", name: "g", role: "customer", tenantId: gone.id, passwordHash: "x" },
    });
    await expectCode(as(w, "resellerB").tenants.delete({ tenantId: gone.id }), "NOT_FOUND");
    await expectCode(as(w, "customerA1").tenants.delete({ tenantId: gone.id }), "FORBIDDEN");
    expect(await as(w, "resellerA").tenants.delete({ tenantId: gone.id })).toMatchObject({ users: 1 });
    expect(await w.db.tenant.findUnique({ where: { id: gone.id } })).toBeNull();
    expect(await w.db.user.count({ where: { email: "gone@test.example" } })).toBe(0);
    const log = await as(w, "resellerA").audit.table({ q: "tenant.delete" });
    expect(log.rows.map((a) => a.target)).toEqual(["customer Gone soon"]);
  });
});
