/**
 * "Log in as" (issue 17): an admin (any non-admin user) or a reseller (its own customers' users) opens a session
 * as the user through the real cookie path (authenticateRequest), audited on both sides; the session is marked,
 * bounded by the opener's, cannot impersonate again or make API tokens, and returning gives the opener a fresh
 * session of their own without a password.
 */
import { describe, expect, it } from "vitest";
import { authenticateRequest } from "../../auth/request.js";
import { createSession } from "../../auth/session.js";
import { makeContext } from "../../trpc/context.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, type World, useWorld } from "../helpers/world.js";

describe.each(PROVIDERS)("log in as on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  /** A caller for a cookie: what the panel's route handler builds; set-cookie values land in `cookies`. */
  async function withCookie(token: string, cookies: string[] = []) {
    const req = new Request("http://panel.test/api/trpc", { headers: { cookie: `ovz_session=${token}` } });
    const auth = await authenticateRequest(w.db, req);
    return caller(w.db, auth.actor, { ...makeContext({ db: w.db, ...auth }), setCookie: (c) => cookies.push(c) });
  }
  async function sessionOf(userId: string) {
    return (await createSession(w.db, userId, { secondFactor: true, ip: "127.0.0.1", userAgent: "test" })).token;
  }
  const tokenIn = (cookies: string[]) => /ovz_session=([a-z2-7]+)/.exec(cookies.at(-1) ?? "")?.[1] ?? "";

  it("an admin logs in as a customer: marked, scoped to the customer, audited on both sides, and returns", async () => {
    const cust = w.a.customers[0]!;
    const adminToken = await sessionOf(w.admin.id);
    const cookies: string[] = [];
    const r = await (await withCookie(adminToken, cookies)).users.impersonate({ userId: cust.user.id });
    expect(r.user.email).toBe(cust.user.email);
    const asToken = tokenIn(cookies);
    expect(asToken).not.toBe("");
    expect(asToken).not.toBe(adminToken);

    const as1 = await withCookie(asToken);
    const me = await as1.auth.me();
    expect(me).toMatchObject({ email: cust.user.email, role: "customer", impersonator: { email: w.admin.email } });
    const rows = await as1.containers.table({});
    expect(rows.rows.map((c) => c.id)).toEqual([cust.container.id]);

    const entries = await w.db.auditLog.findMany({ where: { action: "user.impersonate", target: cust.user.email } });
    expect(entries.map((e) => e.tenantId).sort()).toEqual([cust.tenant.id, w.platform.id].sort());
    expect(entries.every((e) => e.actor === w.admin.email && e.userId === w.admin.id)).toBe(true);

    // what is done in the session names both in the audit log
    await as1.notifications.setPrefs({ email: ["backup.done"], webhook: [] });
    const acted = await w.db.auditLog.findFirstOrThrow({
      where: { action: "user.notifyPrefs" },
      orderBy: { id: "desc" },
    });
    expect(acted).toMatchObject({ userId: cust.user.id, actor: `${w.admin.email} as ${cust.user.email}` });

    // returning: both sessions end, the admin has a fresh one without a password
    const back: string[] = [];
    const b = await (await withCookie(asToken, back)).auth.stopImpersonating();
    expect(b.back).toMatchObject({ tenantId: cust.tenant.id, email: w.admin.email });
    const me2 = await (await withCookie(tokenIn(back))).auth.me();
    expect(me2).toMatchObject({ email: w.admin.email, role: "admin", impersonator: null });
    await expectCode((await withCookie(asToken)).auth.me(), "UNAUTHORIZED");
    await expectCode((await withCookie(adminToken)).auth.me(), "UNAUTHORIZED");
    const ends = await w.db.auditLog.count({ where: { action: "user.impersonateEnd", target: cust.user.email } });
    expect(ends).toBe(2);
  });

  it("an impersonated session cannot log in as anyone, make API tokens or change the password", async () => {
    const cookies: string[] = [];
    await (await withCookie(await sessionOf(w.admin.id), cookies)).users.impersonate({ userId: w.a.user.id });
    const asReseller = await withCookie(tokenIn(cookies));
    expect((await asReseller.auth.me()).role).toBe("reseller");
    await expectCode(asReseller.users.impersonate({ userId: w.a.customers[0]!.user.id }), "FORBIDDEN");
    await expectCode(asReseller.tokens.create({ name: "sneaky" }), "FORBIDDEN");
    await expectCode(asReseller.auth.changePassword({ current: "x", next: "a-new-password-1" }), "FORBIDDEN");
    await expectCode(asReseller.auth.totpSetup(), "FORBIDDEN");
    expect(await w.db.apiToken.count({ where: { name: "sneaky" } })).toBe(0);
  });

  it("ending the opener's session (or disabling the opener) ends the impersonated one", async () => {
    const cust = w.b.customers[0]!;
    const resellerToken = await sessionOf(w.b.user.id);
    const cookies: string[] = [];
    await (await withCookie(resellerToken, cookies)).users.impersonate({ userId: cust.user.id });
    const asToken = tokenIn(cookies);
    expect((await (await withCookie(asToken)).auth.me()).impersonator).toEqual({ email: w.b.user.email });
    await (await withCookie(resellerToken)).auth.logout();
    await expectCode((await withCookie(asToken)).auth.me(), "UNAUTHORIZED");
  });

  it("logging out of a log-in-as session ends the opener's session too, audited as the end", async () => {
    const cust = w.b.customers[0]!;
    const adminToken = await sessionOf(w.admin.id);
    const cookies: string[] = [];
    await (await withCookie(adminToken, cookies)).users.impersonate({ userId: cust.user.id });
    const asToken = tokenIn(cookies);
    const before = await w.db.session.count({ where: { userId: { in: [w.admin.id, cust.user.id] } } });
    await (await withCookie(asToken)).auth.logout();
    await expectCode((await withCookie(asToken)).auth.me(), "UNAUTHORIZED");
    // the opener's session, whose cookie the browser no longer had, is gone as well
    await expectCode((await withCookie(adminToken)).auth.me(), "UNAUTHORIZED");
    expect(await w.db.session.count({ where: { userId: { in: [w.admin.id, cust.user.id] } } })).toBe(before - 2);
    const end = await w.db.auditLog.findFirstOrThrow({
      where: { action: "user.impersonateEnd", target: cust.user.email },
      orderBy: { id: "desc" },
    });
    expect(JSON.parse(end.details ?? "{}")).toMatchObject({ as: cust.user.email, by: w.admin.email, how: "logout" });
  });

  it("admins may not log in as admins; nobody as themselves; a token never", async () => {
    const other = await w.db.user.create({
      data: { email: "admin2@test.example", name: "a2", role: "admin", tenantId: w.platform.id, passwordHash: "x" },
    });
    const admin = await withCookie(await sessionOf(w.admin.id));
    await expectCode(admin.users.impersonate({ userId: other.id }), "FORBIDDEN");
    await expectCode(admin.users.impersonate({ userId: w.admin.id }), "FORBIDDEN");
    const token = { ...w.actors.admin, via: "token" as const };
    await expectCode(caller(w.db, token).users.impersonate({ userId: w.directUser.id }), "FORBIDDEN");
    expect(await w.db.session.count({ where: { userId: { in: [other.id, w.directUser.id] } } })).toBe(0);
  });

  it("a reseller logs in as its customers' users only: never another reseller's, the platform's or its own", async () => {
    const r = await withCookie(await sessionOf(w.a.user.id));
    await expectCode(r.users.impersonate({ userId: w.b.customers[0]!.user.id }), "NOT_FOUND");
    await expectCode(r.users.impersonate({ userId: w.b.user.id }), "NOT_FOUND");
    await expectCode(r.users.impersonate({ userId: w.directUser.id }), "NOT_FOUND");
    await expectCode(r.users.impersonate({ userId: w.admin.id }), "NOT_FOUND");
    const colleague = await w.db.user.create({
      data: {
        email: "reseller-a2@test.example",
        name: "r2",
        role: "reseller",
        tenantId: w.a.tenant.id,
        passwordHash: "x",
      },
    });
    await expectCode(r.users.impersonate({ userId: colleague.id }), "FORBIDDEN");
    await expectCode(as(w, "customerA1").users.impersonate({ userId: w.a.customers[1]!.user.id }), "FORBIDDEN");
    const targets = [w.b.customers[0]!.user.id, w.b.user.id, w.directUser.id, w.admin.id, colleague.id];
    expect(await w.db.session.count({ where: { userId: { in: targets }, parentId: { not: null } } })).toBe(0);
  });

  it("a disabled user, or a user of a disabled tenant, cannot be logged in as", async () => {
    const cust = w.a.customers[1]!;
    const admin = await withCookie(await sessionOf(w.admin.id));
    await w.db.user.update({ where: { id: cust.user.id }, data: { disabled: true } });
    await expectCode(admin.users.impersonate({ userId: cust.user.id }), "CONFLICT");
    await w.db.user.update({ where: { id: cust.user.id }, data: { disabled: false } });
    await w.db.tenant.update({ where: { id: cust.tenant.id }, data: { disabled: true } });
    await expectCode(admin.users.impersonate({ userId: cust.user.id }), "CONFLICT");
    await w.db.tenant.update({ where: { id: cust.tenant.id }, data: { disabled: false } });
    expect((await admin.users.get({ userId: cust.user.id })).impersonation).toBeNull();
  });
});
