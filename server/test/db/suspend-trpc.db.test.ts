/**
 * Suspension from the panel (tRPC containers.suspend/unsuspend, tenants.suspend/unsuspend) against the fake
 * engine: the same scoping as the billing API (a reseller reaches only its own customers, a customer never
 * suspends), a reason is required, the services of suspension.ts do the work (stopped, start refused with the
 * reason), unsuspend restores what was, and every change is audited.
 */
import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const engineState = async (ctid: number) => (await fakeEngine().call("container.status", { ctid })).state;

describe.each(PROVIDERS)("suspension from the panel (tRPC) on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("refuses customers, and a reseller on another reseller's customer (NOT_FOUND, as the REST API)", async () => {
    const mine = w.a.customers[0]!.container;
    const theirs = w.b.customers[0]!.container;
    const customer = as(w, "customerA1");
    await expectCode(customer.containers.suspend({ containerId: mine.id, reason: "x" }), "FORBIDDEN");
    await expectCode(customer.containers.unsuspend({ containerId: mine.id }), "FORBIDDEN");
    await expectCode(customer.tenants.suspend({ tenantId: w.a.customers[0]!.tenant.id, reason: "x" }), "FORBIDDEN");
    const resellerA = as(w, "resellerA");
    await expectCode(resellerA.containers.suspend({ containerId: theirs.id, reason: "x" }), "NOT_FOUND");
    await expectCode(resellerA.tenants.suspend({ tenantId: w.b.customers[0]!.tenant.id, reason: "x" }), "NOT_FOUND");
    // its own tenant and another reseller are not customers of it
    await expectCode(resellerA.tenants.suspend({ tenantId: w.a.tenant.id, reason: "x" }), "NOT_FOUND");
    await expectCode(as(w, "admin").tenants.suspend({ tenantId: w.a.tenant.id, reason: "x" }), "NOT_FOUND");
    await waitForAllOperations();
    const rows = await w.db.container.findMany({ where: { id: { in: [mine.id, theirs.id] } } });
    expect(rows.map((r) => r.suspendedAt)).toEqual([null, null]);
    const tenants = await w.db.tenant.findMany({ where: { suspendedAt: { not: null } } });
    expect(tenants).toEqual([]);
  });

  it("requires a reason (a blank one is a field error)", async () => {
    const c = w.a.customers[0]!.container;
    const e = await expectCode(
      as(w, "resellerA").containers.suspend({ containerId: c.id, reason: "   " }),
      "BAD_REQUEST",
    );
    expect(JSON.stringify(e.cause)).toMatch(/reason/);
    await expectCode(
      as(w, "resellerA").tenants.suspend({ tenantId: w.a.customers[0]!.tenant.id, reason: "" }),
      "BAD_REQUEST",
    );
    expect((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).suspendedAt).toBeNull();
  });

  it("a reseller suspends its customer's running container (stopped, start refused), unsuspend restores", async () => {
    const c = w.a.customers[1]!.container;
    const reseller = as(w, "resellerA");
    const owner = as(w, "customerA2");
    const started = await owner.containers.start({ containerId: c.id });
    await waitForAllOperations();
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: started.id } })).status).toBe("succeeded");
    expect(await engineState(c.ctid)).toBe("running");

    const op = await reseller.containers.suspend({ containerId: c.id, reason: "Invoice 2002 is overdue" });
    expect(op).toMatchObject({ type: "stop", containerId: c.id });
    await waitForAllOperations();
    expect(await engineState(c.ctid)).toBe("stopped");
    const got = await owner.containers.get({ containerId: c.id });
    expect(got.state).toBe("stopped");
    expect(got.suspension?.reason).toBe("Invoice 2002 is overdue");
    const refused = await expectCode(owner.containers.start({ containerId: c.id }), "CONFLICT");
    expect(refused.message).toMatch(/Invoice 2002 is overdue/);
    // suspending again changes only the reason: no operation
    expect(await reseller.containers.suspend({ containerId: c.id, reason: "Invoice 2003 too" })).toBeNull();
    expect((await owner.containers.get({ containerId: c.id })).suspension?.reason).toBe("Invoice 2003 too");

    const up = await reseller.containers.unsuspend({ containerId: c.id });
    expect(up).toMatchObject({ type: "start", containerId: c.id });
    await waitForAllOperations();
    expect(await engineState(c.ctid)).toBe("running");
    const after = await owner.containers.get({ containerId: c.id });
    expect([after.state, after.suspension]).toEqual(["running", null]);
    // unsuspending a container that is not suspended does nothing
    expect(await reseller.containers.unsuspend({ containerId: c.id })).toBeNull();

    const log = await w.db.auditLog.findMany({
      where: { action: { in: ["container.suspend", "container.unsuspend"] }, tenantId: c.tenantId },
      orderBy: { at: "asc" },
    });
    expect(log.map((l) => [l.action, l.actor])).toEqual([
      ["container.suspend", "reseller-a@test.example"],
      ["container.suspend", "reseller-a@test.example"],
      ["container.unsuspend", "reseller-a@test.example"],
    ]);
    const reasons = log.map((l) => (JSON.parse(l.details) as { reason?: string }).reason);
    expect(reasons.slice(0, 2).sort()).toEqual(["Invoice 2002 is overdue", "Invoice 2003 too"]);
    await owner.containers.stop({ containerId: c.id });
    await waitForAllOperations();
  });

  it("the admin suspends a whole customer; the list shows it; unsuspend lifts it", async () => {
    const cust = w.b.customers[1]!;
    const admin = as(w, "admin");
    const r = await admin.tenants.suspend({ tenantId: cust.tenant.id, reason: "account overdue" });
    expect(r.failed).toEqual([]);
    expect(r.operations.map((o) => o.containerId)).toEqual([cust.container.id]);
    await waitForAllOperations();
    const row = await w.db.container.findUniqueOrThrow({ where: { id: cust.container.id } });
    expect([row.suspendReason, row.suspendedBy]).toEqual(["account overdue", "tenant"]);
    const listed = (await as(w, "resellerB").tenants.list()).find((t) => t.id === cust.tenant.id);
    expect(listed?.suspension?.reason).toBe("account overdue");
    // the container cannot be unsuspended on its own while its customer is suspended
    await expectCode(admin.containers.unsuspend({ containerId: cust.container.id }), "CONFLICT");

    const u = await as(w, "resellerB").tenants.unsuspend({ tenantId: cust.tenant.id });
    expect(u.failed).toEqual([]);
    await waitForAllOperations();
    expect((await w.db.container.findUniqueOrThrow({ where: { id: cust.container.id } })).suspendedAt).toBeNull();
    expect((await w.db.tenant.findUniqueOrThrow({ where: { id: cust.tenant.id } })).suspendedAt).toBeNull();
    const actions = await w.db.auditLog.findMany({
      where: { action: { in: ["tenant.suspend", "tenant.unsuspend"] }, tenantId: cust.tenant.id },
      orderBy: { at: "asc" },
    });
    expect(actions.map((a) => [a.action, a.actor])).toEqual([
      ["tenant.suspend", "admin@test.example"],
      ["tenant.unsuspend", "reseller-b@test.example"],
    ]);
  });
});
