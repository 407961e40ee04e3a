/**
 * containers.clone on both databases (fake engine): the checks of a create (tenant scope, plan, allocation,
 * addresses from the pools of the source's mode), an operation of type "clone" that ends with a stopped copy
 * with the source's effective limits and settings, and a failed clone that leaves no row and no address.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import { PROVIDERS } from "../helpers/db.js";
import { domainCode, expectCode, holdEngine, rowCounts } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const MiB = 1024 * 1024;

describe.each(PROVIDERS)("containers.clone on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(async () => {
    await waitForAllOperations();
    fakeEngine().failNext.clear();
  });

  const a1 = () => w.a.customers[0]!.container;
  const done = async (opId: string) => {
    await waitForAllOperations();
    return w.db.operation.findUniqueOrThrow({ where: { id: opId }, include: { lines: { orderBy: { id: "asc" } } } });
  };
  /** Remove a clone again (row, addresses, engine) so later tests start from the world as built. */
  const drop = async (ctid: number) => {
    const row = await w.db.container.findFirst({ where: { ctid } });
    if (row) {
      await w.db.ipAddress.deleteMany({ where: { containerId: row.id } });
      await w.db.operation.updateMany({ where: { containerId: row.id }, data: { containerId: null } });
      await w.db.container.delete({ where: { id: row.id } });
    }
    fakeEngine().containers.delete(ctid);
    fakeEngine().nets.delete(ctid);
  };

  it("a reseller clones its customer's container: an operation, the next ctid, a new address, the source's settings", async () => {
    const firewall = {
      enabled: true,
      policyIn: "drop",
      policyOut: "accept",
      rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "22" }],
    };
    await w.db.container.update({
      where: { id: a1().id },
      data: {
        overrides: JSON.stringify({ ram: 200 * MiB }),
        firewall: JSON.stringify(firewall),
        nameservers: JSON.stringify(["198.18.0.53"]),
        sshKeys: "ssh-ed25519 AAAA k",
        onboot: true,
        features: '["tun"]',
      },
    });
    fakeEngine().containers.get(a1().ctid)!.features = ["tun"];
    fakeEngine().passwords.set(`${a1().ctid}:root`, "root-secret");
    const op = await as(w, "resellerA").containers.clone({
      containerId: a1().id,
      hostname: " Copy.Test ",
      name: "copy1",
    });
    expect(op).toMatchObject({
      type: "clone",
      status: "running",
      tenantId: w.a.customers[0]!.tenant.id,
      userId: w.a.user.id,
      message: "clone container 101 as 106",
    });
    const finished = await done(op.id);
    expect(finished).toMatchObject({ status: "succeeded", progress: 100, error: null });
    expect(finished.lines.map((l) => l.line)).toContain("container 106 cloned from 101");

    const row = await w.db.container.findUniqueOrThrow({
      where: { id: op.containerId! },
      include: { addresses: true },
    });
    expect(row).toMatchObject({
      ctid: 106,
      hostname: "copy.test",
      name: "copy1",
      state: "stopped",
      template: "busybox",
      netMode: "venet",
      onboot: true,
      tenantId: a1().tenantId,
      planId: a1().planId,
      nodeId: a1().nodeId,
      nameservers: '["198.18.0.53"]',
      sshKeys: "ssh-ed25519 AAAA k",
      // the source's features, as the engine copied them
      features: '["tun"]',
    });
    expect(fakeEngine().containers.get(106)!.features).toEqual(["tun"]);
    expect(JSON.parse(row.overrides)).toEqual({ ram: 200 * MiB });
    expect(JSON.parse(row.firewall)).toEqual(firewall);
    // the plan's one address, the lowest free one of the pool (the source keeps its own)
    expect(row.addresses.map((a) => a.address)).toEqual(["198.18.0.15"]);
    expect((await w.db.ipAddress.findMany({ where: { containerId: a1().id } })).map((a) => a.address)).toEqual([
      "198.18.0.10",
    ]);

    // the engine got the source's effective limits and the clone's own network
    const eng = fakeEngine().containers.get(106)!;
    expect(eng).toMatchObject({
      ctid: 106,
      name: "copy1",
      hostname: "copy.test",
      state: "stopped",
      onboot: true,
      ips: ["198.18.0.15"],
    });
    expect(eng.limits).toMatchObject({ ram: 200 * MiB, cpus: 1, diskspace: 1024 * MiB });
    expect(fakeEngine().nets.get(106)).toMatchObject({
      venet: ["198.18.0.15"],
      nameservers: ["198.18.0.53"],
      firewall,
    });
    expect(fakeEngine().passwords.get("106:root")).toBe("root-secret");

    const audit = await w.db.auditLog.findFirstOrThrow({ where: { action: "container.clone" } });
    expect(audit).toMatchObject({ target: "container 106 (copy.test)", tenantId: a1().tenantId, userId: w.a.user.id });
    expect(JSON.parse(audit.details)).toEqual({
      plan: "small-a",
      template: "busybox",
      node: "local",
      netMode: "venet",
      ips: ["198.18.0.15"],
      source: 101,
    });
    // the customer sees its new container
    expect((await as(w, "customerA1").containers.list()).map((c) => c.ctid)).toEqual([101, 106]);
    await drop(106);
    await w.db.container.update({
      where: { id: a1().id },
      data: { overrides: "{}", firewall: "{}", nameservers: "[]", sshKeys: "", onboot: false },
    });
  });

  it("admins choose the ctid; resellers may not; customers of a plan without clones do not; others' are not found", async () => {
    const op = await as(w, "admin").containers.clone({ containerId: a1().id, hostname: "admin-copy.test", ctid: 700 });
    expect((await done(op.id)).status).toBe("succeeded");
    expect(fakeEngine().containers.get(700)?.hostname).toBe("admin-copy.test");
    const before = await rowCounts(w.db);
    await expectCode(
      as(w, "resellerA").containers.clone({ containerId: a1().id, hostname: "x.test", ctid: 701 }),
      "FORBIDDEN",
    );
    await expectCode(as(w, "customerA1").containers.clone({ containerId: a1().id, hostname: "x.test" }), "FORBIDDEN");
    await expectCode(as(w, "resellerB").containers.clone({ containerId: a1().id, hostname: "x.test" }), "NOT_FOUND");
    // a taken ctid or name is refused before anything is made
    const taken = await expectCode(
      as(w, "admin").containers.clone({ containerId: a1().id, hostname: "x.test", ctid: 700 }),
      "CONFLICT",
    );
    expect(taken.message).toMatch(/Container id 700 is taken/);
    await w.db.container.updateMany({ where: { ctid: 700 }, data: { name: "taken-name" } });
    const named = await expectCode(
      as(w, "resellerA").containers.clone({ containerId: a1().id, hostname: "x.test", name: "taken-name" }),
      "CONFLICT",
    );
    expect(named.message).toMatch(/already used by container 700/);
    expect(await rowCounts(w.db)).toEqual(before);
    await drop(700);
  });

  it("customers clone their own container within their plan's self-service quota and the reseller's allocation", async () => {
    const plan = { id: a1().planId };
    const customer = as(w, "customerA1");
    const before = await rowCounts(w.db);
    // 0 (the default): customers do not clone
    const no = await expectCode(
      customer.containers.clone({ containerId: a1().id, hostname: "mine.test" }),
      "FORBIDDEN",
    );
    expect(no.message).toMatch(/does not let customers make their own containers; ask your provider/);
    // 1: the one they hold already fills it
    await w.db.plan.update({ where: plan, data: { customerMaxContainers: 1 } });
    const full = await expectCode(
      customer.containers.clone({ containerId: a1().id, hostname: "mine.test" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(full.message).toMatch(/lets you hold 1 container in total; you have 1 container\./);
    // the reseller's allocation still applies to a customer's clone
    await w.db.plan.update({ where: plan, data: { customerMaxContainers: 2 } });
    await w.db.container.update({ where: { id: a1().id }, data: { overrides: JSON.stringify({ ram: 600 * MiB }) } });
    await expectCode(
      customer.containers.clone({ containerId: a1().id, hostname: "mine.test" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    await w.db.container.update({ where: { id: a1().id }, data: { overrides: "{}" } });
    // not a sibling's container, and never a chosen ctid
    await expectCode(
      customer.containers.clone({ containerId: w.a.customers[1]!.container.id, hostname: "mine.test" }),
      "NOT_FOUND",
    );
    await expectCode(
      customer.containers.clone({ containerId: a1().id, hostname: "mine.test", ctid: 900 }),
      "FORBIDDEN",
    );
    expect(await rowCounts(w.db)).toEqual(before);

    const op = await customer.containers.clone({ containerId: a1().id, hostname: "mine.test", name: "mine" });
    expect((await done(op.id)).status).toBe("succeeded");
    const row = await w.db.container.findFirstOrThrow({
      where: { hostname: "mine.test" },
      include: { addresses: true },
    });
    expect(row).toMatchObject({ tenantId: a1().tenantId, planId: a1().planId, name: "mine", state: "stopped" });
    // a fresh address from the pool, never the source's
    expect(row.addresses.map((a) => a.address)).toEqual(["198.18.0.15"]);
    expect(fakeEngine().containers.get(row.ctid)).toMatchObject({ hostname: "mine.test", ips: ["198.18.0.15"] });
    const audit = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.clone", target: { contains: "mine" } },
    });
    expect(audit.userId).toBe(w.a.customers[0]!.user.id);
    // now at 2 of 2
    await expectCode(
      customer.containers.clone({ containerId: a1().id, hostname: "third.test" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    await drop(row.ctid);
    await w.db.plan.update({ where: plan, data: { customerMaxContainers: 0 } });
  });

  it("is refused beyond the reseller's allocation, counting the source's effective limits", async () => {
    // allocation: 1024 MiB RAM; the two containers use 2 × 256 MiB; a clone with 600 MiB would not fit
    await w.db.container.update({ where: { id: a1().id }, data: { overrides: JSON.stringify({ ram: 600 * MiB }) } });
    const before = await rowCounts(w.db);
    const e = await expectCode(
      as(w, "resellerA").containers.clone({ containerId: a1().id, hostname: "big.test" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e.message).toMatch(/MiB RAM: would use 1456 of 1024/);
    expect(await rowCounts(w.db)).toEqual(before);
    await w.db.container.update({ where: { id: a1().id }, data: { overrides: "{}" } });
  });

  it("a clone the engine refuses leaves no row and frees its address", async () => {
    fakeEngine().failNext.set("container.clone", new EngineError("NO_SPACE", "not enough space in the storage pool"));
    const op = await as(w, "resellerA").containers.clone({ containerId: a1().id, hostname: "fail.test" });
    const finished = await done(op.id);
    expect(finished).toMatchObject({ status: "failed" });
    expect(finished.error).toMatch(/not enough space/);
    expect(await w.db.container.findFirst({ where: { hostname: "fail.test" } })).toBeNull();
    expect(await w.db.ipAddress.count({ where: { address: "198.18.0.15" } })).toBe(0);
    expect(fakeEngine().containers.has(106)).toBe(false);
    // the operation stays in the history without its container
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: op.id } })).containerId).toBeNull();
  });

  it("a container with another operation running is not cloned until it ends", async () => {
    const hold = holdEngine("container.start");
    try {
      const start = await as(w, "resellerA").containers.start({ containerId: a1().id });
      const e = await expectCode(
        as(w, "resellerA").containers.clone({ containerId: a1().id, hostname: "busy.test" }),
        "CONFLICT",
      );
      expect(e.message).toMatch(/Container 101 is busy: its start \(operation \w+\) is still running/);
      hold.release();
      expect((await done(start.id)).status).toBe("succeeded");
    } finally {
      hold.restore();
    }
    expect(await w.db.container.findFirst({ where: { hostname: "busy.test" } })).toBeNull();
    await as(w, "resellerA").containers.stop({ containerId: a1().id });
    await waitForAllOperations();
  });

  it("a container still being created cannot be cloned", async () => {
    await w.db.container.update({ where: { id: a1().id }, data: { state: "creating" } });
    const e = await expectCode(
      as(w, "resellerA").containers.clone({ containerId: a1().id, hostname: "early.test" }),
      "CONFLICT",
    );
    expect(domainCode(e)).toBe("CONFLICT");
    expect(e.message).toMatch(/still being created/);
    await w.db.container.update({ where: { id: a1().id }, data: { state: "stopped" } });
  });
});
