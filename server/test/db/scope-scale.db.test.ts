/**
 * A reseller with 1,200 customers: every list and table scoped to "the reseller and its customers" answers on both
 * databases (SQLite takes at most 999 bound parameters per query, so a scope passed as a list of tenant ids breaks
 * once a reseller has that many customers), and shows exactly the reseller's rows.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { as, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const N = 1200;

describe.each(PROVIDERS)("a reseller with 1,200 customers on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  beforeAll(async () => {
    const { db } = w;
    await db.tenant.createMany({
      data: Array.from({ length: N }, (_, i) => ({
        id: `scale-t${i}`,
        name: `scale customer ${i}`,
        kind: "customer",
        parentId: w.a.tenant.id,
      })),
    });
    await db.operation.createMany({
      data: Array.from({ length: N }, (_, i) => ({
        type: "start",
        status: "succeeded",
        tenantId: `scale-t${i}`,
        parentTenantId: w.a.tenant.id,
        actor: "scale",
      })),
    });
    await db.auditLog.createMany({
      data: Array.from({ length: N }, (_, i) => ({
        actor: "scale",
        tenantId: `scale-t${i}`,
        parentTenantId: w.a.tenant.id,
        action: "scale.test",
        target: `t${i}`,
        details: "{}",
      })),
    });
  }, 120_000);

  it("an operation and an audit entry about a customer carry the customer's parent", async () => {
    const c = w.a.customers[0]!.container;
    const op = await as(w, "resellerA").containers.start({ containerId: c.id });
    await waitForAllOperations();
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: op.id } })).parentTenantId).toBe(w.a.tenant.id);
    const e = await w.db.auditLog.findFirstOrThrow({ where: { tenantId: c.tenantId }, orderBy: { id: "desc" } });
    expect(e.parentTenantId).toBe(w.a.tenant.id);
    // the platform's direct customer: its parent is the platform
    await as(w, "admin").containers.stop({ containerId: c.id });
    await waitForAllOperations();
    const d = await as(w, "admin").containers.start({ containerId: w.directContainer.id });
    await waitForAllOperations();
    const row = await w.db.operation.findUniqueOrThrow({ where: { id: d.id } });
    expect(row.parentTenantId).toBe(w.direct.parentId);
    expect(row.parentTenantId).not.toBeNull();
    await as(w, "admin").containers.stop({ containerId: w.directContainer.id });
    await waitForAllOperations();
  });

  it("operations, audit, tenants, users, containers, traffic and usage lists answer", async () => {
    const r = as(w, "resellerA");
    // exactly the operations of the reseller's tree (counted here from all rows, in memory)
    const mine = new Set([
      w.a.tenant.id,
      ...(await w.db.tenant.findMany({ where: { parentId: w.a.tenant.id } })).map((t) => t.id),
    ]);
    const expected = (await w.db.operation.findMany({ select: { tenantId: true } })).filter((o) =>
      mine.has(o.tenantId),
    );
    const ops = await r.operations.table({ page: 1, pageSize: 25 });
    expect(ops.total).toBe(expected.length);
    expect(ops.total).toBeGreaterThanOrEqual(N);
    const audit = await r.audit.table({ page: 1, pageSize: 25, q: "scale.test" });
    expect(audit.total).toBe(N);
    expect((await r.audit.list({})).length).toBeGreaterThan(0);
    expect((await r.operations.list({})).length).toBeGreaterThan(0);
    const tenants = await r.tenants.list();
    expect(tenants.filter((t) => t.name.startsWith("scale customer"))).toHaveLength(N);
    const users = await r.users.list();
    expect(users.every((u) => mine.has(u.tenant.id))).toBe(true);
    const cs = await r.containers.list({});
    expect(cs.length).toBeGreaterThan(0);
    expect(cs.every((c) => mine.has(c.tenant.id))).toBe(true);
    await r.traffic.tenant({});
    await r.usage.tenants({});
    await r.backupPolicies.list();
    // another reseller sees none of them
    const b = as(w, "resellerB");
    expect((await b.audit.table({ page: 1, pageSize: 25, q: "scale.test" })).total).toBe(0);
  });
});
