/**
 * After a reboot of the Debian 12 host (the VM test bed's boot 2: the same disk booted again, after boot 1
 * left an onboot container running): is this really a new boot, did the engine's state survive, and what
 * came back by itself. Services and onboot are the next step of issue 15; until then this suite reports
 * what came back (results/came-back.json) and lists the missing behaviour as todo.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { bootId, cgroupDir, describeVm, RESULTS_DIR, STATE_DIR, VM_STATE_DIR } from "./vm-host.js";

interface RebootPlan {
  ctid: number;
  onboot: boolean;
  bootId: string;
}

const alive = (pidFile: string): boolean => {
  const pid = Number(existsSync(pidFile) ? readFileSync(pidFile, "utf8").trim() : "");
  return pid > 0 && existsSync(`/proc/${pid}`);
};

describeVm("after a reboot of the Debian 12 host (VM boot 2)", () => {
  const planFile = path.join(VM_STATE_DIR, "reboot.json");

  it("is a new boot of the disk boot 1 ran on", () => {
    expect(existsSync(planFile)).toBe(true);
    const plan = JSON.parse(readFileSync(planFile, "utf8")) as RebootPlan;
    expect(plan.bootId).toMatch(/^[0-9a-f-]{36}$/);
    expect(bootId()).not.toBe(plan.bootId);
    expect(process.env.OVZ_VM_PHASE1_BOOT_ID ?? plan.bootId).toBe(plan.bootId);
  });

  it("kept the engine's record of the container left running, with onboot set", () => {
    const plan = JSON.parse(readFileSync(planFile, "utf8")) as RebootPlan;
    const recordFile = path.join(STATE_DIR, "containers", `${plan.ctid}.json`);
    const record = JSON.parse(readFileSync(recordFile, "utf8")) as { onboot?: boolean };
    expect(record.onboot).toBe(true);
  });

  it("reports which of the engine, the panel and the container came back by themselves", () => {
    const plan = JSON.parse(readFileSync(planFile, "utf8")) as RebootPlan;
    const units = execFileSync("systemctl", ["list-units", "--all", "--plain", "--no-legend", "ovz*"], {
      encoding: "utf8",
    });
    const cameBack = {
      engine: alive(path.join(STATE_DIR, "engine.pid")),
      panel: alive("/var/lib/ovz-panel/panel.pid"),
      [`container ${plan.ctid} (onboot)`]: existsSync(cgroupDir(plan.ctid)),
      units: units
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => l.trim().split(/\s+/).slice(0, 4).join(" ")),
    };
    console.log("came back after the reboot:", JSON.stringify(cameBack, null, 2));
    if (RESULTS_DIR) writeFileSync(path.join(RESULTS_DIR, "came-back.json"), `${JSON.stringify(cameBack, null, 2)}\n`);
    // the test bed's own unit is what runs this: systemd brought units back, whatever ours do
    expect(cameBack.units.some((u) => u.startsWith("ovz-vm-test.service"))).toBe(true);
  });

  it.todo("the engine and the panel come back by themselves (systemd units; issue 15, next step)");
  it.todo("the onboot container runs again, in boot order; a container without onboot stays stopped");
});
