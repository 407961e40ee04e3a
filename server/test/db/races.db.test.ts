/**
 * Check-then-write races and tenant blocking: concurrent creates cannot overrun a reseller's allocation,
 * a unique-constraint race is a CONFLICT (not a 500), and a disabled reseller blocks its customers.
 */
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { validateSession } from "../../auth/session.js";
import { PROVIDERS, type TestDb } from "../helpers/db.js";
import { domainCode } from "../helpers/expect.js";
import { as, caller, PASSWORD, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("races and blocking on %s", (provider) => {
  let t: TestDb;
  let w: World;
  useWorld(provider, (x) => ({ t, w } = x));

  it("six concurrent creates by a reseller with room for two: exactly two are accepted", async () => {
    // Reseller A's allocation: 4 containers, 2 used by its customers.
    const r = as(w, "resellerA");
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, (_, i) =>
        r.containers.create({
          tenantId: w.a.customers[0]!.tenant.id,
          planId: w.a.plan.id,
          hostname: `race${i}.test`,
          template: "busybox",
        }),
      ),
    );
    await waitForAllOperations();
    const ok = results.filter((x) => x.status === "fulfilled");
    const refused = results.filter((x): x is PromiseRejectedResult => x.status === "rejected");
    expect(ok).toHaveLength(2);
    expect(refused).toHaveLength(4);
    for (const x of refused) expect(domainCode(x.reason as TRPCError)).toBe("QUOTA_EXCEEDED");
    const count = await t.db.container.count({
      where: { OR: [{ tenantId: w.a.tenant.id }, { tenant: { parentId: w.a.tenant.id } }] },
    });
    expect(count).toBe(4);
  });

  it("two concurrent tenant creates with one email: one succeeds, the other is a CONFLICT", async () => {
    const mk = () =>
      as(w, "admin").tenants.create({
        name: "Twin",
        kind: "customer",
        user: { email: "twin@test.example", name: "Twin", password: "twin-password-1" },
      });
    const results = await Promise.allSettled([mk(), mk()]);
    const codes = results.map((x) => (x.status === "fulfilled" ? "OK" : (x.reason as TRPCError).code)).sort();
    expect(codes).toEqual(["CONFLICT", "OK"]);
    expect(await t.db.user.count({ where: { email: "twin@test.example" } })).toBe(1);
  });

  it("disabling a reseller blocks its customers' logins and sessions", async () => {
    const cookies: string[] = [];
    const anon = caller(t.db, null, { setCookie: (c) => cookies.push(c) });
    await anon.auth.login({ email: "customer-b2@test.example", password: PASSWORD });
    const token = /ovz_session=([^;]+)/.exec(cookies[0]!)![1]!;
    expect(await validateSession(t.db, token)).not.toBeNull();

    await as(w, "admin").tenants.update({ tenantId: w.b.tenant.id, disabled: true });
    expect(await validateSession(t.db, token)).toBeNull();
    const e = await anon.auth.login({ email: "customer-b2@test.example", password: PASSWORD }).then(
      () => null,
      (x: TRPCError) => x,
    );
    expect(e?.code).toBe("UNAUTHORIZED");
    expect(e?.message).toMatch(/^Your provider Reseller B is suspended/);
    await as(w, "admin").tenants.update({ tenantId: w.b.tenant.id, disabled: false });
    await expect(anon.auth.login({ email: "customer-b2@test.example", password: PASSWORD })).resolves.toMatchObject({
      role: "customer",
    });
  });
});
