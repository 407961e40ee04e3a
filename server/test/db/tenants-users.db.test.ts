import { describe, expect, it } from "vitest";
import { verifyPassword } from "../../auth/crypto.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, PASSWORD, type World, useWorld } from "../helpers/world.js";

describe.each(PROVIDERS)("tenants and users on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("admin lists every tenant with counts; a reseller only itself and its customers", async () => {
    const all = await as(w, "admin").tenants.list();
    expect(all.map((x) => x.id).sort()).toEqual((await w.db.tenant.findMany()).map((x) => x.id).sort());
    const ra = all.find((x) => x.id === w.a.tenant.id)!;
    expect(ra).toMatchObject({
      name: "Reseller A",
      kind: "reseller",
      disabled: false,
      parent: { id: w.platform.id, name: "Platform" },
      counts: { containers: 0, users: 1, children: 2 },
    });
    const c1 = all.find((x) => x.id === w.a.customers[0]!.tenant.id)!;
    expect(c1.counts).toEqual({ containers: 1, users: 1, children: 0 });

    const mine = await as(w, "resellerA").tenants.list();
    expect(mine.map((x) => x.id).sort()).toEqual([w.a.tenant.id, ...w.a.customers.map((c) => c.tenant.id)].sort());
    await expectCode(as(w, "customerA1").tenants.list(), "FORBIDDEN");
  });

  it("get returns the tenant with its users (no secrets); foreign tenants are NOT_FOUND", async () => {
    const g = await as(w, "resellerA").tenants.get({ tenantId: w.a.customers[0]!.tenant.id });
    expect(g).toMatchObject({
      id: w.a.customers[0]!.tenant.id,
      name: "Customer a1",
      kind: "customer",
      parentId: w.a.tenant.id,
    });
    expect(g.users).toEqual([
      {
        id: w.a.customers[0]!.user.id,
        email: "customer-a1@test.example",
        name: "customer-a1",
        role: "customer",
        disabled: false,
        totpEnabled: false,
      },
    ]);
    expect(JSON.stringify(g)).not.toMatch(/passwordHash|argon2/);
    await expectCode(as(w, "resellerA").tenants.get({ tenantId: w.b.customers[0]!.tenant.id }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").tenants.get({ tenantId: w.platform.id }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").tenants.get({ tenantId: "does-not-exist" }), "NOT_FOUND");
    expect((await as(w, "admin").tenants.get({ tenantId: w.b.tenant.id })).users.map((u) => u.email)).toEqual([
      "reseller-b@test.example",
    ]);
  });

  it("a reseller creates a customer with its first user under itself", async () => {
    const r = await as(w, "resellerA").tenants.create({
      name: "  New Shop ",
      kind: "customer",
      user: { email: "Shop@Test.Example", name: "Shop", password: "shop-password-1" },
    });
    expect(r).toMatchObject({ name: "New Shop", kind: "customer" });
    const row = await w.db.tenant.findUniqueOrThrow({ where: { id: r.id }, include: { users: true } });
    expect(row.parentId).toBe(w.a.tenant.id);
    expect(row.users).toHaveLength(1);
    expect(row.users[0]).toMatchObject({ email: "shop@test.example", role: "customer", disabled: false });
    expect(row.users[0]!.passwordHash).not.toContain("shop-password-1");
    expect(await verifyPassword(row.users[0]!.passwordHash, "shop-password-1")).toBe(true);
    const audit = await w.db.auditLog.findFirstOrThrow({ where: { action: "tenant.create", tenantId: r.id } });
    expect(audit).toMatchObject({
      userId: w.a.user.id,
      actor: "reseller-a@test.example",
      target: "customer New Shop",
      ip: "127.0.0.1",
    });
    expect(audit.details).not.toContain("shop-password-1");
    // The new customer's user can log in and is scoped to its tenant.
    expect(
      (await caller(w.db, null).auth.login({ email: "shop@test.example", password: "shop-password-1" })).role,
    ).toBe("customer");
    expect((await as(w, "resellerA").tenants.list()).map((x) => x.id)).toContain(r.id);
    expect((await as(w, "resellerB").tenants.list()).map((x) => x.id)).not.toContain(r.id);
  });

  it("resellers cannot create resellers, nor customers under someone else", async () => {
    const before = await w.db.tenant.count();
    const user = { email: "x1@test.example", name: "x", password: "long-enough-pw" };
    await expectCode(as(w, "resellerA").tenants.create({ name: "Sub", kind: "reseller", user }), "FORBIDDEN");
    await expectCode(
      as(w, "resellerA").tenants.create({ name: "Sub", kind: "customer", parentId: w.b.tenant.id, user }),
      "NOT_FOUND",
    );
    await expectCode(as(w, "customerA1").tenants.create({ name: "Sub", kind: "customer", user }), "FORBIDDEN");
    expect(await w.db.tenant.count()).toBe(before);
    expect(await w.db.user.findUnique({ where: { email: "x1@test.example" } })).toBeNull();
  });

  it("admin creates resellers under the platform and customers under a reseller; wrong parents are refused", async () => {
    const r = await as(w, "admin").tenants.create({
      name: "Reseller C",
      kind: "reseller",
      user: { email: "reseller-c@test.example", name: "C", password: "reseller-c-pass" },
    });
    const row = await w.db.tenant.findUniqueOrThrow({ where: { id: r.id }, include: { users: true } });
    expect(row).toMatchObject({ kind: "reseller", parentId: w.platform.id });
    expect(row.users[0]!.role).toBe("reseller");
    const c = await as(w, "admin").tenants.create({
      name: "C's customer",
      kind: "customer",
      parentId: r.id,
      user: { email: "c1@test.example", name: "c1", password: "c1-password-x" },
    });
    expect((await w.db.tenant.findUniqueOrThrow({ where: { id: c.id } })).parentId).toBe(r.id);
    const user = { email: "x2@test.example", name: "x", password: "long-enough-pw" };
    await expectCode(
      as(w, "admin").tenants.create({ name: "bad", kind: "reseller", parentId: r.id, user }),
      "BAD_REQUEST",
    );
    await expectCode(
      as(w, "admin").tenants.create({ name: "bad", kind: "customer", parentId: c.id, user }),
      "BAD_REQUEST",
    );
    await expectCode(
      as(w, "admin").tenants.create({ name: "bad", kind: "customer", parentId: "missing", user }),
      "NOT_FOUND",
    );
    const dup = await expectCode(
      as(w, "admin").tenants.create({
        name: "dup",
        kind: "customer",
        user: { ...user, email: "customer-a1@test.example" },
      }),
      "CONFLICT",
    );
    expect((dup as unknown as { data: { fields: Record<string, string> } }).data.fields).toEqual({
      "user.email": "already in use",
    });
    expect(await w.db.tenant.count({ where: { name: { in: ["bad", "dup"] } } })).toBe(0);
  });

  it("update renames and disables a customer; own and platform tenants are refused", async () => {
    const target = w.a.customers[1]!.tenant.id;
    expect(await as(w, "resellerA").tenants.update({ tenantId: target, name: "Renamed a2" })).toEqual({
      id: target,
      name: "Renamed a2",
      disabled: false,
    });
    expect((await w.db.tenant.findUniqueOrThrow({ where: { id: target } })).name).toBe("Renamed a2");
    await as(w, "resellerA").tenants.update({ tenantId: target, disabled: true });
    expect((await w.db.tenant.findUniqueOrThrow({ where: { id: target } })).disabled).toBe(true);
    // A disabled customer cannot log in, and no container can be created for it.
    await expectCode(
      caller(w.db, null).auth.login({ email: "customer-a2@test.example", password: PASSWORD }),
      "UNAUTHORIZED",
    );
    await expectCode(
      as(w, "resellerA").containers.create({
        tenantId: target,
        planId: w.a.plan.id,
        hostname: "x.test",
        template: "busybox",
      }),
      "CONFLICT",
    );
    await as(w, "resellerA").tenants.update({ tenantId: target, disabled: false });
    expect((await caller(w.db, null).auth.login({ email: "customer-a2@test.example", password: PASSWORD })).role).toBe(
      "customer",
    );

    await expectCode(as(w, "resellerA").tenants.update({ tenantId: w.a.tenant.id, disabled: true }), "FORBIDDEN");
    await expectCode(as(w, "admin").tenants.update({ tenantId: w.platform.id, disabled: true }), "FORBIDDEN");
    await expectCode(
      as(w, "resellerA").tenants.update({ tenantId: w.b.customers[0]!.tenant.id, disabled: true }),
      "NOT_FOUND",
    );
    expect((await w.db.tenant.findUniqueOrThrow({ where: { id: w.b.customers[0]!.tenant.id } })).disabled).toBe(false);
    const audits = await w.db.auditLog.findMany({
      where: { action: "tenant.update", tenantId: target },
      orderBy: { id: "asc" },
    });
    expect(audits.map((a) => JSON.parse(a.details))).toEqual([
      expect.objectContaining({ name: "Renamed a2" }),
      expect.objectContaining({ disabled: true }),
      expect.objectContaining({ disabled: false }),
    ]);
  });

  it("users.list is scoped and never returns password hashes", async () => {
    const all = await as(w, "admin").users.list();
    expect(all.length).toBe(await w.db.user.count());
    expect(JSON.stringify(all)).not.toMatch(/passwordHash|totpSecret|argon2/);
    const mine = await as(w, "resellerA").users.list();
    const visible = new Set([
      w.a.tenant.id,
      ...(await w.db.tenant.findMany({ where: { parentId: w.a.tenant.id } })).map((x) => x.id),
    ]);
    expect(mine.length).toBeGreaterThan(0);
    for (const u of mine) expect(visible.has(u.tenant.id), u.email).toBe(true);
    expect(mine.map((u) => u.email)).toEqual([...mine.map((u) => u.email)].sort());
    await expectCode(as(w, "customerA1").users.list(), "FORBIDDEN");
  });

  it("users.create takes the role from the tenant kind; duplicates are a CONFLICT", async () => {
    const u = await as(w, "resellerA").users.create({
      tenantId: w.a.customers[0]!.tenant.id,
      email: "second-a1@test.example",
      name: "Second",
      password: "second-password",
    });
    expect(u).toMatchObject({ email: "second-a1@test.example", role: "customer" });
    const row = await w.db.user.findUniqueOrThrow({ where: { id: u.id } });
    expect(row.tenantId).toBe(w.a.customers[0]!.tenant.id);
    expect(await verifyPassword(row.passwordHash, "second-password")).toBe(true);
    const colleague = await as(w, "resellerA").users.create({
      tenantId: w.a.tenant.id,
      email: "reseller-a-2@test.example",
      name: "Colleague",
      password: "colleague-pass",
    });
    expect(colleague.role).toBe("reseller");
    const admin2 = await as(w, "admin").users.create({
      tenantId: w.platform.id,
      email: "admin2@test.example",
      name: "Admin 2",
      password: "admin2-password",
    });
    expect(admin2.role).toBe("admin");
    await expectCode(
      as(w, "resellerA").users.create({
        tenantId: w.platform.id,
        email: "sneaky@test.example",
        name: "s",
        password: "sneaky-password",
      }),
      "NOT_FOUND",
    );
    await expectCode(
      as(w, "resellerA").users.create({
        tenantId: w.b.tenant.id,
        email: "sneaky@test.example",
        name: "s",
        password: "sneaky-password",
      }),
      "NOT_FOUND",
    );
    await expectCode(
      as(w, "resellerA").users.create({
        tenantId: w.a.tenant.id,
        email: "customer-b1@test.example",
        name: "s",
        password: "sneaky-password",
      }),
      "CONFLICT",
    );
    expect(await w.db.user.findUnique({ where: { email: "sneaky@test.example" } })).toBeNull();
    expect(
      await w.db.auditLog.count({
        where: {
          action: "user.create",
          target: { in: ["second-a1@test.example", "reseller-a-2@test.example", "admin2@test.example"] },
        },
      }),
    ).toBe(3);
  });

  it("setDisabled ends the user's sessions; nobody disables themselves or foreign users", async () => {
    const target = w.a.customers[0]!.user;
    await caller(w.db, null).auth.login({ email: target.email, password: PASSWORD });
    expect(await w.db.session.count({ where: { userId: target.id } })).toBeGreaterThan(0);
    expect(await as(w, "resellerA").users.setDisabled({ userId: target.id, disabled: true })).toEqual({ ok: true });
    expect((await w.db.user.findUniqueOrThrow({ where: { id: target.id } })).disabled).toBe(true);
    expect(await w.db.session.count({ where: { userId: target.id } })).toBe(0);
    await expectCode(caller(w.db, null).auth.login({ email: target.email, password: PASSWORD }), "UNAUTHORIZED");
    await as(w, "resellerA").users.setDisabled({ userId: target.id, disabled: false });
    expect((await w.db.user.findUniqueOrThrow({ where: { id: target.id } })).disabled).toBe(false);
    expect(
      (
        await w.db.auditLog.findMany({
          where: { target: target.email, action: { in: ["user.disable", "user.enable"] } },
          orderBy: { id: "asc" },
        })
      ).map((a) => a.action),
    ).toEqual(["user.disable", "user.enable"]);

    await expectCode(as(w, "resellerA").users.setDisabled({ userId: w.a.user.id, disabled: true }), "FORBIDDEN");
    await expectCode(
      as(w, "resellerA").users.setDisabled({ userId: w.b.customers[0]!.user.id, disabled: true }),
      "NOT_FOUND",
    );
    await expectCode(as(w, "resellerA").users.setDisabled({ userId: w.admin.id, disabled: true }), "NOT_FOUND");
    expect((await w.db.user.findUniqueOrThrow({ where: { id: w.b.customers[0]!.user.id } })).disabled).toBe(false);
  });

  it("resetPassword sets a new hash and logs the user out everywhere", async () => {
    const target = w.b.customers[1]!.user;
    await caller(w.db, null).auth.login({ email: target.email, password: PASSWORD });
    await expectCode(
      as(w, "resellerA").users.resetPassword({ userId: target.id, password: "hijacked-password" }),
      "NOT_FOUND",
    );
    expect(await as(w, "resellerB").users.resetPassword({ userId: target.id, password: "fresh-password-b2" })).toEqual({
      ok: true,
    });
    const row = await w.db.user.findUniqueOrThrow({ where: { id: target.id } });
    expect(await verifyPassword(row.passwordHash, "fresh-password-b2")).toBe(true);
    expect(await w.db.session.count({ where: { userId: target.id } })).toBe(0);
    const audit = await w.db.auditLog.findFirstOrThrow({
      where: { action: "user.resetPassword", target: target.email },
    });
    expect(audit.details).not.toContain("fresh-password-b2");
    expect(audit.userId).toBe(w.b.user.id);
  });
});
