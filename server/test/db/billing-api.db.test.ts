/**
 * The billing API (v1) against the fake engine: tokens scope every call by tenant and role, creates are
 * idempotent by key, suspension stops the container and refuses its start with the reason until unsuspend
 * restores it, a customer's suspension covers its containers, single sign-on links work once, plan changes
 * reach the engine, termination leaves nothing.
 */
import { describe, expect, it } from "vitest";
import { readCookie, SESSION_COOKIE, validateSession } from "../../auth/session.js";
import { ssoLogin } from "../../http/sso.js";
import { apiAs, apiWith } from "../helpers/api.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("billing API v1 on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("answers 401 without an API token (a session cookie is not enough) and 404/405 for unknown routes", async () => {
    const anon = await apiWith(w.db, null)("GET", "/containers");
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe("UNAUTHORIZED");
    expect(anon.body.error.message).toMatch(/API token/);
    const bad = await apiWith(w.db, "ovz_notatoken_x")("GET", "/containers");
    expect(bad.status).toBe(401);
    const api = await apiAs(w, "admin");
    expect((await api("GET", "/nothing-here")).status).toBe(404);
    const m = await api("PATCH", "/containers");
    expect([m.status, m.body.error.code]).toEqual([405, "METHOD_NOT_ALLOWED"]);
  });

  it("a customer token sees and touches only its own tenant's containers", async () => {
    const api = await apiAs(w, "customerA1");
    const mine = w.a.customers[0]!.container;
    const theirs = w.b.customers[0]!.container;
    const list = await api("GET", "/containers");
    expect(list.status).toBe(200);
    expect(list.body.containers.map((c: { id: string }) => c.id)).toEqual([mine.id]);
    for (const [method, path, body] of [
      ["GET", `/containers/${theirs.id}`, undefined],
      ["POST", `/containers/${theirs.id}/reset-password`, {}],
      ["GET", `/containers/${theirs.id}/usage`, undefined],
      ["GET", `/containers/${w.a.customers[1]!.container.id}/traffic`, undefined],
    ] as const) {
      const r = await api(method, path, body);
      expect([r.status, r.body.error.code], path).toEqual([404, "NOT_FOUND"]);
    }
    // sellers' routes are refused by role, before anything is looked up
    for (const [method, path, body] of [
      ["POST", `/containers/${mine.id}/suspend`, { reason: "x" }],
      ["DELETE", `/containers/${mine.id}`, undefined],
      ["POST", "/customers", { name: "Evil", email: "evil@test.example" }],
      ["GET", "/customers", undefined],
    ] as const) {
      const r = await api(method, path, body);
      expect([r.status, r.body.error.code], path).toEqual([403, "FORBIDDEN"]);
    }
    const own = await api("POST", `/containers/${mine.id}/reset-password`, {});
    expect(own.status).toBe(200);
    expect(own.body.password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(fakeEngine().passwords.get(`${mine.ctid}:root`)).toBe(own.body.password);
    expect(
      await w.db.auditLog.count({ where: { action: "container.resetPassword", target: { contains: `${mine.ctid}` } } }),
    ).toBe(1);
  });

  it("a reseller token reaches only its own customers and their containers", async () => {
    const api = await apiAs(w, "resellerA");
    const cs = await api("GET", "/customers");
    expect(cs.body.customers.map((c: { id: string }) => c.id).sort()).toEqual(
      w.a.customers.map((c) => c.tenant.id).sort(),
    );
    const bCustomer = w.b.customers[0]!.tenant.id;
    expect((await api("GET", `/customers/${bCustomer}`)).status).toBe(404);
    expect((await api("POST", `/customers/${bCustomer}/suspend`, { reason: "x" })).status).toBe(404);
    expect((await api("POST", `/customers/${bCustomer}/sso`, {})).status).toBe(404);
    const theirs = w.b.customers[0]!.container.id;
    expect((await api("POST", `/containers/${theirs}/suspend`, { reason: "x" })).status).toBe(404);
    expect((await api("POST", `/containers/${theirs}/plan`, { planId: w.a.plan.id })).status).toBe(404);
    expect((await api("DELETE", `/containers/${theirs}`)).status).toBe(404);
    const create = await api("POST", "/containers", {
      customerId: bCustomer,
      planId: w.a.plan.id,
      hostname: "sneaky.test",
      template: "busybox",
    });
    expect([create.status, create.body.error.code]).toEqual([404, "NOT_FOUND"]);
    // its own customer: made under the reseller
    const made = await api("POST", "/customers", { name: "Shop", email: "shop@test.example", externalId: "client-7" });
    expect(made.status).toBe(201);
    expect(made.body.customer).toMatchObject({ resellerId: w.a.tenant.id, externalId: "client-7", suspension: null });
    expect((await api("GET", "/customers?externalId=client-7")).body.customers).toHaveLength(1);
    expect((await (await apiAs(w, "resellerB"))("GET", "/customers?externalId=client-7")).body.customers).toEqual([]);
    const bad = await api("POST", "/customers", { name: "", email: "nope" });
    expect([bad.status, bad.body.error.code]).toEqual([400, "BAD_REQUEST"]);
    expect(Object.keys(bad.body.error.fields).sort()).toEqual(["email", "name"]);
  });

  it("creates are idempotent by Idempotency-Key: same body → the same answer, another body → 409", async () => {
    const api = await apiAs(w, "resellerA");
    const body = { name: "Idem", email: "idem@test.example", externalId: "idem-1" };
    const key = { "idempotency-key": "cust-idem-1" };
    const first = await api("POST", "/customers", body, key);
    expect(first.status).toBe(201);
    // the same body in another key order is the same request
    const again = await api(
      "POST",
      "/customers",
      { externalId: "idem-1", email: "idem@test.example", name: "Idem" },
      key,
    );
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([201, "true"]);
    expect(again.body).toEqual(first.body);
    expect(await w.db.user.count({ where: { email: "idem@test.example" } })).toBe(1);
    const other = await api("POST", "/customers", { ...body, name: "Other" }, key);
    expect([other.status, other.body.error.code]).toEqual([409, "CONFLICT"]);
    expect(other.body.error.message).toMatch(/different request/);

    const ct = {
      customerId: first.body.customer.id,
      planId: w.a.plan.id,
      hostname: "idem.test",
      template: "busybox",
      externalId: "svc-42",
    };
    const k2 = { "idempotency-key": "ct-idem-1" };
    const c1 = await api("POST", "/containers", ct, k2);
    expect(c1.status).toBe(202);
    // the fake engine may already be done when the answer is made
    expect(["creating", "stopped"]).toContain(c1.body.container.state);
    expect(c1.body.container).toMatchObject({ externalId: "svc-42", customerId: ct.customerId });
    await waitForAllOperations();
    const c2 = await api("POST", "/containers", ct, k2);
    expect(c2.status).toBe(202);
    expect(c2.body).toEqual(c1.body);
    expect(await w.db.container.count({ where: { hostname: "idem.test" } })).toBe(1);
    expect((await api("POST", "/containers", { ...ct, hostname: "idem2.test" }, k2)).status).toBe(409);
    // found by its external id, with the state the operation left
    const found = await api("GET", "/containers?externalId=svc-42");
    expect(found.body.containers).toMatchObject([{ id: c1.body.container.id, state: "stopped" }]);
    const op = await api("GET", `/operations/${c1.body.operationId}`);
    expect(op.body.operation).toMatchObject({ type: "create", status: "succeeded" });
    // another caller's key space is its own; a route that creates nothing takes no key
    const b = await apiAs(w, "resellerB");
    expect((await b("POST", `/containers/${c1.body.container.id}/suspend`, { reason: "x" }, k2)).status).toBe(400);
  });

  it("suspend stops the container and refuses its start with the reason; unsuspend starts it again", async () => {
    const c = w.a.customers[0]!.container;
    const owner = as(w, "customerA1");
    await owner.containers.start({ containerId: c.id });
    await waitForAllOperations();
    // started at the node's boot: not while it is suspended
    await w.db.container.update({ where: { id: c.id }, data: { onboot: true } });
    await fakeEngine().call("container.set", { ctid: c.ctid, onboot: true });
    const api = await apiAs(w, "resellerA");
    const s = await api("POST", `/containers/${c.id}/suspend`, { reason: "Invoice #1001 is overdue" });
    expect(s.status).toBe(202);
    expect(s.body.container.suspension).toMatchObject({ reason: "Invoice #1001 is overdue" });
    await waitForAllOperations();
    expect(await fakeEngine().call("container.status", { ctid: c.ctid })).toMatchObject({
      state: "stopped",
      onboot: false,
    });
    for (const f of [
      () => owner.containers.start({ containerId: c.id }),
      () => owner.containers.restart({ containerId: c.id }),
    ]) {
      const e = await expectCode(f, "CONFLICT");
      expect(e.message).toContain("Invoice #1001 is overdue");
      expect(e.message).toMatch(/suspended by your provider/);
    }
    expect((await fakeEngine().call("container.status", { ctid: c.ctid })).state).toBe("stopped");
    // the owner sees why: on the container page and after login
    expect((await owner.containers.get({ containerId: c.id })).suspension).toMatchObject({
      reason: "Invoice #1001 is overdue",
    });
    expect((await owner.auth.me()).suspensions.containers).toMatchObject([
      { id: c.id, reason: "Invoice #1001 is overdue" },
    ]);
    expect(await w.db.container.count({ where: { id: c.id } })).toBe(1);

    const u = await api("POST", `/containers/${c.id}/unsuspend`, {});
    expect([u.status, u.body.container.suspension]).toEqual([202, null]);
    await waitForAllOperations();
    expect(await fakeEngine().call("container.status", { ctid: c.ctid })).toMatchObject({
      state: "running",
      onboot: true,
    });
    expect((await owner.auth.me()).suspensions.containers).toEqual([]);
    const actions = await w.db.auditLog.findMany({
      where: { action: { in: ["container.suspend", "container.unsuspend"] }, tenantId: c.tenantId },
      orderBy: { id: "asc" },
    });
    expect(actions.map((a) => a.action)).toEqual(["container.suspend", "container.unsuspend"]);
    await owner.containers.stop({ containerId: c.id });
    await waitForAllOperations();
  });

  it("the admin's freeze mode freezes instead of stopping; unsuspend thaws", async () => {
    const admin = await apiAs(w, "admin");
    expect((await (await apiAs(w, "resellerA"))("PUT", "/settings/suspension", { mode: "freeze" })).status).toBe(403);
    expect((await admin("PUT", "/settings/suspension", { mode: "freeze" })).body).toEqual({ mode: "freeze" });
    const c = w.directContainer;
    await as(w, "direct").containers.start({ containerId: c.id });
    await waitForAllOperations();
    expect((await admin("POST", `/containers/${c.id}/suspend`, { reason: "abuse report" })).status).toBe(202);
    await waitForAllOperations();
    expect((await fakeEngine().call("container.status", { ctid: c.ctid })).state).toBe("suspended");
    await expectCode(() => as(w, "direct").containers.start({ containerId: c.id }), "CONFLICT");
    await admin("POST", `/containers/${c.id}/unsuspend`, {});
    await waitForAllOperations();
    expect((await fakeEngine().call("container.status", { ctid: c.ctid })).state).toBe("running");
    await admin("PUT", "/settings/suspension", { mode: "stop" });
    await as(w, "direct").containers.stop({ containerId: c.id });
    await waitForAllOperations();
  });

  it("a suspended customer's containers all suspend; its unsuspend lifts only those", async () => {
    const api = await apiAs(w, "resellerA");
    const cust = w.a.customers[1]!;
    // a second container of the customer, suspended on its own before
    const extra = await api("POST", "/containers", {
      customerId: cust.tenant.id,
      planId: w.a.plan.id,
      hostname: "second.test",
      template: "busybox",
    });
    await waitForAllOperations();
    await api("POST", `/containers/${extra.body.container.id}/suspend`, { reason: "its own reason" });
    await waitForAllOperations();
    const s = await api("POST", `/customers/${cust.tenant.id}/suspend`, { reason: "account overdue" });
    expect(s.status).toBe(200);
    expect(s.body.customer.suspension).toMatchObject({ reason: "account overdue" });
    expect(s.body.failed).toEqual([]);
    await waitForAllOperations();
    const rows = await w.db.container.findMany({ where: { tenantId: cust.tenant.id }, orderBy: { ctid: "asc" } });
    expect(rows.map((r) => [r.suspendReason, r.suspendedBy])).toEqual([
      ["account overdue", "tenant"],
      ["its own reason", "container"],
    ]);
    const one = await api("POST", `/containers/${cust.container.id}/unsuspend`, {});
    expect([one.status, one.body.error.code]).toEqual([409, "CONFLICT"]);
    expect((await as(w, "customerA2").auth.me()).suspensions.tenant).toMatchObject({ reason: "account overdue" });
    // no new container for a suspended customer
    const refused = await api("POST", "/containers", {
      customerId: cust.tenant.id,
      planId: w.a.plan.id,
      hostname: "third.test",
      template: "busybox",
    });
    expect(refused.status).toBe(409);
    const u = await api("POST", `/customers/${cust.tenant.id}/unsuspend`, {});
    expect([u.status, u.body.customer.suspension]).toEqual([200, null]);
    await waitForAllOperations();
    const after = await w.db.container.findMany({ where: { tenantId: cust.tenant.id }, orderBy: { ctid: "asc" } });
    expect(after.map((r) => r.suspendReason)).toEqual([null, "its own reason"]);
    await api("DELETE", `/containers/${extra.body.container.id}`);
    await waitForAllOperations();
  });

  it("a single sign-on link logs the customer in once", async () => {
    const api = await apiAs(w, "resellerA");
    const cust = w.a.customers[0]!;
    const l = await api("POST", `/customers/${cust.tenant.id}/sso`, { redirect: `/containers/${cust.container.id}` });
    expect(l.status).toBe(201);
    const url = new URL(l.body.url);
    expect(url.origin).toBe("http://panel.test");
    const token = url.pathname.split("/").pop()!;
    const open = () => ssoLogin(new Request(l.body.url), token, w.db);
    const first = await open();
    expect(first.status).toBe(303);
    expect(first.headers.get("location")).toBe(`/containers/${cust.container.id}`);
    const cookie = readCookie(first.headers.get("set-cookie")!.split(";")[0]!, SESSION_COOKIE)!;
    const s = await validateSession(w.db, cookie);
    expect(s?.userId).toBe(cust.user.id);
    const second = await open();
    expect(second.status).toBe(401);
    expect(await second.text()).toMatch(/already used or has expired/);
    // an open redirect is not possible: another site becomes the panel's default page
    const evil = await api("POST", `/customers/${cust.tenant.id}/sso`, { redirect: "//evil.example/x" });
    const r = await ssoLogin(new Request(evil.body.url), new URL(evil.body.url).pathname.split("/").pop()!, w.db);
    expect(r.headers.get("location")).toBe("/containers");
  });

  it("a plan change reaches the engine (live when running) and stays within the reseller's plans", async () => {
    const c = w.a.customers[0]!.container;
    const bigger = await as(w, "resellerA").plans.create({
      name: "bigger-a",
      limits: {
        ...(await w.db.plan.findUniqueOrThrow({ where: { id: w.a.plan.id } }).then((p) => JSON.parse(p.limits))),
        ram: 512 * 1024 * 1024,
      },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    });
    const api = await apiAs(w, "resellerA");
    expect((await api("POST", `/containers/${c.id}/plan`, { planId: w.b.plan.id })).status).toBe(404);
    const r = await api("POST", `/containers/${c.id}/plan`, { planId: bigger.id });
    expect(r.status).toBe(200);
    expect(r.body.container).toMatchObject({ planId: bigger.id, plan: "bigger-a" });
    const lim = await fakeEngine().call("container.limits", { ctid: c.ctid });
    expect(lim.configured.ram).toBe(512 * 1024 * 1024);
    expect(await w.db.auditLog.count({ where: { action: "container.changePlan" } })).toBe(1);
  });

  it("terminate destroys the container and its backups: nothing is left", async () => {
    const c = w.a.customers[1]!.container;
    await as(w, "resellerA").backups.create({ containerId: c.id });
    await waitForAllOperations();
    expect(await w.db.backup.count({ where: { containerId: c.id } })).toBe(1);
    const api = await apiAs(w, "resellerA");
    const t = await api("DELETE", `/containers/${c.id}`);
    expect(t.status).toBe(202);
    await waitForAllOperations();
    expect(await w.db.container.count({ where: { id: c.id } })).toBe(0);
    expect(await w.db.backup.count({ where: { ctid: c.ctid, tenantId: c.tenantId } })).toBe(0);
    expect(await w.db.ipAddress.count({ where: { containerId: c.id } })).toBe(0);
    await expect(fakeEngine().call("container.status", { ctid: c.ctid })).rejects.toMatchObject({ code: "NOT_FOUND" });
    expect((await api("GET", `/containers/${c.id}`)).status).toBe(404);
  });
});
