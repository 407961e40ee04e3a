/**
 * Snapshots, backups and SSH keys through the routers (fake engine, both databases): plan limits
 * (QUOTA_EXCEEDED saying what to delete), scoping (a foreign tenant gets NOT_FOUND), a backup row that
 * survives its container's destroy, restore as a new container (same tenant, allocation, addresses from
 * the pool, SSH keys written again), reinstall keep/wipe, SSH key validation with field errors.
 */
import { beforeEach, describe, expect, it } from "vitest";
import { PROVIDERS, type TestDb } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP7coomf1uTnwiIkXa4Sajst7lh2/P6IKu6SeRACWttd me@laptop";

describe.each(PROVIDERS)("snapshots, backups and SSH keys on %s", (provider) => {
  let t: TestDb;
  let w: World;
  useWorld(provider, (x) => ({ t, w } = x));
  beforeEach(async () => {
    await waitForAllOperations();
    fakeEngine().failNext.clear();
  });

  it("snapshots: the plan's maxSnapshots is enforced with a sentence naming what to delete; rollback and delete work", async () => {
    void t;
    const c = w.a.customers[0]!.container;
    const me = as(w, "customerA1");
    await w.db.plan.update({ where: { id: w.a.plan.id }, data: { maxSnapshots: 2 } });
    await me.snapshots.create({ containerId: c.id, name: "one" });
    await me.snapshots.create({ containerId: c.id, name: "two", description: "second" });
    const e = await expectCode(
      me.snapshots.create({ containerId: c.id, name: "three" }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e.message).toMatch(/allows 2 snapshot\(s\).*has 2; delete one \(one, two\) first/);
    expect((await me.snapshots.list({ containerId: c.id })).snapshots.map((s) => s.name)).toEqual(["one", "two"]);
    await me.snapshots.rollback({ containerId: c.id, name: "one" });
    await me.snapshots.delete({ containerId: c.id, name: "one" });
    await me.snapshots.create({ containerId: c.id, name: "three" });
    await expectCode(as(w, "customerB1").snapshots.list({ containerId: c.id }), "NOT_FOUND");
    await expectCode(as(w, "customerA2").snapshots.rollback({ containerId: c.id, name: "two" }), "NOT_FOUND");
  });

  it("backups: rows recorded, maxBackups enforced, a foreign tenant gets NOT_FOUND, the row survives destroy, restore as a new container", async () => {
    const c = w.a.customers[1]!.container;
    const me = as(w, "customerA2");
    await w.db.plan.update({ where: { id: w.a.plan.id }, data: { maxBackups: 1 } });
    await me.sshKeys.set({ containerId: c.id, keys: KEY });
    const op = await me.backups.create({ containerId: c.id });
    expect(op.type).toBe("backup");
    await waitForAllOperations();
    const [b] = (await me.backups.list({ containerId: c.id })).backups;
    expect(b).toMatchObject({
      ctid: c.ctid,
      containerId: c.id,
      tenantId: c.tenantId,
      hostname: c.hostname,
      template: "busybox",
      sizeBytes: 1234567,
    });
    const e = await expectCode(me.backups.create({ containerId: c.id }), "FORBIDDEN", "QUOTA_EXCEEDED");
    expect(e.message).toMatch(
      /allows 1 backup\(s\) per container and container \d+ has 1; delete an older backup first/,
    );

    // scoping: other customers and the other reseller see nothing and cannot act
    for (const who of ["customerA1", "customerB1", "resellerB"] as const) {
      expect((await as(w, who).backups.all()).map((x) => x.id)).not.toContain(b!.id);
      await expectCode(as(w, who).backups.restoreAsNew({ backupId: b!.id }), "NOT_FOUND");
      await expectCode(as(w, who).backups.delete({ backupId: b!.id }), "NOT_FOUND");
    }
    expect((await as(w, "resellerA").backups.all()).map((x) => x.id)).toContain(b!.id);

    // the container is destroyed: the row stays, detached, still the customer's
    await as(w, "resellerA").containers.destroy({ containerId: c.id, confirmHostname: c.hostname });
    await waitForAllOperations();
    expect(await w.db.container.findUnique({ where: { id: c.id } })).toBeNull();
    const all = await me.backups.all();
    expect(all).toEqual([expect.objectContaining({ id: b!.id, containerId: null, ctid: c.ctid })]);

    // a customer makes no containers, not even from its own backup, unless its plan is self-service
    // (customer-quota.db.test.ts): refused before any row or address is taken
    const rows = await w.db.container.count();
    const addrs = await w.db.ipAddress.count();
    await expectCode(me.backups.restoreAsNew({ backupId: b!.id, hostname: "mine.test" }), "FORBIDDEN");
    expect([await w.db.container.count(), await w.db.ipAddress.count()]).toEqual([rows, addrs]);

    // restore as a new container by the reseller: same tenant and plan, an address from the pool, the SSH keys again
    const r = await as(w, "resellerA").backups.restoreAsNew({ backupId: b!.id, hostname: "restored.test" });
    expect(r.type).toBe("restore");
    await waitForAllOperations();
    const op2 = await w.db.operation.findUniqueOrThrow({ where: { id: r.id } });
    expect(op2.status).toBe("succeeded");
    const n = await w.db.container.findUniqueOrThrow({ where: { id: r.containerId! }, include: { addresses: true } });
    expect(n).toMatchObject({
      tenantId: c.tenantId,
      planId: c.planId,
      hostname: "restored.test",
      state: "stopped",
      sshKeys: KEY,
    });
    expect(n.addresses).toHaveLength(1);
    expect(fakeEngine().containers.get(n.ctid)).toMatchObject({ hostname: "restored.test" });
    expect(fakeEngine().sshKeys.get(n.ctid)).toBe(KEY);
    const audit = await w.db.auditLog.findMany({ where: { action: "container.restoreAsNew" } });
    expect(audit).toHaveLength(1);

    // a failing restore removes the new row (and its addresses)
    const before = await w.db.container.count();
    fakeEngine().failNext.set(
      "backup.restore",
      new (await import("../../../native/src/errors.js")).EngineError("NO_SPACE", "pool full"),
    );
    const r2 = await as(w, "resellerA").backups.restoreAsNew({ backupId: b!.id, hostname: "again.test" });
    await waitForAllOperations();
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: r2.id } })).status).toBe("failed");
    expect(await w.db.container.count()).toBe(before);

    // delete: gone from the node and the panel
    await me.backups.delete({ backupId: b!.id });
    expect(await me.backups.all()).toEqual([]);
    expect(fakeEngine().backups.has(b!.engineId)).toBe(false);
  });

  it("restore as a new container passes exactly the checks of a create: the plan's templates, the seller's plans, the allocation", async () => {
    const c = w.a.customers[0]!.container;
    const row = async (data: { template?: string; planId?: string }) =>
      w.db.backup.create({
        data: {
          engineId: (await fakeEngine().call("backup.create", { ctid: c.ctid })).id,
          nodeId: w.node.id,
          tenantId: c.tenantId,
          ctid: c.ctid,
          containerId: null,
          planId: data.planId ?? w.a.plan.id,
          hostname: "chk.test",
          template: data.template ?? "busybox",
          sizeBytes: BigInt(1),
        },
      });
    const before = await w.db.container.count();
    // the backed-up system's template is no longer allowed by its plan
    const notAllowed = await row({ template: "debian-12" });
    const e1 = await expectCode(as(w, "resellerA").backups.restoreAsNew({ backupId: notAllowed.id }), "BAD_REQUEST");
    expect(e1.message).toMatch(/does not allow template "debian-12"/);
    // a plan that is neither the reseller's own nor the platform's
    const own = await row({});
    await expectCode(as(w, "resellerA").backups.restoreAsNew({ backupId: own.id, planId: w.b.plan.id }), "NOT_FOUND");
    // beyond the reseller's allocation: exactly as many containers allowed as it has
    const has = await w.db.container.count({
      where: { tenant: { OR: [{ id: w.a.tenant.id }, { parentId: w.a.tenant.id }] } },
    });
    await w.db.allocation.update({ where: { tenantId: w.a.tenant.id }, data: { containers: has } });
    const e3 = await expectCode(
      as(w, "resellerA").backups.restoreAsNew({ backupId: own.id }),
      "FORBIDDEN",
      "QUOTA_EXCEEDED",
    );
    expect(e3.message).toMatch(/container/i);
    await w.db.allocation.update({ where: { tenantId: w.a.tenant.id }, data: { containers: 4 } });
    expect(await w.db.container.count()).toBe(before);
    await w.db.backup.deleteMany({ where: { id: { in: [notAllowed.id, own.id] } } });
  });

  it("SSH keys: invalid lines are field errors; valid keys are stored and written; reinstall keep/wipe writes them again", async () => {
    const c = w.b.customers[0]!.container;
    const me = as(w, "customerB1");
    const e = await expectCode(
      me.sshKeys.set({ containerId: c.id, keys: `${KEY}\nssh-rsa notbase64!\nhello world` }),
      "BAD_REQUEST",
    );
    expect(e.message).toMatch(/line 2: .*line 3: unknown key type "hello"/);
    expect((e.cause as { fields?: Record<string, string> } | undefined)?.fields?.keys ?? JSON.stringify(e)).toMatch(
      /line 2/,
    );
    expect((await me.sshKeys.get({ containerId: c.id })).keys).toBe("");
    expect(await me.sshKeys.set({ containerId: c.id, keys: `# laptop\n${KEY}\n\n` })).toEqual({ count: 1 });
    // the comment is there when the form opens again (issue 17); the container gets the key alone
    expect((await me.sshKeys.get({ containerId: c.id })).keys).toBe(`# laptop\n${KEY}`);
    expect(fakeEngine().sshKeys.get(c.ctid)).toBe(KEY);
    const spaced = `  # work laptop  \n${KEY.replace(" ", "   ")}   \n\n\n\n# old desktop (retired)\n`;
    expect(await me.sshKeys.set({ containerId: c.id, keys: spaced })).toEqual({ count: 1 });
    expect((await me.sshKeys.get({ containerId: c.id })).keys).toBe(`# work laptop\n${KEY}\n\n# old desktop (retired)`);

    await expectCode(
      me.containers.reinstall({ containerId: c.id, template: "busybox", keepData: false }),
      "BAD_REQUEST",
    );
    await me.containers.reinstall({ containerId: c.id, template: "busybox", keepData: false, confirm: true });
    await waitForAllOperations();
    expect(fakeEngine().sshKeys.get(c.ctid)).toBe(KEY); // wiped by the fake's reinstall, written again by the panel
    const op = await me.containers.reinstall({ containerId: c.id, template: "busybox", keepData: true });
    await waitForAllOperations();
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: op.id } })).status).toBe("succeeded");
    const audits = await w.db.auditLog.findMany({ where: { action: "container.reinstall" }, orderBy: { id: "asc" } });
    expect(audits.map((a) => JSON.parse(a.details ?? "{}").keepData)).toEqual([false, true]);
  });
});
