/**
 * Container features in the panel (server/services/features.ts): allocation ⊇ a reseller's plan's allowed set ⊇ a
 * container's enabled set; the node (fake engine) gets the set; unknown names are refused; a plan cannot take away a
 * feature containers use; a plan change turns off what the new plan does not allow; vzctl set --features.
 */
import { describe, expect, it } from "vitest";
import { changePlan } from "../../services/billing.js";
import { CliError, VZ } from "../../cli/args.js";
import { vzctl } from "../../cli/vzctl.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld } from "../helpers/world.js";

const planBase = { limits: { cpus: 1 }, bandwidthMbps: 0, ipCount: 1, templates: ["busybox"] };

describe.each(PROVIDERS)("container features on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  const full = (id: string) =>
    w.db.container.findUniqueOrThrow({ where: { id }, include: { plan: true, node: true, tenant: true } });
  const engineFeatures = (ctid: number) => fakeEngine().containers.get(ctid)!.features;

  it("a reseller's plans allow only what its allocation allows; an admin's platform plans anything", async () => {
    // none in the allocation at first
    await expectCode(
      as(w, "resellerA").plans.create({ name: "vpn-a", ...planBase, allowedFeatures: ["tun"] }),
      "FORBIDDEN",
    );
    expect(await w.db.plan.count({ where: { name: "vpn-a" } })).toBe(0);
    const alloc = await w.db.allocation.findUniqueOrThrow({ where: { tenantId: w.a.tenant.id } });
    await as(w, "admin").allocations.set({
      tenantId: w.a.tenant.id,
      containers: alloc.containers,
      cpus: alloc.cpus,
      ramMb: alloc.ramMb,
      swapMb: alloc.swapMb,
      diskMb: alloc.diskMb,
      ipCount: alloc.ipCount,
      features: ["tun", "fuse"],
    });
    const p = await as(w, "resellerA").plans.create({ name: "vpn-a", ...planBase, allowedFeatures: ["tun", "tun"] });
    expect(p.allowedFeatures).toEqual(["tun"]);
    await expectCode(
      as(w, "resellerA").plans.update({ planId: p.id, allowedFeatures: ["tun", "nesting"] }),
      "FORBIDDEN",
    );
    // an admin editing the reseller's plan is held to the reseller's allocation too
    await expectCode(as(w, "admin").plans.update({ planId: p.id, allowedFeatures: ["keyctl"] }), "FORBIDDEN");
    expect(
      (await as(w, "resellerA").plans.update({ planId: p.id, allowedFeatures: ["fuse", "tun"] })).allowedFeatures,
    ).toEqual(["tun", "fuse"]);
    // reseller B's allocation was not touched
    await expectCode(as(w, "resellerB").plans.update({ planId: w.b.plan.id, allowedFeatures: ["tun"] }), "FORBIDDEN");
    const platform = await as(w, "admin").plans.update({
      planId: w.platformPlan.id,
      allowedFeatures: ["nesting", "keyctl"],
    });
    expect(platform.allowedFeatures).toEqual(["nesting", "keyctl"]);
    await expectCode(
      as(w, "admin").plans.update({ planId: w.platformPlan.id, allowedFeatures: ["kvm" as never] }),
      "BAD_REQUEST",
    );
  });

  it("a customer turns features on within the plan; the node gets them; outside the plan or unknown: refused", async () => {
    const c = w.a.customers[0]!.container;
    await w.db.plan.update({ where: { id: w.a.plan.id }, data: { allowedFeatures: '["tun","fuse"]' } });
    const view = await as(w, "customerA1").containers.features({ containerId: c.id });
    expect(view.allowed).toEqual(["tun", "fuse"]);
    expect(view.enabled).toEqual([]);
    expect(view.catalog.map((f) => f.key)).toEqual(["nesting", "tun", "fuse", "keyctl"]);

    const r = await as(w, "customerA1").containers.setFeatures({ containerId: c.id, features: ["fuse", "tun"] });
    expect(r.enabled).toEqual(["tun", "fuse"]);
    expect(engineFeatures(c.ctid)).toEqual(["tun", "fuse"]);
    expect(JSON.parse((await w.db.container.findUniqueOrThrow({ where: { id: c.id } })).features)).toEqual([
      "tun",
      "fuse",
    ]);
    const audit = await w.db.auditLog.findFirstOrThrow({ where: { action: "container.setFeatures" } });
    expect(audit.target).toContain(String(c.ctid));

    await expectCode(
      as(w, "customerA1").containers.setFeatures({ containerId: c.id, features: ["tun", "nesting"] }),
      "FORBIDDEN",
    );
    await expectCode(
      as(w, "customerA1").containers.setFeatures({ containerId: c.id, features: ["kvm"] }),
      "BAD_REQUEST",
    );
    // nothing changed on the node or in the row
    expect(engineFeatures(c.ctid)).toEqual(["tun", "fuse"]);
    // a sibling customer cannot touch it
    await expectCode(as(w, "customerA2").containers.setFeatures({ containerId: c.id, features: [] }), "NOT_FOUND");
  });

  it("a plan cannot take away a feature its containers use; once they turn it off it can", async () => {
    const c = w.a.customers[0]!.container;
    await expectCode(as(w, "resellerA").plans.update({ planId: w.a.plan.id, allowedFeatures: ["tun"] }), "CONFLICT");
    expect((await w.db.plan.findUniqueOrThrow({ where: { id: w.a.plan.id } })).allowedFeatures).toBe('["tun","fuse"]');
    await as(w, "customerA1").containers.setFeatures({ containerId: c.id, features: ["tun"] });
    const p = await as(w, "resellerA").plans.update({ planId: w.a.plan.id, allowedFeatures: ["tun"] });
    expect(p.allowedFeatures).toEqual(["tun"]);
  });

  it("a plan change turns off what the new plan does not allow", async () => {
    const c = w.a.customers[0]!.container;
    const target = await w.db.plan.findFirstOrThrow({ where: { name: "vpn-a" } });
    // the same limits as the current plan: only the features differ (the allocation is not the point here)
    const limits = (await w.db.plan.findUniqueOrThrow({ where: { id: w.a.plan.id } })).limits;
    await w.db.plan.update({ where: { id: target.id }, data: { allowedFeatures: '["fuse"]', limits } });
    await w.db.plan.update({ where: { id: w.a.plan.id }, data: { allowedFeatures: '["tun","fuse"]' } });
    await as(w, "customerA1").containers.setFeatures({ containerId: c.id, features: ["tun", "fuse"] });
    const ctx = { db: w.db, actor: w.actors.resellerA, ip: null, userAgent: null };
    await changePlan(ctx, await full(c.id), target.id);
    expect(engineFeatures(c.ctid)).toEqual(["fuse"]);
    expect((await full(c.id)).features).toBe('["fuse"]');
  });

  it("vzctl set --features name:on|off changes the set within the plan (OpenVZ syntax); bad values are refused", async () => {
    const c = w.directContainer;
    await w.db.plan.update({ where: { id: w.platformPlan.id }, data: { allowedFeatures: '["tun","fuse"]' } });
    const out: string[] = [];
    const cli = { db: w.db, actor: w.actors.admin, ip: null, userAgent: "vzctl", say: (s: string) => void out.push(s) };
    const run = async (...argv: string[]) => {
      try {
        return await vzctl(cli, argv);
      } catch (e) {
        if (!(e instanceof CliError)) throw e;
        out.push(e.message);
        return e.exitCode;
      }
    };
    expect(await run("set", String(c.ctid), "--features", "tun:on,fuse:on", "--save")).toBe(0);
    expect(engineFeatures(c.ctid)).toEqual(["tun", "fuse"]);
    expect(await run("set", String(c.ctid), "--features", "fuse:off")).toBe(0);
    expect(engineFeatures(c.ctid)).toEqual(["tun"]);
    expect(out.join("\n")).toMatch(/Features: tun/);
    expect(await run("set", String(c.ctid), "--features", "tun")).toBe(VZ.INVALID_PARAMETER_VALUE);
    expect(await run("set", String(c.ctid), "--features", "ppp:on")).toBe(VZ.INVALID_PARAMETER_VALUE);
    expect(out.join("\n")).toMatch(/unknown feature "ppp"; features are nesting, tun, fuse, keyctl/);
    // outside the plan: refused, nothing changed
    expect(await run("set", String(c.ctid), "--features", "nesting:on")).toBe(VZ.SYSTEM_ERROR);
    expect(out.at(-1)).toMatch(/The plan "starter" does not allow Nesting/);
    expect(engineFeatures(c.ctid)).toEqual(["tun"]);
  });
});
