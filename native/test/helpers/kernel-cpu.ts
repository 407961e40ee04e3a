/** What the kernel accounted to a container's cgroup, the truth CPU figures of the tools are compared with. */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import type { TestEngine } from "./engine.js";

/** A container's CPU time in ns (cgroup v1 cpuacct.usage, or v2 cpu.stat usage_usec), and when it was read. */
export async function kernelCpu(te: TestEngine, ctid: number): Promise<{ ns: number; at: number }> {
  const v1 = `/sys/fs/cgroup/cpuacct/${te.cgroupParent}/${ctid}/cpuacct.usage`;
  const v2 = `/sys/fs/cgroup/${te.cgroupParent}/${ctid}/cpu.stat`;
  const ns = existsSync(v1)
    ? Number((await readFile(v1, "utf8")).trim())
    : Number(/usage_usec (\d+)/.exec(await readFile(v2, "utf8"))![1]) * 1000;
  return { ns, at: performance.now() };
}

/** The share of one core (in %) a container got between two readings. */
export const cpuPercent = (a: { ns: number; at: number }, b: { ns: number; at: number }) =>
  ((b.ns - a.ns) / 1e6 / (b.at - a.at)) * 100;
