import { describe, expect, it } from "vitest";
import { defaultLimits } from "../../services/limits.js";
import { PROVIDERS } from "../helpers/db.js";
import { domainCode, expectCode } from "../helpers/expect.js";
import { as, type World, useWorld } from "../helpers/world.js";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;

describe.each(PROVIDERS)("plans and allocations on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("plans.list: a reseller sees its own plans (and the platform's) with usage counts, an admin all", async () => {
    const mine = await as(w, "resellerA").plans.list();
    expect(mine.map((p) => p.name)).toEqual(["small-a", "starter"]);
    expect(mine.find((p) => p.id === w.b.plan.id)).toBeUndefined();
    expect(mine[1]).toMatchObject({ id: w.platformPlan.id, owner: { kind: "platform" } });
    expect(mine[0]).toMatchObject({
      id: w.a.plan.id,
      tenantId: w.a.tenant.id,
      name: "small-a",
      templates: ["busybox"],
      containers: 2,
      owner: { name: "Reseller A", kind: "reseller" },
    });
    expect(mine[0]!.limits).toMatchObject({ ram: 256 * MiB, diskspace: GiB, cpus: 1, swap: 0 });
    const all = await as(w, "admin").plans.list();
    expect(all.map((p) => p.id).sort()).toEqual([w.platformPlan.id, w.a.plan.id, w.b.plan.id].sort());
    expect(all.find((p) => p.id === w.platformPlan.id)!.containers).toBe(1);
    await expectCode(as(w, "customerA1").plans.list(), "FORBIDDEN");
  });

  it("plans.create fills unspecified limits with defaults and records an audit entry", async () => {
    const p = await as(w, "resellerA").plans.create({
      name: "medium-a",
      limits: { ram: 512 * MiB, cpus: 2, diskspace: 2 * GiB },
      bandwidthMbps: 100,
      ipCount: 1,
      templates: ["busybox", "debian-12"],
    });
    expect(p).toMatchObject({
      tenantId: w.a.tenant.id,
      name: "medium-a",
      bandwidthMbps: 100,
      ipCount: 1,
      templates: ["busybox", "debian-12"],
    });
    expect(p.limits).toEqual({ ...defaultLimits(), ram: 512 * MiB, cpus: 2, diskspace: 2 * GiB });
    const row = await w.db.plan.findUniqueOrThrow({ where: { id: p.id } });
    expect(JSON.parse(row.limits)).toEqual(p.limits);
    expect(JSON.parse(row.templates)).toEqual(["busybox", "debian-12"]);
    const audit = await w.db.auditLog.findFirstOrThrow({ where: { action: "plan.create", target: "plan medium-a" } });
    expect(audit).toMatchObject({ tenantId: w.a.tenant.id, userId: w.a.user.id });
    // Same name again for the same owner: CONFLICT; another reseller may use the name.
    await expectCode(
      as(w, "resellerA").plans.create({
        name: "medium-a",
        limits: { cpus: 1 },
        bandwidthMbps: 0,
        ipCount: 1,
        templates: ["busybox"],
      }),
      "CONFLICT",
    );
    const b = await as(w, "resellerB").plans.create({
      name: "medium-a",
      limits: { cpus: 1 },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    });
    expect(b.tenantId).toBe(w.b.tenant.id);
  });

  it("plans.create rejects invalid limits and reseller plans without vCPUs", async () => {
    const before = await w.db.plan.count();
    const base = { bandwidthMbps: 0, ipCount: 1, templates: ["busybox"] };
    await expectCode(as(w, "resellerA").plans.create({ name: "no-cpu", limits: {}, ...base }), "BAD_REQUEST");
    await expectCode(
      as(w, "resellerA").plans.create({ name: "tiny", limits: { ram: 1, cpus: 1 }, ...base }),
      "BAD_REQUEST",
    );
    await expectCode(
      as(w, "resellerA").plans.create({ name: "bogus", limits: { cpus: 1, bogus: 5 } as never, ...base }),
      "BAD_REQUEST",
    );
    await expectCode(
      as(w, "resellerA").plans.create({ name: "no-tpl", limits: { cpus: 1 }, ...base, templates: [] }),
      "BAD_REQUEST",
    );
    await expectCode(as(w, "customerA1").plans.create({ name: "cust", limits: { cpus: 1 }, ...base }), "FORBIDDEN");
    expect(await w.db.plan.count()).toBe(before);
    // Admins may sell "all CPUs" (0).
    const p = await as(w, "admin").plans.create({ name: "all-cpus", limits: {}, ...base });
    expect(p).toMatchObject({ tenantId: w.platform.id, limits: { cpus: 0 } });
  });

  it("raising a reseller plan beyond the allocation is refused with QUOTA_EXCEEDED naming each item", async () => {
    // small-a runs 2 containers; allocation: 4 vCPUs, 1024 MiB RAM.
    const e = await expectCode(
      as(w, "resellerA").plans.update({ planId: w.a.plan.id, limits: { ram: 1024 * MiB, cpus: 3 } }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e.message).toContain("MiB RAM: would use 2048 of 1024");
    expect(e.message).toContain("vCPUs: would use 6 of 4");
    expect(e.message).not.toContain("MiB disk");
    const ip = await expectCode(
      as(w, "resellerA").plans.update({ planId: w.a.plan.id, ipCount: 5 }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(ip.message).toContain("IP addresses: would use 10 of 8");
    // Admins are held to the reseller's allocation too when editing a reseller's plan.
    await expectCode(
      as(w, "admin").plans.update({ planId: w.a.plan.id, limits: { ram: 1024 * MiB } }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    const row = await w.db.plan.findUniqueOrThrow({ where: { id: w.a.plan.id } });
    expect(JSON.parse(row.limits).ram).toBe(256 * MiB);
    expect(row.ipCount).toBe(1);
    expect(await w.db.auditLog.count({ where: { action: "plan.update", tenantId: w.a.tenant.id } })).toBe(0);
  });

  it("a plan raise that still fits is applied, and shows in the allocation usage", async () => {
    const before = (await as(w, "resellerA").allocations.get({ tenantId: w.a.tenant.id })).used;
    expect(before).toEqual({ containers: 2, cpus: 2, ramMb: 512, swapMb: 0, diskMb: 2048, ipCount: 2 });
    const u = await as(w, "resellerA").plans.update({
      planId: w.a.plan.id,
      limits: { ram: 512 * MiB },
      bandwidthMbps: 50,
    });
    expect(u).toMatchObject({
      id: w.a.plan.id,
      name: "small-a",
      bandwidthMbps: 50,
      limits: { ram: 512 * MiB, cpus: 1, diskspace: GiB },
    });
    expect(JSON.parse((await w.db.plan.findUniqueOrThrow({ where: { id: w.a.plan.id } })).limits).ram).toBe(512 * MiB);
    const after = (await as(w, "resellerA").allocations.get({ tenantId: w.a.tenant.id })).used;
    expect(after).toEqual({ ...before, ramMb: 1024 });
    expect(await w.db.auditLog.count({ where: { action: "plan.update", tenantId: w.a.tenant.id } })).toBe(1);
    // Back down (later tests rely on the world's numbers).
    await as(w, "resellerA").plans.update({ planId: w.a.plan.id, limits: { ram: 256 * MiB } });
  });

  it("renaming a plan to a name its owner already uses is a CONFLICT, not a server error", async () => {
    const p = await as(w, "resellerB").plans.create({
      name: "rename-me",
      limits: { cpus: 1 },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    });
    const e = await expectCode(as(w, "resellerB").plans.update({ planId: p.id, name: "small-b" }), "CONFLICT");
    expect(domainCode(e)).toBe("CONFLICT");
    expect((await w.db.plan.findUniqueOrThrow({ where: { id: p.id } })).name).toBe("rename-me");
    expect((await as(w, "resellerB").plans.update({ planId: p.id, name: "renamed" })).name).toBe("renamed");
  });

  it("plans of another reseller are NOT_FOUND for update and delete", async () => {
    await expectCode(as(w, "resellerA").plans.update({ planId: w.b.plan.id, bandwidthMbps: 1 }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").plans.delete({ planId: w.b.plan.id }), "NOT_FOUND");
    // Platform plans may be sold by resellers, but not edited or deleted.
    await expectCode(as(w, "resellerA").plans.update({ planId: w.platformPlan.id, bandwidthMbps: 1 }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").plans.delete({ planId: w.platformPlan.id }), "NOT_FOUND");
    expect((await w.db.plan.findUniqueOrThrow({ where: { id: w.platformPlan.id } })).bandwidthMbps).toBe(0);
    expect(await w.db.plan.findUnique({ where: { id: w.b.plan.id } })).not.toBeNull();
  });

  it("a plan in use cannot be deleted; an unused one can", async () => {
    const e = await expectCode(as(w, "resellerA").plans.delete({ planId: w.a.plan.id }), "CONFLICT");
    expect(e.message).toMatch(/used by 2 container/);
    expect(await w.db.plan.findUnique({ where: { id: w.a.plan.id } })).not.toBeNull();
    const p = await as(w, "resellerA").plans.create({
      name: "throwaway",
      limits: { cpus: 1 },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    });
    expect(await as(w, "resellerA").plans.delete({ planId: p.id })).toEqual({ ok: true });
    expect(await w.db.plan.findUnique({ where: { id: p.id } })).toBeNull();
    expect(
      await w.db.auditLog.count({
        where: { action: "plan.delete", target: "plan throwaway", tenantId: w.a.tenant.id },
      }),
    ).toBe(1);
    await expectCode(as(w, "resellerA").plans.delete({ planId: p.id }), "NOT_FOUND");
  });

  it("allocations.list shows every reseller's allocation and usage (admin only)", async () => {
    const list = await as(w, "admin").allocations.list();
    const a = list.find((x) => x.tenantId === w.a.tenant.id)!;
    expect(a).toMatchObject({
      name: "Reseller A",
      allocation: { containers: 4, cpus: 4, ramMb: 1024, swapMb: 1024, diskMb: 8192, ipCount: 8 },
      used: { containers: 2, cpus: 2, ramMb: 512, diskMb: 2048, ipCount: 2 },
    });
    expect(list.map((x) => x.tenantId).sort()).toEqual(
      (await w.db.tenant.findMany({ where: { kind: "reseller" } })).map((x) => x.id).sort(),
    );
    await expectCode(as(w, "resellerA").allocations.list(), "FORBIDDEN");
    await expectCode(as(w, "customerA1").allocations.list(), "FORBIDDEN");
  });

  it("allocations.get: own for a reseller, any reseller for an admin", async () => {
    const g = await as(w, "resellerB").allocations.get({ tenantId: w.b.tenant.id });
    expect(g).toMatchObject({
      tenantId: w.b.tenant.id,
      name: "Reseller B",
      allocation: { containers: 4, ramMb: 1024 },
      used: { containers: 2 },
    });
    await expectCode(as(w, "resellerB").allocations.get({ tenantId: w.a.tenant.id }), "NOT_FOUND");
    await expectCode(as(w, "resellerB").allocations.get({ tenantId: w.b.customers[0]!.tenant.id }), "BAD_REQUEST");
    expect((await as(w, "admin").allocations.get({ tenantId: w.a.tenant.id })).tenantId).toBe(w.a.tenant.id);
    await expectCode(as(w, "admin").allocations.get({ tenantId: w.platform.id }), "BAD_REQUEST");
  });

  it("allocations.set (admin) upserts; lowering it makes further sales fail with QUOTA_EXCEEDED", async () => {
    const r = await as(w, "admin").tenants.create({
      name: "Reseller D",
      kind: "reseller",
      user: { email: "reseller-d@test.example", name: "d", password: "reseller-d-pass" },
    });
    expect(await w.db.allocation.findUnique({ where: { tenantId: r.id } })).toBeNull();
    const set = await as(w, "admin").allocations.set({
      tenantId: r.id,
      containers: 1,
      cpus: 2,
      ramMb: 512,
      swapMb: 0,
      diskMb: 2048,
      ipCount: 1,
    });
    expect(set).toMatchObject({
      tenantId: r.id,
      containers: 1,
      cpus: 2,
      ramMb: 512,
      swapMb: 0,
      diskMb: 2048,
      ipCount: 1,
    });
    expect(await w.db.allocation.findUniqueOrThrow({ where: { tenantId: r.id } })).toMatchObject({
      containers: 1,
      ramMb: 512,
    });
    const audit = await w.db.auditLog.findFirstOrThrow({ where: { action: "allocation.set", tenantId: r.id } });
    expect(JSON.parse(audit.details)).toEqual({
      containers: 1,
      cpus: 2,
      ramMb: 512,
      swapMb: 0,
      diskMb: 2048,
      ipCount: 1,
    });

    // Lower reseller A to what it already uses: one more container no longer fits.
    await as(w, "admin").allocations.set({
      tenantId: w.a.tenant.id,
      containers: 2,
      cpus: 4,
      ramMb: 1024,
      swapMb: 1024,
      diskMb: 8192,
      ipCount: 8,
    });
    const e = await expectCode(
      as(w, "resellerA").containers.create({
        tenantId: w.a.customers[0]!.tenant.id,
        planId: w.a.plan.id,
        hostname: "extra.test",
        template: "busybox",
      }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e.message).toContain("containers: would use 3 of 2");
    expect(await w.db.container.count({ where: { hostname: "extra.test" } })).toBe(0);
    await as(w, "admin").allocations.set({
      tenantId: w.a.tenant.id,
      containers: 4,
      cpus: 4,
      ramMb: 1024,
      swapMb: 1024,
      diskMb: 8192,
      ipCount: 8,
    });

    await expectCode(
      as(w, "admin").allocations.set({
        tenantId: w.a.customers[0]!.tenant.id,
        containers: 1,
        cpus: 1,
        ramMb: 1,
        swapMb: 0,
        diskMb: 1,
        ipCount: 0,
      }),
      "BAD_REQUEST",
    );
    expect(await w.db.allocation.findUnique({ where: { tenantId: w.a.customers[0]!.tenant.id } })).toBeNull();
    await expectCode(
      as(w, "resellerA").allocations.set({
        tenantId: w.a.tenant.id,
        containers: 100,
        cpus: 100,
        ramMb: 100000,
        swapMb: 0,
        diskMb: 100000,
        ipCount: 100,
      }),
      "FORBIDDEN",
    );
    expect((await w.db.allocation.findUniqueOrThrow({ where: { tenantId: w.a.tenant.id } })).containers).toBe(4);
    await expectCode(
      as(w, "admin").allocations.set({
        tenantId: w.a.tenant.id,
        containers: -1,
        cpus: 1,
        ramMb: 1,
        swapMb: 0,
        diskMb: 1,
        ipCount: 0,
      }),
      "BAD_REQUEST",
    );
  });

  it("a reseller without an allocation cannot sell", async () => {
    const r = await as(w, "admin").tenants.create({
      name: "Reseller E",
      kind: "reseller",
      user: { email: "reseller-e@test.example", name: "e", password: "reseller-e-pass" },
    });
    const eUser = await w.db.user.findUniqueOrThrow({ where: { email: "reseller-e@test.example" } });
    const actor = {
      userId: eUser.id,
      role: "reseller" as const,
      tenantId: r.id,
      label: eUser.email,
      via: "session" as const,
    };
    const { caller } = await import("../helpers/world.js");
    const c = caller(w.db, actor);
    const plan = await c.plans.create({
      name: "e-plan",
      limits: { cpus: 1, ram: 256 * MiB },
      bandwidthMbps: 0,
      ipCount: 1,
      templates: ["busybox"],
    });
    const cust = await c.tenants.create({
      name: "E1",
      kind: "customer",
      user: { email: "e1@test.example", name: "e1", password: "e1-password-x" },
    });
    const e = await expectCode(
      c.containers.create({ tenantId: cust.id, planId: plan.id, hostname: "e1.test", template: "busybox" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e.message).toMatch(/no allocation/);
    expect(await w.db.container.count({ where: { tenantId: cust.id } })).toBe(0);
  });
});
