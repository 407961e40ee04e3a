import { describe, expect, it } from "vitest";
import { unreachable } from "../../../native/src/protocol/dial.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, fakeEngine, type World, useWorld } from "../helpers/world.js";

describe.each(PROVIDERS)("nodes and templates on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("nodes.list shows nodes with container counts (admin only)", async () => {
    const list = await as(w, "admin").nodes.list();
    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({
      id: w.node.id,
      name: "local",
      endpoint: w.node.endpoint,
      _count: { containers: 5 },
    });
    await expectCode(as(w, "resellerA").nodes.list(), "FORBIDDEN");
    await expectCode(as(w, "customerA1").nodes.list(), "FORBIDDEN");
    await expectCode(caller(w.db, null).nodes.list(), "UNAUTHORIZED");
  });

  it("nodes.create registers a node (a second one only on PostgreSQL); duplicate names and bad endpoints are refused", async () => {
    if (provider === "sqlite") {
      const e = await expectCode(
        as(w, "admin").nodes.create({ name: "node-2", endpoint: "/run/ovz/node-2.sock" }),
        "CONFLICT",
      );
      expect(e.message).toMatch(/SQLite, which serves a single node\. Move the control plane to PostgreSQL first/);
      expect(await w.db.node.count()).toBe(1);
      // the refusal comes after the input checks: bad input is still BAD_REQUEST, a taken name CONFLICT
      await expectCode(as(w, "admin").nodes.create({ name: "node-3", endpoint: "relative.sock" }), "BAD_REQUEST");
      expect(
        (await expectCode(as(w, "admin").nodes.create({ name: "local", endpoint: "/run/ovz/x.sock" }), "CONFLICT"))
          .message,
      ).toBe("A node named local exists.");
      return;
    }
    const n = await as(w, "admin").nodes.create({ name: "node-2", endpoint: " /run/ovz/node-2.sock " });
    expect(n).toMatchObject({ name: "node-2", endpoint: "/run/ovz/node-2.sock" });
    expect(await w.db.node.findUniqueOrThrow({ where: { id: n.id } })).toMatchObject({
      name: "node-2",
      endpoint: "/run/ovz/node-2.sock",
    });
    const audit = await w.db.auditLog.findFirstOrThrow({ where: { action: "node.create" } });
    expect(audit).toMatchObject({ target: "node node-2", tenantId: null, userId: w.admin.id });
    expect((await as(w, "admin").nodes.list()).map((x) => x.name)).toEqual(["local", "node-2"]);
    await expectCode(as(w, "admin").nodes.create({ name: "node-2", endpoint: "/run/ovz/other.sock" }), "CONFLICT");
    await expectCode(as(w, "admin").nodes.create({ name: "node-3", endpoint: "relative.sock" }), "BAD_REQUEST");
    await expectCode(as(w, "admin").nodes.create({ name: "node-3", endpoint: "/run/../etc/passwd" }), "BAD_REQUEST");
    await expectCode(as(w, "admin").nodes.create({ name: "Node 3", endpoint: "/run/ovz/n3.sock" }), "BAD_REQUEST");
    await expectCode(as(w, "resellerA").nodes.create({ name: "node-4", endpoint: "/run/ovz/n4.sock" }), "FORBIDDEN");
    expect(await w.db.node.count()).toBe(2);
  });

  it("nodes.info returns the engine's facts", async () => {
    const info = await as(w, "admin").nodes.info({ nodeId: w.node.id });
    expect(info).toMatchObject({
      version: "fake",
      protocol: 1,
      hostname: "fake-node",
      cpus: 2,
      containers: fakeEngine().containers.size,
    });
    expect(info.storage.caps.quota).toBe(true);
    await expectCode(as(w, "admin").nodes.info({ nodeId: "missing" }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").nodes.info({ nodeId: w.node.id }), "FORBIDDEN");
    fakeEngine().failNext.set("engine.info", unreachable("/run/x.sock", "ENOENT; is it running?"));
    await expectCode(as(w, "admin").nodes.info({ nodeId: w.node.id }), "SERVICE_UNAVAILABLE", "ENGINE_UNAVAILABLE");
  });

  it("templates.list is open to every logged-in role", async () => {
    for (const who of ["admin", "resellerA", "customerA1"] as const) {
      const list = await as(w, who).templates.list();
      expect(list.map((x) => x.name)).toEqual(["busybox", "debian-12"]);
      expect(list[0]).toMatchObject({ distro: "busybox", init: "busybox", arch: "amd64" });
    }
    await expectCode(caller(w.db, null).templates.list(), "UNAUTHORIZED");
  });

  it("without any node, templates.list and containers.create explain what to do (last: empties the world)", async () => {
    await w.db.operation.deleteMany();
    await w.db.container.deleteMany();
    await w.db.node.deleteMany();
    const e = await expectCode(as(w, "customerA1").templates.list(), "CONFLICT");
    expect(e.message).toMatch(/No node is registered/);
    const c = await expectCode(
      as(w, "resellerA").containers.create({
        tenantId: w.a.customers[0]!.tenant.id,
        planId: w.a.plan.id,
        hostname: "x.test",
        template: "busybox",
      }),
      "CONFLICT",
    );
    expect(c.message).toMatch(/No node is registered/);
    expect(await w.db.container.count()).toBe(0);
    // the first node is always allowed, SQLite included
    expect(await as(w, "admin").nodes.create({ name: "first", endpoint: "/run/ovz/first.sock" })).toMatchObject({
      name: "first",
    });
  });
});
