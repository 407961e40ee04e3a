import { describe, expect, it } from "vitest";
import { sha256Hex, verifyPassword } from "../../auth/crypto.js";
import { checkLoginAllowed } from "../../auth/rate-limit.js";
import { SESSION_COOKIE, validateSession } from "../../auth/session.js";
import { newTotpSecret } from "../../auth/totp.js";
import type { Actor } from "../../auth/roles.js";
import { PROVIDERS } from "../helpers/db.js";
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
  return {
    userId: s.userId,
    role: s.user.role as Actor["role"],
    tenantId: s.user.tenantId,
    label: s.user.email,
    via: "session",
    sessionId: s.id,
  };
}

describe.each(PROVIDERS)("auth on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

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
    expect(me).toMatchObject({
      email: "customer-a1@test.example",
      role: "customer",
      via: "session",
      totpEnabled: false,
      tenant: { id: w.a.customers[0]!.tenant.id, kind: "customer" },
    });
    const audit = await w.db.auditLog.findFirst({
      where: { action: "auth.login", target: "customer-a1@test.example" },
    });
    expect(audit).toMatchObject({
      actor: "customer-a1@test.example",
      tenantId: w.a.customers[0]!.tenant.id,
      ip: "127.0.0.1",
    });
  });

  it("login normalises the email (trim, case)", async () => {
    const { result } = await login(w, "  Customer-A2@Test.Example ");
    expect(result.role).toBe("customer");
  });

  it("a wrong password or unknown user is UNAUTHORIZED, recorded, and sets no cookie", async () => {
    const cookies: string[] = [];
    const c = caller(w.db, null, { setCookie: (x) => cookies.push(x), ip: "10.0.0.9" });
    const e = await expectCode(
      c.auth.login({ email: "direct@test.example", password: "wrong-password" }),
      "UNAUTHORIZED",
      "UNAUTHORIZED",
    );
    expect(e.message).toBe("Wrong email or password.");
    const e2 = await expectCode(c.auth.login({ email: "nobody@test.example", password: PASSWORD }), "UNAUTHORIZED");
    expect(e2.message).toBe(e.message); // no user enumeration
    expect(cookies).toEqual([]);
    expect(await w.db.loginAttempt.count({ where: { key: "email:direct@test.example", success: false } })).toBe(1);
    expect(await w.db.loginAttempt.count({ where: { key: "ip:10.0.0.9", success: false } })).toBe(2);
    const failed = await w.db.auditLog.findMany({ where: { action: "auth.loginFailed" }, orderBy: { id: "asc" } });
    expect(failed.map((a) => [a.target, a.tenantId, a.ip])).toEqual(
      expect.arrayContaining([
        ["direct@test.example", w.direct.id, "10.0.0.9"],
        ["nobody@test.example", null, "10.0.0.9"],
      ]),
    );
  });

  /** Moves the login attempts whose key contains `part` `ms` into the past (time passing, without waiting). */
  const age = async (part: string, ms: number) => {
    for (const r of await w.db.loginAttempt.findMany({ where: { key: { contains: part } } })) {
      await w.db.loginAttempt.update({
        where: { id: r.id },
        data: { createdAt: new Date(r.createdAt.getTime() - ms) },
      });
    }
  };
  /** As if the newest attempt whose key contains `part` had just been made (the owner's login took time). */
  const renew = async (part: string) => {
    const rows = await w.db.loginAttempt.findMany({ where: { key: { contains: part } } });
    const newest = Math.max(...rows.map((r) => r.createdAt.getTime()));
    await age(part, newest - Date.now());
  };
  const fail = (email: string, ip: string) =>
    expectCode(caller(w.db, null, { ip }).auth.login({ email, password: "nope-nope" }), "UNAUTHORIZED");
  /** The wait checkLoginAllowed would announce now ("-" = none), without an attempt of its own. */
  const waitNow = (email: string, ip: string) =>
    checkLoginAllowed(w.db, email, ip).then(
      () => "-",
      (e: Error) => e.message.replace(/^.*try again in (.*)\.$/, "$1"),
    );

  it("failing on purpose delays the attacker's address, never locks the owner out; the message says the real wait", async () => {
    const email = "customer-b2@test.example";
    const attacker = "10.1.0.66";
    for (let i = 0; i < 4; i++) await fail(email, attacker); // 3 free, the 4th starts a 1 s delay
    // the owner, from another address, gets in at once (the old per-account lockout refused it for 15 min)
    await login(w, email, PASSWORD, { ip: "10.1.0.1" });
    // the attacker's address waits, even with the right password, and is told how long (the 1 s delay is
    // real time: on a loaded machine the owner's login alone can outlast it, so the clock restarts here)
    await renew(`pair:${email}|${attacker}`);
    const e = await expectCode(
      caller(w.db, null, { ip: attacker }).auth.login({ email, password: PASSWORD }),
      "TOO_MANY_REQUESTS",
      "RATE_LIMITED",
    );
    expect(e.message).toMatch(/^Too many failed logins for this account from your address: try again in 1 second\.$/);
    // refused attempts are not counted: after the wait the right password gets in
    await age(`pair:${email}|${attacker}`, 1100);
    await login(w, email, PASSWORD, { ip: attacker });
    // ... and a success forgives: the next failure is a free one again
    await fail(email, attacker);
    await login(w, email, PASSWORD, { ip: attacker });
  });

  it("the delay doubles with each failure, up to 15 minutes", async () => {
    const email = "reseller-b@test.example";
    const ip = "10.1.0.70";
    const seen: string[] = [];
    for (let i = 0; i < 14; i++) {
      await fail(email, ip);
      seen.push(await waitNow(email, ip));
      await age(email, 60 * 60_000); // an hour later (still inside the 24 h the failures count)
    }
    expect(seen).toEqual([
      "-",
      "-",
      "-",
      "1 second",
      "2 seconds",
      "4 seconds",
      "8 seconds",
      "16 seconds",
      "32 seconds",
      "64 seconds",
      "3 minutes",
      "5 minutes",
      "9 minutes",
      "15 minutes",
    ]);
    // a day later the failures are forgotten
    await age(email, 24 * 60 * 60_000);
    expect(await waitNow(email, ip)).toBe("-");
  });

  it("a botnet on one account is slowed for every new address, never for an address the owner logged in from", async () => {
    const email = "customer-a1@test.example";
    await login(w, email, PASSWORD, { ip: "10.3.0.1" }); // the owner's usual address
    for (let i = 0; i < 11; i++) await fail(email, `10.3.1.${i}`); // 10 free across addresses, then 1 s
    const e = await expectCode(
      caller(w.db, null, { ip: "10.3.2.1" }).auth.login({ email, password: PASSWORD }),
      "TOO_MANY_REQUESTS",
      "RATE_LIMITED",
    );
    expect(e.message).toBe("Too many failed logins for this account: try again in 1 second.");
    await login(w, email, PASSWORD, { ip: "10.3.0.1" });
  });

  it("more than 20 failures from one address delay that address for every account", async () => {
    const ip = "10.2.0.1";
    for (let i = 0; i < 21; i++) await fail(`ghost${i}@test.example`, ip);
    const e = await expectCode(
      caller(w.db, null, { ip }).auth.login({ email: "reseller-a@test.example", password: PASSWORD }),
      "TOO_MANY_REQUESTS",
      "RATE_LIMITED",
    );
    expect(e.message).toBe("Too many failed logins from your address: try again in 1 second.");
    await age(`ip:${ip}`, 1100);
    await login(w, "reseller-a@test.example", PASSWORD, { ip });
    // from another address the same account logs in at once
    await login(w, "reseller-a@test.example", PASSWORD, { ip: "10.2.0.2" });
  });

  it("with two-factor login a correct password does not forgive failed codes: only a complete login does", async () => {
    const email = "direct@test.example";
    const ip = "10.4.0.1";
    const secret = newTotpSecret();
    await w.db.user.update({ where: { email }, data: { totpEnabled: true, totpSecret: secret } });
    try {
      for (let i = 0; i < 4; i++) {
        const { token } = await login(w, email, PASSWORD, { ip });
        const s = await validateSession(w.db, token);
        await expectCode(
          caller(w.db, null, {
            ip,
            pendingSecondFactor: { sessionId: s!.id, userId: s!.userId },
          }).auth.verifySecondFactor({ code: "000000" }),
          "UNAUTHORIZED",
        );
      }
      const e = await expectCode(
        caller(w.db, null, { ip }).auth.login({ email, password: PASSWORD }),
        "TOO_MANY_REQUESTS",
        "RATE_LIMITED",
      );
      expect(e.message).toMatch(/try again in 1 second/);
    } finally {
      await w.db.user.update({ where: { email }, data: { totpEnabled: false, totpSecret: null } });
    }
  });

  it("a disabled user cannot log in", async () => {
    const u = await w.db.user.create({
      data: {
        email: "disabled@test.example",
        name: "d",
        role: "customer",
        tenantId: w.direct.id,
        passwordHash: w.directUser.passwordHash,
        disabled: true,
      },
    });
    const e = await expectCode(caller(w.db, null).auth.login({ email: u.email, password: PASSWORD }), "UNAUTHORIZED");
    expect(e.message).toMatch(/disabled/);
    expect(await w.db.session.count({ where: { userId: u.id } })).toBe(0);
  });

  it("a cross-site login or session mutation is refused; queries and token mutations are not", async () => {
    await expectCode(
      caller(w.db, null, { sameOrigin: false }).auth.login({ email: "direct@test.example", password: PASSWORD }),
      "FORBIDDEN",
    );
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
    const e = await expectCode(
      c.auth.changePassword({ current: "not-my-password", next: "brand-new-password" }),
      "BAD_REQUEST",
      "BAD_REQUEST",
    );
    expect((e as unknown as { data: { fields: Record<string, string> } }).data.fields).toEqual({
      current: "wrong password",
    });
    await expectCode(c.auth.changePassword({ current: PASSWORD, next: "short" }), "BAD_REQUEST");
    expect(await c.auth.changePassword({ current: PASSWORD, next: "brand-new-password" })).toEqual({ ok: true });
    const u = await w.db.user.findUniqueOrThrow({ where: { email } });
    expect(await verifyPassword(u.passwordHash, "brand-new-password")).toBe(true);
    expect(await verifyPassword(u.passwordHash, PASSWORD)).toBe(false);
    expect(await validateSession(w.db, s1.token)).not.toBeNull();
    expect(await validateSession(w.db, s2.token)).toBeNull();
    await expectCode(caller(w.db, null).auth.login({ email, password: PASSWORD }), "UNAUTHORIZED");
    await login(w, email, "brand-new-password");
    expect(await w.db.auditLog.count({ where: { action: "user.changePassword", target: email, userId: u.id } })).toBe(
      1,
    );
    // API tokens cannot change passwords.
    await expectCode(
      caller(w.db, { ...actor, via: "token", sessionId: undefined }).auth.changePassword({
        current: "brand-new-password",
        next: "third-password-x",
      }),
      "FORBIDDEN",
    );
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
    const e = await expectCode(
      caller(w.db, null, { pendingSecondFactor: pending }).containers.list(),
      "UNAUTHORIZED",
      "SECOND_FACTOR",
    );
    expect(e.message).toMatch(/6-digit code/);
    await expectCode(
      caller(w.db, null, { pendingSecondFactor: pending }).auth.verifySecondFactor({ code: wrong }),
      "UNAUTHORIZED",
    );
    expect(await w.db.loginAttempt.count({ where: { key: `email:${email}`, success: false } })).toBe(1);
    await expectCode(caller(w.db, null).auth.verifySecondFactor({ code: totpCode(setup.secret) }), "UNAUTHORIZED");
    expect(
      await caller(w.db, null, { pendingSecondFactor: pending }).auth.verifySecondFactor({
        code: totpCode(setup.secret),
      }),
    ).toEqual({ ok: true, role: "reseller" });
    expect((await w.db.session.findUniqueOrThrow({ where: { id: pendingRow.id } })).secondFactor).toBe(true);
    // The same code again (someone who saw it) is refused even though it is still within its window.
    const third = await login(w, email);
    const pending3 = { sessionId: sha256Hex(third.token), userId: pendingRow.userId };
    const replay = await expectCode(
      caller(w.db, null, { pendingSecondFactor: pending3 }).auth.verifySecondFactor({ code: totpCode(setup.secret) }),
      "UNAUTHORIZED",
    );
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
    const actions = (
      await w.db.auditLog.findMany({
        where: { userId: off.id, action: { startsWith: "user.totp" } },
        orderBy: { id: "asc" },
      })
    ).map((a) => a.action);
    expect(actions).toEqual(["user.totpEnable", "user.totpDisable"]);
  });

  it("an API token cannot set up, enable or disable two-factor login", async () => {
    const u = w.b.customers[0]!.user;
    const token = caller(w.db, { ...w.actors.customerB1, via: "token", tokenId: "t" });
    await expectCode(token.auth.totpSetup(), "FORBIDDEN");
    await w.db.user.update({ where: { id: u.id }, data: { totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" } });
    await expectCode(token.auth.totpEnable({ code: totpCode("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP") }), "FORBIDDEN");
    expect(await w.db.user.findUniqueOrThrow({ where: { id: u.id } })).toMatchObject({
      totpEnabled: false,
      totpSecret: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    });
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
