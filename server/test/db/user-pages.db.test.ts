/**
 * Issue 17: a user's page (users.get, audit.table by userId), an admin's role change (users.setRole), and a
 * reseller editing its customers (rename, add and disable users, reset passwords) — strictly its own: another
 * reseller's customers, another reseller and the platform's users are NOT_FOUND, whatever the call.
 */
import { describe, expect, it } from "vitest";
import { newSecret } from "../../auth/api-token.js";
import { verifyPassword } from "../../auth/crypto.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, PASSWORD, type World, useWorld } from "../helpers/world.js";

describe.each(PROVIDERS)("user pages and resellers' customers on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("users.get: the user's tenant, status, last login and live sessions; no secrets", async () => {
    const cust = w.a.customers[0]!;
    await caller(w.db, null).auth.login({ email: cust.user.email, password: PASSWORD });
    // a panel session (the world's actors carry no session id; "log in as" needs one)
    const admin = caller(w.db, { ...w.actors.admin, sessionId: "s" });
    const g = await admin.users.get({ userId: cust.user.id });
    expect(g).toMatchObject({
      id: cust.user.id,
      email: cust.user.email,
      role: "customer",
      disabled: false,
      totpEnabled: false,
      tenant: { id: cust.tenant.id, name: cust.tenant.name, kind: "customer" },
      sessions: 1,
      self: false,
      roles: ["customer"],
      impersonation: null,
    });
    expect(g.lastLogin).toBeInstanceOf(Date);
    expect(JSON.stringify(g)).not.toMatch(/passwordHash|argon2|totpSecret/);
    // a reseller sees its customer's user, without a role to give
    expect((await as(w, "resellerA").users.get({ userId: cust.user.id })).roles).toEqual([]);
    expect((await admin.users.get({ userId: w.admin.id })).impersonation).toMatch(/That is you/);
  });

  it("audit.table with userId lists what that user did, within the caller's scope", async () => {
    const cust = w.a.customers[1]!;
    await as(w, "customerA2").notifications.setPrefs({ email: ["backup.done"], webhook: [] });
    await as(w, "resellerA").users.resetPassword({ userId: cust.user.id, password: "another-password-1" });
    const mine = await as(w, "resellerA").audit.table({ userId: cust.user.id });
    expect(mine.total).toBeGreaterThan(0);
    expect(mine.rows.every((r) => r.userId === cust.user.id)).toBe(true);
    expect(mine.rows.map((r) => r.action)).toContain("user.notifyPrefs");
    const theirs = await as(w, "resellerA").audit.table({ userId: w.a.user.id });
    expect(theirs.rows.map((r) => r.action)).toContain("user.resetPassword");
    // reseller B sees nothing of A's customer, even by its id
    expect((await as(w, "resellerB").audit.table({ userId: cust.user.id })).total).toBe(0);
  });

  it("setRole: admin only, within the roles of the tenant's kind; never oneself; higher tokens revoked", async () => {
    await expectCode(as(w, "admin").users.setRole({ userId: w.a.customers[0]!.user.id, role: "admin" }), "BAD_REQUEST");
    await expectCode(as(w, "admin").users.setRole({ userId: w.a.user.id, role: "admin" }), "BAD_REQUEST");
    await expectCode(as(w, "admin").users.setRole({ userId: w.admin.id, role: "customer" }), "FORBIDDEN");
    await expectCode(
      as(w, "resellerA").users.setRole({ userId: w.a.customers[0]!.user.id, role: "customer" }),
      "FORBIDDEN",
    );
    const { hash } = newSecret();
    const t = await w.db.apiToken.create({
      data: { name: "r", secretHash: hash, role: "reseller", tenantId: w.b.tenant.id, userId: w.b.user.id },
    });
    const r = await as(w, "admin").users.setRole({ userId: w.b.user.id, role: "customer" });
    expect(r).toEqual({ id: w.b.user.id, role: "customer", revokedTokens: 1 });
    expect((await w.db.apiToken.findUniqueOrThrow({ where: { id: t.id } })).revokedAt).not.toBeNull();
    expect((await w.db.user.findUniqueOrThrow({ where: { id: w.b.user.id } })).role).toBe("customer");
    const a = await w.db.auditLog.findFirstOrThrow({ where: { action: "user.setRole", target: w.b.user.email } });
    expect(JSON.parse(a.details)).toMatchObject({ from: "reseller", to: "customer" });
    await as(w, "admin").users.setRole({ userId: w.b.user.id, role: "reseller" });
    expect((await w.db.user.findUniqueOrThrow({ where: { id: w.b.user.id } })).role).toBe("reseller");
  });

  it("a reseller renames its customer, adds and disables its users and resets their passwords", async () => {
    const cust = w.a.customers[0]!;
    const r = as(w, "resellerA");
    expect(await r.tenants.update({ tenantId: cust.tenant.id, name: "Renamed a1" })).toMatchObject({
      name: "Renamed a1",
    });
    const u = await r.users.create({
      tenantId: cust.tenant.id,
      email: "second-a1@test.example",
      name: "Second",
      password: "second-password-1",
    });
    expect(u.role).toBe("customer");
    await r.users.setDisabled({ userId: u.id, disabled: true });
    expect((await w.db.user.findUniqueOrThrow({ where: { id: u.id } })).disabled).toBe(true);
    await r.users.resetPassword({ userId: u.id, password: "third-password-1" });
    const row = await w.db.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(await verifyPassword(row.passwordHash, "third-password-1")).toBe(true);
    await w.db.tenant.update({ where: { id: cust.tenant.id }, data: { name: cust.tenant.name } });
  });

  it("a reseller never reaches another reseller's customers, another reseller or the platform's users", async () => {
    const r = as(w, "resellerA");
    const foreignCustomer = w.b.customers[0]!;
    const before = await w.db.user.findMany({ orderBy: { id: "asc" } });
    const tenantsBefore = await w.db.tenant.findMany({ orderBy: { id: "asc" } });
    for (const tenantId of [foreignCustomer.tenant.id, w.b.tenant.id, w.platform.id, w.direct.id]) {
      await expectCode(r.tenants.update({ tenantId, name: "Hijacked" }), "NOT_FOUND");
      await expectCode(r.tenants.get({ tenantId }), "NOT_FOUND");
      await expectCode(
        r.users.create({ tenantId, email: `x${tenantId}@test.example`, name: "x", password: "hijack-password-1" }),
        "NOT_FOUND",
      );
    }
    for (const userId of [foreignCustomer.user.id, w.b.user.id, w.admin.id, w.directUser.id]) {
      await expectCode(r.users.get({ userId }), "NOT_FOUND");
      await expectCode(r.users.setDisabled({ userId, disabled: true }), "NOT_FOUND");
      await expectCode(r.users.resetPassword({ userId, password: "hijack-password-1" }), "NOT_FOUND");
      await expectCode(r.users.setRole({ userId, role: "customer" }), "FORBIDDEN");
    }
    // nor its own tenant from the customer pages, nor anything as a customer
    await expectCode(r.tenants.update({ tenantId: w.a.tenant.id, name: "Self" }), "FORBIDDEN");
    const c = as(w, "customerA1");
    await expectCode(c.tenants.update({ tenantId: w.a.customers[0]!.tenant.id, name: "Self" }), "FORBIDDEN");
    await expectCode(
      c.users.resetPassword({ userId: w.a.customers[1]!.user.id, password: "x-password-12" }),
      "FORBIDDEN",
    );
    await expectCode(c.users.get({ userId: w.a.customers[0]!.user.id }), "FORBIDDEN");
    expect(await w.db.user.findMany({ orderBy: { id: "asc" } })).toEqual(before);
    expect(await w.db.tenant.findMany({ orderBy: { id: "asc" } })).toEqual(tenantsBefore);
  });
});
