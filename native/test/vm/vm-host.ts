/**
 * The VM suites (native/test/vm/*.vm.test.ts) run inside the Debian 12 guest of scripts/vm/test.sh, as root,
 * with systemd as PID 1 and pure cgroup v2, against the engine the README's run command started there. Their
 * own vitest config keeps them out of the repository's projects; run on any other host they skip loudly,
 * with the reason — never silently.
 */
import { readFileSync, statfsSync } from "node:fs";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { describe } from "vitest";
import { EngineClient } from "../../src/protocol/client.js";

const CGROUP2_SUPER_MAGIC = 0x63677270;
export const STATE_DIR = process.env.OVZ_STATE_DIR ?? "/var/lib/ovz";
/** The test bed's own state on the guest's root disk (survives the reboot). */
export const VM_STATE_DIR = "/var/lib/ovz-vm";
/** Where the host's scripts/vm/test.sh collects results (the payload disk), or null outside the test bed. */
export const RESULTS_DIR = process.env.OVZ_VM_RESULTS ?? null;

/** Why this host is not the VM test bed's guest, or null when it is. */
export function notVmHost(): string | null {
  if (process.getuid?.() !== 0) return "needs uid 0";
  let fsType = 0;
  try {
    fsType = statfsSync("/sys/fs/cgroup").type;
  } catch {
    // no cgroup mount at all: reported below
  }
  if (fsType !== CGROUP2_SUPER_MAGIC) return "/sys/fs/cgroup is not a cgroup2 mount (not a pure cgroup v2 host)";
  const pid1 = readFileSync("/proc/1/comm", "utf8").trim();
  if (pid1 !== "systemd") return `PID 1 is ${pid1}, not systemd`;
  return null;
}

const problem = notVmHost();

export const describeVm: typeof describe = (
  problem === null
    ? describe
    : (name: string, ...rest: unknown[]) => {
        console.warn(`\n!!! SKIPPED VM suite "${name}": ${problem}; run it with: bash scripts/vm/test.sh !!!\n`);
        return (describe.skip as (...a: unknown[]) => unknown)(name, ...rest);
      }
) as typeof describe;

export function engineClient(): EngineClient {
  return new EngineClient(process.env.OVZ_SOCKET ?? "/run/ovz/engine.sock");
}

/** A container's cgroup directory under the engine's parent (engine.info's cgroupParent). */
export function cgroupDir(ctid: number, parent: string): string {
  return path.join("/sys/fs/cgroup", parent, String(ctid));
}

/** The cgroup systemd gave the unit that holds the containers (Delegate=yes). */
export const CONTAINERS_CGROUP = "system.slice/ovz-containers.service";

export function systemctl(...args: string[]): string {
  return execFileSync("systemctl", args, { encoding: "utf8" }).trim();
}

/** A unit's property (systemctl show -p NAME --value). */
export function unitProp(unit: string, name: string): string {
  return systemctl("show", "-p", name, "--value", unit);
}

/** Until the engine answers on its socket (after a restart of its unit), at most `ms`. */
export async function engineAnswers(ms: number): Promise<EngineClient> {
  const end = Date.now() + ms;
  for (;;) {
    const c = engineClient();
    try {
      await c.call("engine.info", {});
      return c;
    } catch (e) {
      c.close();
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

/** what boot 2 (reboot.vm.test.ts) expects back: onboot by boot order, suspended ones resumed */
export const REBOOT_PLAN: Record<
  number,
  { onboot: boolean; bootorder: number | null; runningBefore: boolean; counter?: boolean; ip?: string }
> = {
  902: { onboot: true, bootorder: 1, runningBefore: true, counter: true },
  // 903 (started at boot) and 904 (suspended with its venet, resumed at boot) ping each other afterwards
  903: { onboot: true, bootorder: 9, runningBefore: false, ip: "198.18.9.3" },
  904: { onboot: true, bootorder: null, runningBefore: true, ip: "198.18.9.4" },
  905: { onboot: false, bootorder: null, runningBefore: false },
};
export const COUNTER_CT = 902;

export function bootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
}

/** Waits (polling each second) until `ok`, or fails after `ms` naming `what`. */
export async function until(what: string, ms: number, ok: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}
