/**
 * A panel restart in the middle of operations: stale operations become failed with a message, an
 * unfinished create (no container on the node) loses its row, other touched rows take the node's state,
 * and an operation this process is still running is left alone.
 */
import fs from "node:fs";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { recoverAfterRestart } from "../../services/recovery.js";
import { PROVIDERS, type TestDb } from "../helpers/db.js";
import { holdEngine } from "../helpers/expect.js";
import { as, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("recovery after a panel restart on %s", (provider) => {
  let t: TestDb;
  let w: World;
  useWorld(provider, (x) => ({ t, w } = x));

  it("fails stale operations, removes unfinished creates, syncs states, spares live operations", async () => {
    const db = t.db;
    const a1 = w.a.customers[0]!;
    const b1 = w.b.customers[0]!;
    // What a crashed panel leaves: a create whose container never reached the node …
    const ghost = await db.container.create({
      data: {
        ctid: 4242,
        nodeId: w.node.id,
        tenantId: a1.tenant.id,
        planId: w.a.plan.id,
        hostname: "ghost.test",
        template: "busybox",
        state: "creating",
      },
    });
    const ghostOp = await db.operation.create({
      data: {
        type: "create",
        status: "running",
        tenantId: a1.tenant.id,
        containerId: ghost.id,
        actor: "reseller-a@test.example",
        startedAt: new Date(),
      },
    });
    // … and a start that the row believes finished, while the node says stopped.
    await db.container.update({ where: { id: a1.container.id }, data: { state: "running" } });
    const startOp = await db.operation.create({
      data: {
        type: "start",
        status: "queued",
        tenantId: a1.tenant.id,
        containerId: a1.container.id,
        actor: "customer-a1@test.example",
      },
    });
    // An operation this process is running right now must not be touched.
    const hold = holdEngine("container.start");
    try {
      // Start-up (instrumentation.ts, a command line run) recovers before the process records anything.
      await recoverAfterRestart(db);
      const live = await as(w, "customerB1").containers.start({ containerId: b1.container.id });
      expect(await db.operation.count({ where: { status: "failed" } })).toBe(2);

      for (const id of [ghostOp.id, startOp.id]) {
        const op = await db.operation.findUniqueOrThrow({ where: { id } });
        expect(op.status).toBe("failed");
        expect(op.error).toMatch(/stopped before it finished.*retry/);
        expect(op.finishedAt).not.toBeNull();
      }
      expect(await db.container.findUnique({ where: { id: ghost.id } })).toBeNull();
      expect((await db.operation.findUniqueOrThrow({ where: { id: ghostOp.id } })).containerId).toBeNull();
      expect((await db.container.findUniqueOrThrow({ where: { id: a1.container.id } })).state).toBe("stopped");
      expect(
        await db.auditLog.count({ where: { action: "container.recoverRemove", target: { contains: "4242" } } }),
      ).toBe(1);
      expect((await db.operation.findUniqueOrThrow({ where: { id: live.id } })).status).toBe("running");
      // Run again (as at a second start-up) while the live operation runs: nothing stale, nothing touched.
      expect(await recoverAfterRestart(db, { force: true })).toEqual({ operations: 0, removed: 0, synced: 0 });
      // A "creating" row without any operation: younger than a minute it is another process between its
      // insert and its operation's (spared); older, that process died there (removed).
      const inFlight = await db.container.create({
        data: {
          ctid: 4344,
          nodeId: w.node.id,
          tenantId: a1.tenant.id,
          planId: w.a.plan.id,
          hostname: "inflight.test",
          template: "busybox",
          state: "creating",
        },
      });
      const orphan = await db.container.create({
        data: {
          ctid: 4343,
          nodeId: w.node.id,
          tenantId: a1.tenant.id,
          planId: w.a.plan.id,
          hostname: "orphan.test",
          template: "busybox",
          state: "creating",
          createdAt: new Date(Date.now() - 120_000),
        },
      });
      expect((await recoverAfterRestart(db, { force: true })).removed).toBe(1);
      expect(await db.container.findUnique({ where: { id: orphan.id } })).toBeNull();
      expect(await db.container.findUnique({ where: { id: inFlight.id } })).not.toBeNull();
      await db.container.delete({ where: { id: inFlight.id } });
      // Operations of other live processes (a vzctl run while the panel restarts) are spared; those of a
      // process that is gone (pid reused or exited) are failed.
      const liveOwner = `${os.hostname()}:1:${fs.readFileSync("/proc/1/stat", "utf8").split(") ")[1]!.split(" ")[19]}`;
      const other = await db.operation.create({
        data: {
          type: "stop",
          status: "running",
          tenantId: a1.tenant.id,
          containerId: a1.container.id,
          actor: "root@node (vzctl)",
          owner: liveOwner,
          startedAt: new Date(),
        },
      });
      const dead = await db.operation.create({
        data: {
          type: "stop",
          status: "running",
          tenantId: b1.tenant.id,
          containerId: null,
          actor: "root@node (vzctl)",
          owner: `${os.hostname()}:1:1`,
          startedAt: new Date(),
        },
      });
      expect((await recoverAfterRestart(db, { force: true })).operations).toBe(1);
      expect((await db.operation.findUniqueOrThrow({ where: { id: other.id } })).status).toBe("running");
      expect((await db.operation.findUniqueOrThrow({ where: { id: dead.id } })).status).toBe("failed");
      await db.operation.update({ where: { id: other.id }, data: { status: "succeeded" } });
      expect((await db.operation.findUniqueOrThrow({ where: { id: live.id } })).status).toBe("running");
    } finally {
      hold.restore();
      await waitForAllOperations();
    }
    const done = await db.operation.findMany({ where: { containerId: b1.container.id, type: "start" } });
    expect(done.map((o) => o.status)).toEqual(["succeeded"]);
  });

  it("an operation left by a process that died after this one started (a killed vzctl) does not block the container", async () => {
    const a2 = w.a.customers[1]!;
    const dead = await t.db.operation.create({
      data: {
        type: "stop",
        status: "running",
        tenantId: a2.tenant.id,
        containerId: a2.container.id,
        actor: "root@node (vzctl)",
        owner: `${os.hostname()}:1:1`,
        startedAt: new Date(),
      },
    });
    const op = await as(w, "admin").containers.start({ containerId: a2.container.id });
    await waitForAllOperations();
    expect((await t.db.operation.findUniqueOrThrow({ where: { id: dead.id } })).status).toBe("failed");
    expect((await t.db.operation.findUniqueOrThrow({ where: { id: op.id } })).status).toBe("succeeded");
  });
});
