/**
 * The VM suites (native/test/vm/*.vm.test.ts) run inside the Debian 12 guest of scripts/vm/test.sh, as root,
 * with systemd as PID 1 and pure cgroup v2, against the engine the README's run command started there. Their
 * own vitest config keeps them out of the repository's projects; run on any other host they skip loudly,
 * with the reason — never silently.
 */
import { readFileSync, statfsSync } from "node:fs";
import path from "node:path";
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

/** A container's cgroup directory under the engine's parent (OVZ_CGROUP_PARENT, default "ovz"). */
export function cgroupDir(ctid: number, parent = process.env.OVZ_CGROUP_PARENT ?? "ovz"): string {
  return path.join("/sys/fs/cgroup", parent, String(ctid));
}

export function bootId(): string {
  return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
}
