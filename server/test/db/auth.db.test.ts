import { describe, expect, it } from "vitest";
import { sha256Hex, verifyPassword } from "../../auth/crypto.js";
import { MAX_FAILS_PER_ACCOUNT } from "../../auth/rate-limit.js";
import { SESSION_COOKIE, validateSession } from "../../auth/session.js";
import type { Actor } from "../../auth/roles.js";
import { PROVIDERS, type TestDb } from "../helpers/db.js";
import { expectCode, totpCode } from "../helpers/expect.js";
import { as, caller, PASSWORD, type World, useWorld } from "../helpers/world.js";

/** Logs in through the handler and returns the cookie value it set. */
async function login(w: World, email: string, password = PASSWORD, extra: { ip?: string } = {}) {
  const cookies: string[] = [];
  const r = await caller(w.db, null, { setCookie: (c) => cookies.push(c), ...extra }).auth.login({ email, password });
  expect(cookies).toHaveLength(1);
  const m = new RegExp(`^${SESSION_COOKIE}=([a-z2-7]+);`).exec(cookies[0]!);
  expect(m, cookies[0]).not.toBeNull();
  return { result: r, token: m![1]!, cookie: cookies[0]! };
}

/** The actor createContext would build from a session token. */
async function actorFromToken(w: World, token: string): Promise<Actor | null> {
  const s = await validateSession(w.db, token);
  if (!s || (!s.secondFactor && s.user.totpEnabled)) return null;
  return { userId: s.userId, role: s.user.role as Actor["role"], tenantId: s.user.tenantId, label: s.user.email, via: "session", sessionId: s.id };
}

