/**
 * Crash safety of rollback, restore and backup: the engine is SIGKILLed at each step (OVZ_CRASH_AT),
 * restarted, and recovery must leave every container with exactly one complete root filesystem — the
 * old one when the operation had not committed, the new one when it had — no staging or previous
 * volume, no half-made container, no stale qgroup, no temporary snapshot or partial archive.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { leftovers, staleQgroups, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const MiB = 1024 * 1024;

async function crashDuring(point: string, action: () => Promise<unknown>): Promise<void> {
  await te.kill9();
  await te.start({ OVZ_CRASH_AT: point });
  const outcome = await action().then(
    () => "returned",
    (e: Error) => e.message,
  );
  expect(outcome, `the engine should have died at ${point}`).toMatch(/connection to the host engine closed/);
  expect(await te.waitExit()).toBe("SIGKILL");
  await te.start(); // recovery runs here
}

const pool = () => path.join(te.stateDir, "pool");
const marker = async (ctid: number) => readFile(path.join(pool(), "containers", String(ctid), "marker"), "utf8");
async function swapLeftovers(ctid: number): Promise<string[]> {
  const names = await readdir(path.join(pool(), "containers"));
  return names.filter((n) => n === `.staging-${ctid}` || n === `.previous-${ctid}`);
}

describeRoot("crash safety of rollback, restore and backup", () => {
  let backupId = "";

  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    // a source container and a backup of it, used by the restore cases
    await te.client.call("container.create", {
      ctid: 500,
      template: "busybox",
      hostname: "src.test",
      limits: { diskspace: "200M" },
    });
    await writeFile(path.join(pool(), "containers", "500", "marker"), "from-backup\n");
    backupId = (await te.client.call("backup.create", { ctid: 500 })).id;
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  for (const [i, [point, committed]] of (
    [
      ["rollback:staging", false],
      ["rollback:swap", false],
      ["rollback:commit", true],
    ] as const
  ).entries()) {
    it(`${committed ? "finishes" : "undoes"} a rollback interrupted at ${point}`, async () => {
      const ctid = 510 + i;
      await te.client.call("container.create", { ctid, template: "busybox", limits: { diskspace: "128M" } });
      await writeFile(path.join(pool(), "containers", String(ctid), "marker"), "snapshot\n");
      await te.client.call("snapshot.create", { ctid, name: "s" });
      await writeFile(path.join(pool(), "containers", String(ctid), "marker"), "later\n");
      await crashDuring(point, () => te.client.call("snapshot.rollback", { ctid, name: "s" }));
      expect(await marker(ctid)).toBe(committed ? "snapshot\n" : "later\n");
      expect(await swapLeftovers(ctid)).toEqual([]);
      expect(await staleQgroups(te)).toEqual([]);
      expect((await te.client.call("container.limits", { ctid })).disk.limitBytes).toBe(128 * MiB);
      expect((await te.client.call("snapshot.list", { ctid })).map((s) => s.name)).toEqual(["s"]);
      expect((await te.client.call("container.start", { ctid })).state).toBe("running");
      // and a rollback works again afterwards
      await te.client.call("container.stop", { ctid, force: true });
      await te.client.call("snapshot.rollback", { ctid, name: "s" });
      expect(await marker(ctid)).toBe("snapshot\n");
      await te.client.call("container.destroy", { ctid });
      expect(await leftovers(te, ctid)).toEqual([]);
    });
  }

  for (const [i, point] of ["restore:staging", "restore:extract", "restore:swap", "restore:config"].entries()) {
    it(`removes the half-made container of a restore into a new ctid interrupted at ${point}`, async () => {
      const ctid = 520 + i;
      await crashDuring(point, () => te.client.call("backup.restore", { id: backupId, ctid }));
      expect(await leftovers(te, ctid)).toEqual([]);
      expect(await staleQgroups(te)).toEqual([]);
      await expect(te.client.call("container.status", { ctid })).rejects.toMatchObject({ code: "NOT_FOUND" });
      // the ctid is usable again
      await te.client.call("backup.restore", { id: backupId, ctid });
      expect(await marker(ctid)).toBe("from-backup\n");
      await te.client.call("container.destroy", { ctid });
      expect(await leftovers(te, ctid)).toEqual([]);
    });
  }

  it("keeps a restore that crashed after its commit point, complete and startable", async () => {
    const ctid = 530;
    await crashDuring("restore:commit", () => te.client.call("backup.restore", { id: backupId, ctid }));
    expect(await marker(ctid)).toBe("from-backup\n");
    expect(await swapLeftovers(ctid)).toEqual([]);
    const c = await te.client.call("container.status", { ctid });
    expect(c.hostname).toBe("src.test");
    expect((await te.client.call("container.limits", { ctid })).disk.limitBytes).toBe(200 * MiB);
    expect((await te.client.call("container.start", { ctid })).state).toBe("running");
    await te.client.call("container.destroy", { ctid, force: true });
    expect(await leftovers(te, ctid)).toEqual([]);
  });

  for (const [i, point] of ["restore:extract", "restore:swap", "restore:config"].entries()) {
    it(`puts the replaced container back when a forced restore is interrupted at ${point}`, async () => {
      const ctid = 540 + i;
      await te.client.call("container.create", {
        ctid,
        template: "busybox",
        hostname: "old.test",
        limits: { diskspace: "64M" },
      });
      await writeFile(path.join(pool(), "containers", String(ctid), "marker"), "old\n");
      await te.client.call("snapshot.create", { ctid, name: "keep" });
      await crashDuring(point, () => te.client.call("backup.restore", { id: backupId, ctid, force: true }));
      expect(await marker(ctid)).toBe("old\n");
      expect(await swapLeftovers(ctid)).toEqual([]);
      expect(await staleQgroups(te)).toEqual([]);
      const c = await te.client.call("container.status", { ctid });
      expect(c.hostname).toBe("old.test");
      expect((await te.client.call("container.limits", { ctid })).disk.limitBytes).toBe(64 * MiB);
      expect((await te.client.call("snapshot.list", { ctid })).map((s) => s.name)).toEqual(["keep"]);
      expect((await te.client.call("container.start", { ctid })).state).toBe("running");
      await te.client.call("container.destroy", { ctid, force: true });
      expect(await leftovers(te, ctid)).toEqual([]);
    });
  }

  for (const point of ["backup:snapshot", "backup:archive"]) {
    it(`removes the temporary snapshot and partial files of a backup interrupted at ${point}`, async () => {
      const before = await te.client.call("backup.list", {});
      await crashDuring(point, () => te.client.call("backup.create", { ctid: 500 }));
      expect(await te.client.call("backup.list", {})).toEqual(before);
      expect((await readdir(path.join(te.stateDir, "backups"))).sort()).toEqual([
        `${backupId}.json`,
        `${backupId}.tar.zst`,
      ]);
      expect(await readdir(path.join(pool(), "snapshots", "500")).catch(() => [])).toEqual([]);
      expect(await staleQgroups(te)).toEqual([]);
      expect(await readdir(path.join(te.stateDir, "journal")).catch(() => [])).toEqual([]);
    });
  }

  it("leaves nothing behind", async () => {
    await te.client.call("container.destroy", { ctid: 500 });
    expect(await leftovers(te, 500)).toEqual([]);
    expect(await staleQgroups(te)).toEqual([]);
  });
});
