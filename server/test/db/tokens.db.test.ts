import { describe, expect, it } from "vitest";
import { validateApiToken } from "../../auth/api-token.js";
import { sha256Hex } from "../../auth/crypto.js";
import type { Actor } from "../../auth/roles.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, type World, useWorld } from "../helpers/world.js";

/** The actor createContext builds for a bearer token. */
async function tokenActor(w: World, bearer: string): Promise<Actor | null> {
  const t = await validateApiToken(w.db, bearer);
  return t
    ? {
        userId: t.userId,
        role: t.role as Actor["role"],
        tenantId: t.tenantId,
        label: `token:${t.name} (${t.user.email})`,
        via: "token",
        tokenId: t.id,
      }
    : null;
}

describe.each(PROVIDERS)("API tokens on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("create returns the token once; the database keeps only the secret's hash", async () => {
    const r = await as(w, "resellerA").tokens.create({ name: "billing", expiresInDays: 30 });
    expect(r).toMatchObject({ name: "billing", role: "reseller" });
    const m = /^ovz_([a-z0-9]+)_([a-z2-7]+)$/.exec(r.token);
    expect(m).not.toBeNull();
    expect(m![1]).toBe(r.id);
    const row = await w.db.apiToken.findUniqueOrThrow({ where: { id: r.id } });
    expect(row.secretHash).toBe(sha256Hex(m![2]!));
    expect(JSON.stringify(row)).not.toContain(m![2]!);
    expect(row).toMatchObject({
      role: "reseller",
      tenantId: w.a.tenant.id,
      userId: w.a.user.id,
      revokedAt: null,
      lastUsedAt: null,
    });
    expect(row.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 29 * 86400_000);
    expect(row.expiresAt!.getTime()).toBeLessThan(Date.now() + 31 * 86400_000);

    const list = await as(w, "resellerA").tokens.list();
    expect(list.map((x) => x.id)).toContain(r.id);
    expect(JSON.stringify(list)).not.toContain(m![2]!);
    expect(list.every((x) => !("secretHash" in x))).toBe(true);
    // Other users do not see it.
    expect((await as(w, "resellerB").tokens.list()).map((x) => x.id)).not.toContain(r.id);
    expect((await as(w, "admin").tokens.list()).map((x) => x.id)).not.toContain(r.id);

    const audit = await w.db.auditLog.findFirstOrThrow({ where: { action: "token.create", target: "token billing" } });
    expect(audit).toMatchObject({ userId: w.a.user.id, tenantId: w.a.tenant.id, actor: "reseller-a@test.example" });
    expect(audit.details).not.toContain(m![2]!);
  });

  it("validateApiToken accepts the token and the token acts with its role in its tenant", async () => {
    const r = await as(w, "customerA1").tokens.create({ name: "script" });
    const v = await validateApiToken(w.db, r.token);
    expect(v?.id).toBe(r.id);
    expect(v?.user.email).toBe("customer-a1@test.example");
    expect((await w.db.apiToken.findUniqueOrThrow({ where: { id: r.id } })).lastUsedAt).not.toBeNull();
    const actor = (await tokenActor(w, r.token))!;
    const me = await caller(w.db, actor).auth.me();
    expect(me).toMatchObject({ email: "customer-a1@test.example", role: "customer", via: "token" });
    const list = await caller(w.db, actor).containers.list();
    expect(list.map((c) => c.id)).toEqual([w.a.customers[0]!.container.id]);
    // Tokens cannot mint tokens or change passwords.
    await expectCode(caller(w.db, actor).tokens.create({ name: "child" }), "FORBIDDEN");
    await expectCode(
      caller(w.db, actor).auth.changePassword({ current: "correct-horse-battery", next: "new-password-xx" }),
      "FORBIDDEN",
    );
  });

  it("a tampered, malformed, expired or disabled-user token is rejected", async () => {
    const r = await as(w, "customerA2").tokens.create({ name: "t2" });
    const last = r.token.at(-1) === "a" ? "b" : "a";
    expect(await validateApiToken(w.db, r.token.slice(0, -1) + last)).toBeNull();
    expect(await validateApiToken(w.db, r.token + "x")).toBeNull();
    expect(await validateApiToken(w.db, "Bearer " + r.token)).toBeNull();
    expect(await validateApiToken(w.db, "")).toBeNull();
    expect(await validateApiToken(w.db, `ovz_${"z".repeat(25)}_${"a".repeat(40)}`)).toBeNull();
    expect(await validateApiToken(w.db, r.token)).not.toBeNull();

    await w.db.apiToken.update({ where: { id: r.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
    expect(await validateApiToken(w.db, r.token)).toBeNull();
    await w.db.apiToken.update({ where: { id: r.id }, data: { expiresAt: null } });
    expect(await validateApiToken(w.db, r.token)).not.toBeNull();

    await as(w, "resellerA").users.setDisabled({ userId: w.a.customers[1]!.user.id, disabled: true });
    expect(await validateApiToken(w.db, r.token)).toBeNull();
    await as(w, "resellerA").users.setDisabled({ userId: w.a.customers[1]!.user.id, disabled: false });
    expect(await validateApiToken(w.db, r.token)).not.toBeNull();
  });

  it("a revoked token is rejected; only its owner or an admin may revoke", async () => {
    const mine = await as(w, "customerB1").tokens.create({ name: "to-revoke" });
    await expectCode(as(w, "customerA1").tokens.revoke({ tokenId: mine.id }), "NOT_FOUND");
    await expectCode(as(w, "resellerB").tokens.revoke({ tokenId: mine.id }), "NOT_FOUND");
    expect(await validateApiToken(w.db, mine.token)).not.toBeNull();
    expect(await as(w, "customerB1").tokens.revoke({ tokenId: mine.id })).toEqual({ ok: true });
    expect((await w.db.apiToken.findUniqueOrThrow({ where: { id: mine.id } })).revokedAt).toBeInstanceOf(Date);
    expect(await validateApiToken(w.db, mine.token)).toBeNull();
    const listed = (await as(w, "customerB1").tokens.list()).find((x) => x.id === mine.id);
    expect(listed?.revokedAt).toBeInstanceOf(Date);
    expect(
      await w.db.auditLog.count({
        where: { action: "token.revoke", target: "token to-revoke", userId: w.b.customers[0]!.user.id },
      }),
    ).toBe(1);

    const other = await as(w, "resellerB").tokens.create({ name: "admin-revokes" });
    expect(await as(w, "admin").tokens.revoke({ tokenId: other.id })).toEqual({ ok: true });
    expect(await validateApiToken(w.db, other.token)).toBeNull();
    await expectCode(as(w, "admin").tokens.revoke({ tokenId: "no-such-token" }), "NOT_FOUND");
  });

  it("a token's role cannot exceed its creator's", async () => {
    const before = await w.db.apiToken.count();
    const e = await expectCode(as(w, "customerA1").tokens.create({ name: "up", role: "admin" }), "FORBIDDEN");
    expect(e.message).toMatch(/more rights/);
    await expectCode(as(w, "customerA1").tokens.create({ name: "up", role: "reseller" }), "FORBIDDEN");
    await expectCode(as(w, "resellerA").tokens.create({ name: "up", role: "admin" }), "FORBIDDEN");
    expect(await w.db.apiToken.count()).toBe(before);
    // Lower is fine, and the token then acts with the lower role.
    const down = await as(w, "resellerA").tokens.create({ name: "down", role: "customer" });
    expect(down.role).toBe("customer");
    const actor = (await tokenActor(w, down.token))!;
    expect(actor.role).toBe("customer");
    await expectCode(caller(w.db, actor).tenants.list(), "FORBIDDEN");
    const adminDown = await as(w, "admin").tokens.create({ name: "admin-as-reseller", role: "reseller" });
    expect((await w.db.apiToken.findUniqueOrThrow({ where: { id: adminDown.id } })).role).toBe("reseller");
  });
});