describe.each(PROVIDERS)("auth on %s", (provider) => {
  let t: TestDb;
  let w: World;
  useWorld(provider, (x) => ({ t, w } = x));

  it("login sets an HttpOnly cookie and stores only the token's hash", async () => {
    const { result, token, cookie } = await login(w, "customer-a1@test.example");
    expect(result).toEqual({ needsSecondFactor: false, role: "customer" });
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Lax/);
    const rows = await w.db.session.findMany({ where: { userId: w.a.customers[0]!.user.id } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.id).toBe(sha256Hex(token));
    expect(rows[0]!.id).not.toContain(token);
    expect(rows[0]!.secondFactor).toBe(true);
    expect(rows[0]!.ip).toBe("127.0.0.1");
    expect(rows[0]!.expiresAt.getTime()).toBeGreaterThan(Date.now() + 6 * 86400_000);
    // The session works: me() through it answers with the user.
    const actor = await actorFromToken(w, token);
    const me = await caller(w.db, actor).auth.me();
    expect(me).toMatchObject({ email: "customer-a1@test.example", role: "customer", via: "session", totpEnabled: false, tenant: { id: w.a.customers[0]!.tenant.id, kind: "customer" } });
    const audit = await w.db.auditLog.findFirst({ where: { action: "auth.login", target: "customer-a1@test.example" } });
    expect(audit).toMatchObject({ actor: "customer-a1@test.example", tenantId: w.a.customers[0]!.tenant.id, ip: "127.0.0.1" });
  });

  it("login normalises the email (trim, case)", async () => {
    const { result } = await login(w, "  Customer-A2@Test.Example ");
    expect(result.role).toBe("customer");
  });

  it("a wrong password or unknown user is UNAUTHORIZED, recorded, and sets no cookie", async () => {
    const cookies: string[] = [];
    const c = caller(w.db, null, { setCookie: (x) => cookies.push(x), ip: "10.0.0.9" });
    const e = await expectCode(c.auth.login({ email: "direct@test.example", password: "wrong-password" }), "UNAUTHORIZED", "UNAUTHORIZED");
    expect(e.message).toBe("Wrong email or password.");
    const e2 = await expectCode(c.auth.login({ email: "nobody@test.example", password: PASSWORD }), "UNAUTHORIZED");
    expect(e2.message).toBe(e.message); // no user enumeration
    expect(cookies).toEqual([]);
    expect(await w.db.loginAttempt.count({ where: { key: "email:direct@test.example", success: false } })).toBe(1);
    expect(await w.db.loginAttempt.count({ where: { key: "ip:10.0.0.9", success: false } })).toBe(2);
    const failed = await w.db.auditLog.findMany({ where: { action: "auth.loginFailed" }, orderBy: { id: "asc" } });
    expect(failed.map((a) => [a.target, a.tenantId, a.ip])).toEqual(
      expect.arrayContaining([["direct@test.example", w.direct.id, "10.0.0.9"], ["nobody@test.example", null, "10.0.0.9"]]),
    );
  });

  it("the 6th failed login on an account is TOO_MANY_REQUESTS even with the right password", async () => {
    const email = "customer-b2@test.example";
    for (let i = 0; i < MAX_FAILS_PER_ACCOUNT; i++) {
      await expectCode(caller(w.db, null, { ip: `10.1.0.${i}` }).auth.login({ email, password: "nope-nope" }), "UNAUTHORIZED");
    }
    const e = await expectCode(caller(w.db, null, { ip: "10.1.0.99" }).auth.login({ email, password: PASSWORD }), "TOO_MANY_REQUESTS", "RATE_LIMITED");
    expect(e.message).toMatch(/Too many failed logins/);
    expect(await w.db.session.count({ where: { user: { email } } })).toBe(0);
    // Other accounts are not affected.
    await login(w, "reseller-b@test.example");
  });

  it("more than 20 failures from one address block that address for every account", async () => {
    const ip = "10.2.0.1";
    // 19 earlier failures from this address (each real failure is recorded per address: see above), then one more.
    await w.db.loginAttempt.createMany({ data: Array.from({ length: 19 }, () => ({ key: `ip:${ip}`, success: false })) });
    await expectCode(caller(w.db, null, { ip }).auth.login({ email: "ghost@test.example", password: "nope-nope" }), "UNAUTHORIZED");
    expect(await w.db.loginAttempt.count({ where: { key: `ip:${ip}`, success: false } })).toBe(20);
    await expectCode(caller(w.db, null, { ip }).auth.login({ email: "reseller-a@test.example", password: PASSWORD }), "TOO_MANY_REQUESTS", "RATE_LIMITED");
    // Old failures (outside the 15-minute window) do not count.
    await w.db.loginAttempt.updateMany({ where: { key: `ip:${ip}` }, data: { createdAt: new Date(Date.now() - 16 * 60_000) } });
    await login(w, "reseller-a@test.example", PASSWORD, { ip });
    // From another address the same account still logs in.
    await login(w, "reseller-a@test.example", PASSWORD, { ip: "10.2.0.2" });
  });

  it("a disabled user cannot log in", async () => {
    const u = await w.db.user.create({ data: { email: "disabled@test.example", name: "d", role: "customer", tenantId: w.direct.id, passwordHash: w.directUser.passwordHash, disabled: true } });
    const e = await expectCode(caller(w.db, null).auth.login({ email: u.email, password: PASSWORD }), "UNAUTHORIZED");
    expect(e.message).toMatch(/disabled/);
    expect(await w.db.session.count({ where: { userId: u.id } })).toBe(0);
  });

  it("a cross-site login or session mutation is refused; queries and token mutations are not", async () => {
    await expectCode(caller(w.db, null, { sameOrigin: false }).auth.login({ email: "direct@test.example", password: PASSWORD }), "FORBIDDEN");
    const c = caller(w.db, w.actors.customerA1, { sameOrigin: false });
    const before = await w.db.operation.count();
    await expectCode(c.containers.start({ containerId: w.a.customers[0]!.container.id }), "FORBIDDEN");
    await expectCode(c.auth.changePassword({ current: PASSWORD, next: "another-password-1" }), "FORBIDDEN");
    await expectCode(c.tokens.create({ name: "x" }), "FORBIDDEN");
    expect(await w.db.operation.count()).toBe(before);
    expect((await c.auth.me()).email).toBe("customer-a1@test.example");
    // An API token is not sent by browsers on their own: no CSRF check.
    const viaToken = caller(w.db, { ...w.actors.customerA1, via: "token", tokenId: "x" }, { sameOrigin: false });
    const r = await viaToken.tokens.list();
    expect(Array.isArray(r)).toBe(true);
  });

  it("logout deletes the session and clears the cookie", async () => {
    const { token } = await login(w, "direct@test.example");
    const actor = await actorFromToken(w, token);
    expect(actor).not.toBeNull();
    const cookies: string[] = [];
    expect(await caller(w.db, actor, { setCookie: (c) => cookies.push(c) }).auth.logout()).toEqual({ ok: true });
    expect(cookies).toHaveLength(1);
    expect(cookies[0]).toMatch(new RegExp(`^${SESSION_COOKIE}=;.*Max-Age=0`));
    expect(await w.db.session.findUnique({ where: { id: sha256Hex(token) } })).toBeNull();
    expect(await validateSession(w.db, token)).toBeNull();
    // Anonymous logout is harmless.
    expect(await caller(w.db, null).auth.logout()).toEqual({ ok: true });
  });

  it("changePassword checks the current one, rehashes, and ends the user's other sessions", async () => {
    const email = "customer-a2@test.example";
    const s1 = await login(w, email);
    const s2 = await login(w, email);
    const actor = (await actorFromToken(w, s1.token))!;
    const c = caller(w.db, actor);
    const e = await expectCode(c.auth.changePassword({ current: "not-my-password", next: "brand-new-password" }), "BAD_REQUEST", "BAD_REQUEST");
    expect((e as unknown as { data: { fields: Record<string, string> } }).data.fields).toEqual({ current: "wrong password" });
    await expectCode(c.auth.changePassword({ current: PASSWORD, next: "short" }), "BAD_REQUEST");
    expect(await c.auth.changePassword({ current: PASSWORD, next: "brand-new-password" })).toEqual({ ok: true });
    const u = await w.db.user.findUniqueOrThrow({ where: { email } });
    expect(await verifyPassword(u.passwordHash, "brand-new-password")).toBe(true);
    expect(await verifyPassword(u.passwordHash, PASSWORD)).toBe(false);
    expect(await validateSession(w.db, s1.token)).not.toBeNull();
    expect(await validateSession(w.db, s2.token)).toBeNull();
    await expectCode(caller(w.db, null).auth.login({ email, password: PASSWORD }), "UNAUTHORIZED");
    await login(w, email, "brand-new-password");
    expect(await w.db.auditLog.count({ where: { action: "user.changePassword", target: email, userId: u.id } })).toBe(1);
    // API tokens cannot change passwords.
    await expectCode(caller(w.db, { ...actor, via: "token", sessionId: undefined }).auth.changePassword({ current: "brand-new-password", next: "third-password-x" }), "FORBIDDEN");
  });

  it("TOTP: setup, enable, then login needs the second factor", async () => {
    const email = "reseller-b@test.example";
    const first = await login(w, email);
    const actor = (await actorFromToken(w, first.token))!;
    const c = caller(w.db, actor);
    const setup = await c.auth.totpSetup();
    expect(setup.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(setup.uri).toMatch(/^otpauth:\/\/totp\//);
    expect(setup.uri).toContain(`secret=${setup.secret}`);
    const stored = await w.db.user.findUniqueOrThrow({ where: { email } });
    expect(stored.totpSecret).toBe(setup.secret);
    expect(stored.totpEnabled).toBe(false);

    const wrong = totpCode(setup.secret) === "000000" ? "111111" : "000000";
    await expectCode(c.auth.totpEnable({ code: wrong }), "BAD_REQUEST");
    expect((await w.db.user.findUniqueOrThrow({ where: { email } })).totpEnabled).toBe(false);
    // Each code works once; the steps next to the current one are accepted (clock skew), so the flow
    // uses the previous, current and next step's codes.
    expect(await c.auth.totpEnable({ code: totpCode(setup.secret, -1) })).toEqual({ ok: true });
    expect((await w.db.user.findUniqueOrThrow({ where: { email } })).totpEnabled).toBe(true);
    expect((await c.auth.me()).totpEnabled).toBe(true);
    await expectCode(c.auth.totpSetup(), "CONFLICT");
    // The session that enabled it stays fully logged in.
    expect(await actorFromToken(w, first.token)).not.toBeNull();

    const second = await login(w, email);
    expect(second.result).toEqual({ needsSecondFactor: true, role: "reseller" });
    const pendingRow = await w.db.session.findUniqueOrThrow({ where: { id: sha256Hex(second.token) } });
    expect(pendingRow.secondFactor).toBe(false);
    expect(await actorFromToken(w, second.token)).toBeNull();
    const pending = { sessionId: pendingRow.id, userId: pendingRow.userId };
    const e = await expectCode(caller(w.db, null, { pendingSecondFactor: pending }).containers.list(), "UNAUTHORIZED", "SECOND_FACTOR");
    expect(e.message).toMatch(/6-digit code/);
    await expectCode(caller(w.db, null, { pendingSecondFactor: pending }).auth.verifySecondFactor({ code: wrong }), "UNAUTHORIZED");
    expect(await w.db.loginAttempt.count({ where: { key: `email:${email}`, success: false } })).toBe(1);
    await expectCode(caller(w.db, null).auth.verifySecondFactor({ code: totpCode(setup.secret) }), "UNAUTHORIZED");
    expect(await caller(w.db, null, { pendingSecondFactor: pending }).auth.verifySecondFactor({ code: totpCode(setup.secret) })).toEqual({ ok: true, role: "reseller" });
    expect((await w.db.session.findUniqueOrThrow({ where: { id: pendingRow.id } })).secondFactor).toBe(true);
    // The same code again (someone who saw it) is refused even though it is still within its window.
    const third = await login(w, email);
    const pending3 = { sessionId: sha256Hex(third.token), userId: pendingRow.userId };
    const replay = await expectCode(caller(w.db, null, { pendingSecondFactor: pending3 }).auth.verifySecondFactor({ code: totpCode(setup.secret) }), "UNAUTHORIZED");
    expect(replay.message).toMatch(/already used/);
    expect(await actorFromToken(w, third.token)).toBeNull();
    const actor2 = await actorFromToken(w, second.token);
    expect(actor2?.role).toBe("reseller");

    // Turning it off needs a valid code too.
    await expectCode(caller(w.db, actor2).auth.totpDisable({ code: wrong }), "BAD_REQUEST");
    expect(await caller(w.db, actor2).auth.totpDisable({ code: totpCode(setup.secret, 1) })).toEqual({ ok: true });
    const off = await w.db.user.findUniqueOrThrow({ where: { email } });
    expect(off).toMatchObject({ totpEnabled: false, totpSecret: null });
    await expectCode(caller(w.db, actor2).auth.totpDisable({ code: totpCode(setup.secret) }), "CONFLICT");
    expect((await login(w, email)).result.needsSecondFactor).toBe(false);
    const actions = (await w.db.auditLog.findMany({ where: { userId: off.id, action: { startsWith: "user.totp" } }, orderBy: { id: "asc" } })).map((a) => a.action);
    expect(actions).toEqual(["user.totpEnable", "user.totpDisable"]);
  });

  it("an API token cannot set up, enable or disable two-factor login", async () => {
    const u = w.b.customers[0]!.user;
    const token = caller(w.db, { ...w.actors.customerB1, via: "token", tokenId: "t" });
    await expectCode(token.auth.totpSetup(), "FORBIDDEN");
    await w.db.user.update({ where: { id: u.id }, data: { totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" } });
    await expectCode(token.auth.totpEnable({ code: totpCode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") }), "FORBIDDEN");
    expect(await w.db.user.findUniqueOrThrow({ where: { id: u.id } })).toMatchObject({ totpEnabled: false, totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" });
    await w.db.user.update({ where: { id: u.id }, data: { totpEnabled: true } });
    await expectCode(token.auth.totpDisable({ code: totpCode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") }), "FORBIDDEN");
    expect((await w.db.user.findUniqueOrThrow({ where: { id: u.id } })).totpEnabled).toBe(true);
    await w.db.user.update({ where: { id: u.id }, data: { totpEnabled: false, totpSecret: null } });
  });

  it("totpEnable before setup is a CONFLICT", async () => {
    await expectCode(as(w, "direct").auth.totpEnable({ code: "123456" }), "CONFLICT");
  });

  it("me and every authed procedure refuse anonymous callers", async () => {
    const e = await expectCode(caller(w.db, null).auth.me(), "UNAUTHORIZED", "UNAUTHORIZED");
    expect(e.message).toMatch(/not logged in/);
    const me = await as(w, "admin").auth.me();
    expect(me).toMatchObject({ id: w.admin.id, role: "admin", tenant: { id: w.platform.id, kind: "platform" } });
  });
});
