/**
 * After a reboot of the Debian 12 host (the VM test bed's boot 2: the same disk booted again after boot 1
 * set suspend mode and left REBOOT_PLAN's containers): the engine, the containers' unit and the panel came
 * back by themselves; the onboot containers run again in boot order (higher first); the one without onboot
 * stays stopped; the running ones were checkpointed at shutdown and resumed with their processes — the
 * counter in container 902 goes on from where it was instead of starting again at 1.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { EngineClient } from "../../src/protocol/client.js";
import {
  bootId,
  COUNTER_CT,
  describeVm,
  engineAnswers,
  REBOOT_PLAN,
  until,
  RESULTS_DIR,
  systemctl,
  VM_STATE_DIR,
} from "./vm-host.js";

const UNITS = ["ovz-engine.service", "ovz-containers.service", "ovz-panel.service"];
let client: EngineClient;

const active = (unit: string) => {
  try {
    return systemctl("is-active", unit) === "active";
  } catch {
    return false;
  }
};

describeVm("after a reboot of the Debian 12 host (VM boot 2)", () => {
  const plan = JSON.parse(readFileSync(path.join(VM_STATE_DIR, "reboot.json"), "utf8")) as {
    bootId: string;
    counterAtPlan: number;
  };

  beforeAll(async () => {
    // under emulation the units take minutes to come up (node compiles the sources at start)
    await until("the ovz units active", 900_000, () => UNITS.every(active));
    client = await engineAnswers(300_000);
  }, 1_300_000);
  afterAll(() => client?.close());

  it("is a new boot of the disk boot 1 ran on", () => {
    expect(plan.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bootId()).not.toBe(plan.bootId);
    expect(process.env.OVZ_VM_PHASE1_BOOT_ID ?? plan.bootId).toBe(plan.bootId);
  });

  it("the engine, the containers' unit and the panel came back by themselves", async () => {
    for (const u of UNITS) expect(systemctl("is-active", u), u).toBe("active");
    expect((await client.call("engine.info", {})).cgroupVersion).toBe(2);
    await until("the panel answering", 300_000, async () => {
      const r = await fetch("http://127.0.0.1:3000/login").catch(() => null);
      return r?.status === 200;
    });
  });

  it("shutdown suspended the running containers; boot resumed them and started the onboot ones in order", async () => {
    const power = await client.call("host.power", {});
    console.log("host.power:", JSON.stringify(power, null, 2));
    if (RESULTS_DIR) writeFileSync(path.join(RESULTS_DIR, "host-power.json"), `${JSON.stringify(power, null, 2)}\n`);
    expect(power.booted).toBe(true);
    expect(power.lastShutdown?.mode).toBe("suspend");
    const suspended = power.lastShutdown!.outcomes.filter((o) => o.action === "suspended").map((o) => o.ctid);
    expect(suspended.sort()).toEqual([902, 904]);
    const boot = power.lastBoot!;
    expect(boot.bootId).toBe(bootId());
    // boot order 9, then 1, then unset; 905 (no onboot) is not touched
    expect(boot.outcomes.map((o) => [o.ctid, o.action])).toEqual([
      [903, "started"],
      [902, "resumed"],
      [904, "resumed"],
    ]);
    expect(boot.outcomes.find((o) => o.ctid === 902)?.suspendedSec).toBeGreaterThan(0);
    const states = Object.fromEntries((await client.call("container.list", {})).map((c) => [c.ctid, c.state]));
    expect(states).toMatchObject({ 902: "running", 903: "running", 904: "running", 905: "stopped" });
    expect(Object.keys(REBOOT_PLAN).map(Number).sort()).toEqual([902, 903, 904, 905]);
  });

  it("904, suspended with its venet address, and 903, started afresh, reach each other", async () => {
    const ip = (ctid: number) => REBOOT_PLAN[ctid]!.ip!;
    const ping = (from: number, to: string) =>
      client.call("container.exec", { ctid: from, argv: ["ping", "-c", "1", "-W", "10", to], timeoutMs: 120_000 });
    expect((await ping(904, ip(903))).code).toBe(0);
    expect((await ping(903, ip(904))).code).toBe(0);
  });

  it("the counter in container 902 goes on from where it was before the reboot", async () => {
    const st = await client.call("container.status", { ctid: COUNTER_CT });
    const file = path.join(st.rootfs, "root/counter");
    expect(existsSync(file)).toBe(true);
    const read = async () => (await readFile(file, "utf8")).trim().split("\n").map(Number);
    const first = await read();
    expect(first.length).toBeGreaterThanOrEqual(plan.counterAtPlan);
    await until("the counter to go on", 120_000, async () => (await read()).length > first.length + 3);
    const all = await read();
    // one unbroken sequence 1, 2, 3 …: a fresh start after the reboot would have begun again at 1
    all.forEach((n, i) => expect(n).toBe(i + 1));
  });
});
