/**
 * Crash safety: the engine is SIGKILLed at several points of create and destroy (fault injection via
 * OVZ_CRASH_AT), restarted, and must leave no half-made container: no cgroup, subvolume, qgroup,
 * mount, runtime config, record or journal entry. Containers keep running while the engine is down.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { leftovers, staleQgroups, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;

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

describeRoot("crash safety of create and destroy", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  for (const [i, point] of ["create:begin", "create:volume", "create:config"].entries()) {
    it(`undoes a create interrupted at ${point}`, async () => {
      const ctid = 300 + i;
      await crashDuring(point, () =>
        te.client.call("container.create", { ctid, template: "busybox", limits: { diskspace: "128M" } }),
      );
      expect(await leftovers(te, ctid)).toEqual([]);
      expect(await staleQgroups(te)).toEqual([]);
      await expect(te.client.call("container.status", { ctid })).rejects.toMatchObject({ code: "NOT_FOUND" });
      // the ctid is usable again
      await te.client.call("container.create", { ctid, template: "busybox" });
      await te.client.call("container.destroy", { ctid });
      expect(await leftovers(te, ctid)).toEqual([]);
    });
  }

  it("keeps a create that crashed after its commit point, complete and startable", async () => {
    const ctid = 310;
    await crashDuring("create:commit", () => te.client.call("container.create", { ctid, template: "busybox" }));
    const c = await te.client.call("container.status", { ctid });
    expect(c.state).toBe("stopped");
    expect((await te.client.call("container.start", { ctid })).state).toBe("running");
    await te.client.call("container.destroy", { ctid, force: true });
    expect(await leftovers(te, ctid)).toEqual([]);
  });

  for (const [i, point] of ["destroy:begin", "destroy:volume"].entries()) {
    it(`finishes a destroy interrupted at ${point}, even of a running container`, async () => {
      const ctid = 320 + i;
      await te.client.call("container.create", { ctid, template: "busybox" });
      await te.client.call("container.start", { ctid });
      await crashDuring(point, () => te.client.call("container.destroy", { ctid, force: true }));
      expect(await leftovers(te, ctid)).toEqual([]);
      expect(await staleQgroups(te)).toEqual([]);
      expect((await te.client.call("container.list", {})).map((c) => c.ctid)).not.toContain(ctid);
    });
  }

  it("leaves containers running while the engine is down and finds them running after restart", async () => {
    const ctid = 330;
    await te.client.call("container.create", { ctid, template: "busybox" });
    const { initPid } = await te.client.call("container.start", { ctid });
    await te.kill9();
    expect(() => process.kill(initPid!, 0)).not.toThrow(); // init still alive with the engine dead
    await te.start();
    const c = await te.client.call("container.status", { ctid });
    expect(c.state).toBe("running");
    expect(c.initPid).toBe(initPid);
    expect((await te.client.call("container.exec", { ctid, argv: ["echo", "ok"] })).stdout).toBe("ok\n");
    await te.client.call("container.destroy", { ctid, force: true });
  });
});
