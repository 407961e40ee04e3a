/**
 * A user whose account is suspended learns why and who to contact (issue 17: a customer of a disabled
 * tenant was sent to the login page without a word): the request that ends the session answers
 * ACCOUNT_DISABLED with the reason, and so does the next login with the right password.
 */
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GET } from "../../../app/api/trpc/[trpc]/route.js";
import { setDb } from "../../db/client.js";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";
import { domainCode } from "../helpers/expect.js";
import { as, buildWorld, caller, PASSWORD, type World } from "../helpers/world.js";

describe.each(PROVIDERS)("suspended accounts on %s", (provider) => {
  let t: TestDb;
  let w: World;
  beforeAll(async () => {
    t = await freshDb(provider);
    w = await buildWorld(t.db);
    setDb(t.db);
  });
  afterAll(async () => {
    setDb(undefined);
    await t?.drop();
  });

  const login = async (email: string) => {
    const cookies: string[] = [];
    await caller(t.db, null, { setCookie: (c) => cookies.push(c) }).auth.login({ email, password: PASSWORD });
    return /ovz_session=([^;]+)/.exec(cookies[0]!)![1]!;
  };
  const me = async (token: string) => {
    const r = await GET(
      new Request("http://panel.test/api/trpc/auth.me?input=%7B%7D", { headers: { cookie: `ovz_session=${token}` } }),
    );
    type Err = { message: string; data: { code: string; domainCode: string } };
    const body = (await r.json()) as { error?: { json: Err } };
    return { status: r.status, error: body.error?.json };
  };
  const refusedLogin = (email: string, password = PASSWORD) =>
    caller(t.db, null)
      .auth.login({ email, password })
      .then(
        () => null,
        (e: TRPCError) => e,
      );

  it("a customer whose reseller disabled it: the open page and the next login say so and name the reseller", async () => {
    const cust = w.b.customers[0]!;
    const token = await login(cust.user.email);
    expect((await me(token)).status).toBe(200);
    await as(w, "resellerB").tenants.update({ tenantId: cust.tenant.id, disabled: true });
    try {
      const r = await me(token);
      expect(r.status).toBe(401);
      expect(r.error?.data).toMatchObject({ code: "UNAUTHORIZED", domainCode: "ACCOUNT_DISABLED" });
      expect(r.error?.message).toBe(
        `Your account ${cust.tenant.name} is suspended by Reseller B; contact your provider Reseller B to enable it again.`,
      );
      const e = await refusedLogin(cust.user.email);
      expect(e?.code).toBe("UNAUTHORIZED");
      expect(domainCode(e!)).toBe("ACCOUNT_DISABLED");
      expect(e?.message).toBe(r.error?.message);
      // a wrong password learns nothing about the account
      expect((await refusedLogin(cust.user.email, "wrong-password-1"))?.message).toBe("Wrong email or password.");
    } finally {
      await as(w, "resellerB").tenants.update({ tenantId: cust.tenant.id, disabled: false });
    }
  });

  it("a customer of a suspended reseller is told its provider is suspended", async () => {
    const cust = w.b.customers[1]!;
    const token = await login(cust.user.email);
    await as(w, "admin").tenants.update({ tenantId: w.b.tenant.id, disabled: true });
    try {
      const r = await me(token);
      expect(r.error?.data.domainCode).toBe("ACCOUNT_DISABLED");
      expect(r.error?.message).toMatch(/^Your provider Reseller B is suspended by the platform.*contact Reseller B\.$/);
      // the session is gone: the next request is an ordinary "not logged in"
      expect((await me(token)).error?.data.domainCode).toBe("UNAUTHORIZED");
    } finally {
      await as(w, "admin").tenants.update({ tenantId: w.b.tenant.id, disabled: false });
    }
  });
});
