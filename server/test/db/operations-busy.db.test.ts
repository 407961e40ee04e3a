/**
 * One operation at a time per container, for every kind of operation (issue 17: a double click ran two
 * reinstalls). The rule lives in one place (operations.ts assertIdle, called by startOperation under the
 * container's lock); this file drives every entry point that starts an operation, on both databases.
 */
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { toTRPCError } from "../../errors.js";
import { startPolicyRun } from "../../services/backup-schedule/run.js";
import { OP_TYPES, type OpType } from "../../services/operations.js";
import { PROCESS_ID } from "../../services/locks.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode, holdEngine } from "../helpers/expect.js";
import { as, type Caller, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

const BUSY = (ctid: number, type: string) =>
  new RegExp(
    `^Container ${ctid} is busy: its ${type} \\(operation \\w+\\) is still running; wait for it to finish\\.$`,
  );

describe.each(PROVIDERS)("one operation at a time per container on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  const c = () => w.directContainer;
  const admin = () => as(w, "admin");

  /**
   * Every kind of operation, started on container c() (Record: a new kind without a row here does not
   * compile). A create makes a new container, so nothing can already run on it, and a template build or upload
   * is on a node, not on a container: their rows are null.
   */
  const entries = (): Record<
    OpType,
    ((a: Caller, backupId: string, otherNode: string) => Promise<unknown>) | null
  > => ({
    create: null,
    start: (a) => a.containers.start({ containerId: c().id }),
    stop: (a) => a.containers.stop({ containerId: c().id }),
    restart: (a) => a.containers.restart({ containerId: c().id }),
    reinstall: (a) => a.containers.reinstall({ containerId: c().id, template: "busybox", keepData: true }),
    destroy: (a) => a.containers.destroy({ containerId: c().id, confirmHostname: c().hostname }),
    backup: (a) => a.backups.create({ containerId: c().id }),
    restore: (a, backupId) => a.backups.restore({ containerId: c().id, backupId }),
    migrate: (a, _b, otherNode) => a.containers.migrate({ containerId: c().id, targetNodeId: otherNode, live: false }),
    clone: (a) => a.containers.clone({ containerId: c().id, hostname: "copy.test" }),
    // a snapshot policy's scheduled run (backup-schedule/run.ts), as the scheduler starts it
    snapshot: async () => {
      const policy = await w.db.backupPolicy.upsert({
        where: { tenantId_name: { tenantId: c().tenantId, name: "busy-test" } },
        create: { tenantId: c().tenantId, name: "busy-test", kind: "snapshot", schedule: "daily 03:00", keepDaily: 1 },
        update: {},
      });
      const full = await w.db.container.findUniqueOrThrow({
        where: { id: c().id },
        include: { plan: true, node: true, tenant: true },
      });
      return startPolicyRun(w.db, full, policy, () => new Date()).catch((e: unknown) => {
        throw toTRPCError(e);
      });
    },
    template: null,
  });

  it("while an operation runs, every kind of operation (and snapshot change) on the container is refused", async () => {
    const backup = await admin().backups.create({ containerId: c().id });
    await waitForAllOperations();
    expect((await w.db.operation.findUniqueOrThrow({ where: { id: backup.id } })).status).toBe("succeeded");
    const backupId = (await w.db.backup.findFirstOrThrow({ where: { containerId: c().id } })).id;
    await admin().snapshots.create({ containerId: c().id, name: "before" });
    const other = await w.db.node.create({ data: { name: "other", endpoint: "/run/ovz-test/other.sock" } });

    const hold = holdEngine("container.start");
    try {
      const running = await as(w, "direct").containers.start({ containerId: c().id });
      const opsBefore = await w.db.operation.count();
      const auditBefore = await w.db.auditLog.count();
      const calls = Object.entries(entries()).filter(([, f]) => f !== null);
      expect(calls.map(([k]) => k).sort()).toEqual(OP_TYPES.filter((t) => t !== "create" && t !== "template").sort());
      for (const [kind, f] of calls) {
        const e = await expectCode(() => f!(admin(), backupId, other.id), "CONFLICT", "CONFLICT");
        expect(e.message, kind).toMatch(BUSY(c().ctid, "start"));
        expect(e.message).toContain(running.id);
      }
      for (const f of [
        () => admin().snapshots.create({ containerId: c().id, name: "during" }),
        () => admin().snapshots.rollback({ containerId: c().id, name: "before" }),
        () => admin().snapshots.delete({ containerId: c().id, name: "before" }),
      ]) {
        expect((await expectCode(f, "CONFLICT")).message).toMatch(BUSY(c().ctid, "start"));
      }
      // refused calls record nothing and claim nothing
      expect(await w.db.operation.count()).toBe(opsBefore);
      expect(await w.db.auditLog.count()).toBe(auditBefore);
      expect(await w.db.container.count({ where: { hostname: "copy.test" } })).toBe(0);
      hold.release();
      await waitForAllOperations();
    } finally {
      hold.restore();
    }
    expect(await admin().snapshots.list({ containerId: c().id })).toMatchObject({
      snapshots: [expect.objectContaining({ name: "before" })],
    });
  });

  it("a running operation of each kind (this process's or another live one's) blocks the next", async () => {
    for (const type of OP_TYPES) {
      const row = await w.db.operation.create({
        data: {
          type,
          status: "running",
          tenantId: c().tenantId,
          containerId: c().id,
          actor: "another process",
          owner: `${PROCESS_ID}:other`,
          startedAt: new Date(),
        },
      });
      try {
        const e = await expectCode(as(w, "direct").containers.stop({ containerId: c().id }), "CONFLICT");
        expect(e.message).toMatch(BUSY(c().ctid, type));
        expect(e.message).toContain(row.id);
      } finally {
        await w.db.operation.update({ where: { id: row.id }, data: { status: "succeeded", finishedAt: new Date() } });
      }
    }
  });

  it("different kinds started at the same moment (a double click, two tabs): exactly one is recorded", async () => {
    // whichever wins stays running: each kind's first engine call waits
    const holds = (["container.status", "backup.create", "container.start"] as const).map((m) => holdEngine(m));
    try {
      const before = await w.db.operation.count({ where: { containerId: c().id } });
      const results = await Promise.allSettled([
        admin().containers.reinstall({ containerId: c().id, template: "busybox", keepData: true }),
        admin().containers.reinstall({ containerId: c().id, template: "busybox", keepData: true }),
        as(w, "direct").containers.reinstall({ containerId: c().id, template: "busybox", keepData: true }),
        admin().backups.create({ containerId: c().id }),
        as(w, "direct").containers.start({ containerId: c().id }),
      ]);
      const ok = results.filter((r) => r.status === "fulfilled");
      const refused = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
      expect(ok).toHaveLength(1);
      for (const r of refused) {
        expect((r.reason as TRPCError).code).toBe("CONFLICT");
        expect((r.reason as TRPCError).message).toMatch(/^Container \d+ is busy: its \w+ \(operation \w+\)/);
      }
      expect(await w.db.operation.count({ where: { containerId: c().id } })).toBe(before + 1);
    } finally {
      for (const h of holds.reverse()) h.restore();
    }
    await waitForAllOperations();
  });
});
