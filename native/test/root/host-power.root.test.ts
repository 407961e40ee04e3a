/**
 * Host boot and shutdown (host-power.ts) on real containers: onboot containers start by boot order (higher
 * first, unset last; the inits' start times prove the order), a container without onboot stays stopped,
 * the boot runs once per host boot (an engine restart does not run it again), shutdown stops in reverse
 * order, and in suspend mode a counter under a container's init continues after the "reboot" from where it
 * was. A host reboot is simulated by giving the state file another boot id, as the last boot left it.
 */
import { appendFile, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { until } from "../helpers/echo-client.js";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
// ctid → [onboot, bootorder]
const CTS: Record<number, [boolean, number | null]> = {
  271: [true, 10],
  272: [true, 10],
  273: [true, null],
  274: [false, null],
  275: [true, 50],
};
const BOOT_ORDER = [[275], [271, 272], [273]];
let te: TestEngine;

/** Start time of a process in clock ticks since boot (/proc/<pid>/stat field 22). */
async function startTicks(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

async function states(): Promise<Record<number, string>> {
  const list = await te.client.call("container.list", {});
  return Object.fromEntries(list.map((c) => [c.ctid, c.state]));
}

/** What a host reboot leaves: the state file names the boot before this one. */
async function simulateReboot(): Promise<void> {
  const file = path.join(te.stateDir, "host-power.json");
  const s = JSON.parse(await readFile(file, "utf8"));
  await writeFile(file, JSON.stringify({ ...s, bootId: "the-boot-before" }));
}

describeRoot("host boot and shutdown: onboot, boot order, stop and suspend (real LXC, CRIU)", () => {
  let counterFile = "";
  const counter = async () => (await readFile(counterFile, "utf8")).trim().split("\n").map(Number);

  beforeAll(async () => {
    te = await startTestEngine({ env: { OVZ_BOOT_PARALLEL: "2" } });
    await te.client.call("template.build", { kind: "busybox" });
    for (const [ctid, [onboot, bootorder]] of Object.entries(CTS)) {
      const c = await te.client.call("container.create", {
        ctid: Number(ctid),
        template: "busybox",
        onboot,
        bootorder,
      });
      expect(c.bootorder).toBe(bootorder);
      if (Number(ctid) === 273) {
        counterFile = path.join(c.rootfs, "root/counter");
        await appendFile(
          path.join(c.rootfs, "etc/inittab"),
          `::respawn:/bin/sh -c 'exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i >> /root/counter; sleep 0.1; done'\n`,
        );
      }
    }
  }, 180_000);
  afterAll(async () => {
    await te?.cleanup();
  });

  it("boot starts the onboot containers by boot order, leaves the others stopped, and runs once per boot", async () => {
    const before = await te.client.call("host.power", {});
    expect(before.booted).toBe(false);
    const report = await te.client.call("host.boot", {});
    expect(report.already).toBe(false);
    expect(report.outcomes.map((o) => o.ctid).sort()).toEqual([271, 272, 273, 275]);
    expect(report.outcomes.every((o) => o.action === "started")).toBe(true);
    // the report lists the groups in order
    expect(report.outcomes.map((o) => o.ctid)).toEqual([275, ...report.outcomes.slice(1, 3).map((o) => o.ctid), 273]);
    const st = await states();
    expect(st).toMatchObject({ 271: "running", 272: "running", 273: "running", 274: "stopped", 275: "running" });
    // the inits really started group after group
    const ticks: number[][] = [];
    for (const group of BOOT_ORDER) {
      const t: number[] = [];
      for (const ctid of group) t.push(await startTicks((await te.client.call("container.status", { ctid })).initPid!));
      ticks.push(t);
    }
    for (let i = 1; i < ticks.length; i++)
      expect(Math.max(...ticks[i - 1]!)).toBeLessThanOrEqual(Math.min(...ticks[i]!));

    // a second call in the same boot, and an engine restart, do nothing
    await te.client.call("container.stop", { ctid: 272 });
    expect((await te.client.call("host.boot", {})).already).toBe(true);
    await te.stop();
    await te.start();
    expect((await te.client.call("host.power", {})).booted).toBe(true);
    expect((await te.client.call("host.boot", {})).already).toBe(true);
    expect((await states())[272]).toBe("stopped");
    expect((await states())[271]).toBe("running"); // the engine's restart left the containers alone
    // force (the unit's start: systemctl restart ovz-containers) boots again
    const forced = await te.client.call("host.boot", { force: true });
    expect(forced.outcomes.find((o) => o.ctid === 272)?.action).toBe("started");
    expect((await states())[272]).toBe("running");
  }, 240_000);

  it("shutdown stops in reverse boot order; after a reboot only the onboot ones come back", async () => {
    const report = await te.client.call("host.shutdown", { mode: "stop" });
    expect(report.outcomes.every((o) => o.action === "stopped")).toBe(true);
    const order = report.outcomes.map((o) => o.ctid);
    expect(order[0]).toBe(273);
    expect(order.at(-1)).toBe(275);
    expect(Object.values(await states()).every((s) => s === "stopped")).toBe(true);
    await simulateReboot();
    const boot = await te.client.call("host.boot", {});
    expect(boot.already).toBe(false);
    expect(await states()).toMatchObject({
      271: "running",
      272: "running",
      273: "running",
      274: "stopped",
      275: "running",
    });
  }, 240_000);

  it("suspend mode: checkpointed at shutdown, resumed at boot with its processes (the counter continues)", async () => {
    await until(async () => (await counter().catch(() => [])).length >= 5, 15_000, "the counter");
    const report = await te.client.call("host.shutdown", { mode: "suspend" });
    const o273 = report.outcomes.find((o) => o.ctid === 273);
    expect(o273?.action, JSON.stringify(report.outcomes)).toBe("suspended");
    expect((await states())[273]).toBe("suspended");
    const frozenAt = await counter();
    await sleep(1500);
    expect(await counter()).toEqual(frozenAt);

    await te.stop(); // the engine goes down with the host
    await simulateReboot();
    await te.start();
    const boot = await te.client.call("host.boot", {});
    const r273 = boot.outcomes.find((o) => o.ctid === 273);
    expect(r273?.action, JSON.stringify(boot.outcomes)).toBe("resumed");
    expect(r273?.suspendedSec).toBeGreaterThanOrEqual(1);
    expect((await states())[273]).toBe("running");
    await until(async () => (await counter()).length > frozenAt.length + 5, 15_000, "the counter to continue");
    const after = await counter();
    expect(after.slice(0, frozenAt.length)).toEqual(frozenAt);
    // it goes on from the last value before the checkpoint, one by one (a fresh boot would start again at 1)
    const tail = after.slice(frozenAt.length - 1);
    tail.forEach((n, i) => expect(n).toBe(frozenAt.at(-1)! + i));
    const power = await te.client.call("host.power", {});
    expect(power.lastShutdown?.mode).toBe("suspend");
    expect(power.lastBoot?.outcomes.find((o) => o.ctid === 273)?.action).toBe("resumed");
  }, 240_000);

  it("a checkpoint that cannot be restored at boot: the container starts afresh, and the report says why", async () => {
    const report = await te.client.call("host.shutdown", { mode: "suspend" });
    expect(report.outcomes.find((o) => o.ctid === 273)?.action, JSON.stringify(report.outcomes)).toBe("suspended");
    // what a kernel CRIU cannot restore on leaves: a dump that fails (here: its process tree is gone)
    await rm(path.join(te.stateDir, "dumps", "273", "pstree.img"));
    await te.stop();
    await simulateReboot();
    await te.start();
    const before = (await counter()).length; // what the suspended processes wrote
    const boot = await te.client.call("host.boot", {});
    const r273 = boot.outcomes.find((o) => o.ctid === 273);
    expect(r273?.action, JSON.stringify(boot.outcomes)).toBe("started");
    expect(r273?.error).toMatch(/resume failed .*started afresh/);
    expect((await states())[273]).toBe("running");
    expect((await te.client.call("container.status", { ctid: 273 })).checkpoint ?? null).toBeNull();
    // a fresh init: the counter begins again at 1
    await until(async () => (await counter()).slice(before).includes(3), 15_000, "a new counter from 1");
    expect((await counter()).slice(before, before + 3)).toEqual([1, 2, 3]);
  }, 240_000);
});
