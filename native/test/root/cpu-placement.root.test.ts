/**
 * vCPUs as in OpenVZ and Proxmox, on real containers of this 2-CPU host: a container with `cpus: N` gets
 * N CPUs' worth of time (CFS quota N × 100 %) on N cores that the engine balances across the host, so
 * two 1-vCPU containers burning CPU sit on different cores — the kernel's per-CPU accounting
 * (cpuacct.usage_percpu) shows each one's time on its own core. The balancer moves containers as others
 * start and stop, never moves a container pinned with an explicit cpumask, keeps a stopped container's
 * LXC config free of stale pins, and keeps the placement across an engine crash and restart.
 * Everything is read from the kernel's files; nothing here measures speed.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { parseCpuList } from "../../src/settings.js";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const A = 301;
const B = 302;
const C = 303;
const P1 = 304;
const P2 = 305;
const BURN = "(while :; do :; done) </dev/null >/dev/null 2>&1 &";

const cg = (ctid: number, ctl: string, file: string) =>
  readFile(`/sys/fs/cgroup/${ctl}/${te.cgroupParent}/${ctid}/${file}`, "utf8").then((s) => s.trim());
/** The container's cpuset as the kernel holds it, e.g. [1]. */
const cpuset = async (ctid: number) => parseCpuList(await cg(ctid, "cpuset", "cpuset.cpus"));
const percpu = async (ctid: number) => (await cg(ctid, "cpuacct", "cpuacct.usage_percpu")).split(/\s+/).map(Number);
const start = (ctid: number) => te.client.call("container.start", { ctid });
const stop = (ctid: number) => te.client.call("container.stop", { ctid, force: true });
const burn = (ctid: number) => te.client.call("container.exec", { ctid, argv: ["sh", "-c", BURN] });
const lxcConfig = (ctid: number) => readFile(path.join(te.stateDir, "lxc", String(ctid), "config"), "utf8");

/**
 * CPU time (ns) each container got on each CPU between two samples, taken once every container has
 * had at least `minNs` on some CPU (a counter threshold, not a duration: the machine may be busy).
 */
async function percpuDeltas(ctids: number[], minNs = 300e6): Promise<Map<number, number[]>> {
  const before = new Map<number, number[]>();
  for (const c of ctids) before.set(c, await percpu(c));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const out = new Map<number, number[]>();
    for (const c of ctids)
      out.set(
        c,
        (await percpu(c)).map((v, i) => v - before.get(c)![i]!),
      );
    if ([...out.values()].every((d) => Math.max(...d) >= minNs)) return out;
    if (Date.now() > deadline)
      throw new Error(`the burners got less than ${minNs} ns of CPU in 60 s: ${JSON.stringify([...out])}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describeRoot("CPU placement of vCPUs (balanced cpusets, CFS quota)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    for (const ctid of [A, B, C])
      await te.client.call("container.create", { ctid, template: "busybox", limits: { cpus: 1, ram: "64M" } });
    for (const ctid of [P1, P2])
      await te.client.call("container.create", { ctid, template: "busybox", limits: { ram: "64M" } });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  it("puts two burning 1-vCPU containers on different cores, each with one CPU of quota", async () => {
    await start(A);
    await start(B);
    const [a, b] = [await cpuset(A), await cpuset(B)];
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0], "two 1-vCPU containers must not share a core while another one idles").not.toBe(b[0]);
    for (const ctid of [A, B]) {
      expect(await cg(ctid, "cpu", "cpu.cfs_quota_us")).toBe("100000");
      expect(await cg(ctid, "cpu", "cpu.cfs_period_us")).toBe("100000");
      const r = await te.client.call("container.limits", { ctid });
      expect(r.configured).toMatchObject({ cpus: 1, cpulimit: 0, cpumask: null });
      // the readback is the kernel's: the quota the vCPU count implies, the core the balancer chose
      expect(r.cgroup).toMatchObject({ cpulimit: 100, cpus: await cg(ctid, "cpuset", "cpuset.cpus") });
    }

    await burn(A);
    await burn(B);
    const d = await percpuDeltas([A, B]);
    for (const [ctid, own] of [
      [A, a[0]!],
      [B, b[0]!],
    ] as const) {
      const delta = d.get(ctid)!;
      const elsewhere = delta.reduce((s, v, cpu) => s + (cpu === own ? 0 : v), 0);
      expect(delta[own], `container ${ctid} ran on its core ${own}: ${delta.join(" ")}`).toBeGreaterThanOrEqual(300e6);
      expect(elsewhere, `container ${ctid} ran elsewhere than core ${own}: ${delta.join(" ")}`).toBeLessThanOrEqual(
        delta[own]! * 0.02,
      );
    }
  });

  it("honours an explicit cpumask and moves balanced containers, never the pinned ones", async () => {
    const [a] = await cpuset(A);
    const [b] = await cpuset(B);
    const mask = String(a);
    for (const ctid of [P1, P2]) await te.client.call("container.set", { ctid, limits: { cpumask: mask } });
    await start(P1);
    expect(await cpuset(P1)).toEqual([a]);
    expect(await cpuset(A)).toEqual([a]); // 2 on core a, 1 on core b: balanced enough
    await start(P2);
    // 3 containers on core a, 1 on core b: the balancer moves the one it may move (A) to core b
    expect(await cpuset(P1)).toEqual([a]);
    expect(await cpuset(P2)).toEqual([a]);
    expect(await cpuset(A)).toEqual([b]);
    expect(await cpuset(B)).toEqual([b]);
    for (const ctid of [P1, P2]) {
      const r = await te.client.call("container.limits", { ctid });
      expect(r.cgroup).toMatchObject({ cpus: mask, cpulimit: 0 }); // a mask alone sets no quota
    }
    // the pinned ones stop: core a is empty, core b holds two, so one of them moves back
    await stop(P1);
    await stop(P2);
    const [a2, b2] = [await cpuset(A), await cpuset(B)];
    expect(a2).toHaveLength(1);
    expect(a2[0]).not.toBe(b2[0]);
  });

  it("rebalances when one stops and a third starts: the newcomer takes the free core", async () => {
    const [b] = await cpuset(B);
    await stop(A);
    await start(C);
    expect(await cpuset(B), "B was not moved").toEqual([b]);
    const [c] = await cpuset(C);
    expect(c).not.toBe(b);
    expect(await cg(C, "cpu", "cpu.cfs_quota_us")).toBe("100000");
  });

  it("keeps the placement across an engine crash and restart", async () => {
    const before = { b: await cpuset(B), c: await cpuset(C) };
    // premise: a fresh placement in ctid order (B then C, lowest core first) would swap these two
    expect(before.b[0]!, `B ${before.b} should sit above C ${before.c} for this test to mean anything`).toBeGreaterThan(
      before.c[0]!,
    );
    await te.kill9();
    await te.start();
    expect(await cpuset(B)).toEqual(before.b);
    expect(await cpuset(C)).toEqual(before.c);
    // the rebuilt state takes the next start: A joins one of them, nobody else moves
    await start(A);
    expect(await cpuset(A)).toHaveLength(1);
    expect(await cpuset(B)).toEqual(before.b);
    expect(await cpuset(C)).toEqual(before.c);
    await stop(A);
  });

  it("changes vCPUs and the cap live: quota is the lower of cpus × 100 % and cpulimit", async () => {
    await te.client.call("container.set", { ctid: C, limits: { cpus: 2 } });
    expect(await cpuset(C)).toEqual([0, 1]);
    expect(await cg(C, "cpu", "cpu.cfs_quota_us")).toBe("200000");
    await te.client.call("container.set", { ctid: C, limits: { cpus: 1, cpulimit: 50 } });
    expect(await cpuset(C)).toHaveLength(1);
    expect(await cpuset(C)).not.toEqual(await cpuset(B));
    expect(await cg(C, "cpu", "cpu.cfs_quota_us")).toBe("50000");
    await te.client.call("container.set", { ctid: C, limits: { cpulimit: 150 } });
    expect(await cg(C, "cpu", "cpu.cfs_quota_us")).toBe("100000");
    const r = await te.client.call("container.limits", { ctid: C });
    expect(r.configured).toMatchObject({ cpus: 1, cpulimit: 150 });
    expect(r.cgroup!.cpulimit).toBe(100);
  });

  it("a stopped container's LXC config pins only explicit masks, never a balanced core", async () => {
    await stop(C);
    const balanced = await lxcConfig(C);
    expect(balanced).not.toMatch(/cpuset\.cpus/);
    expect(balanced).toMatch(/^lxc\.cgroup\.cpu\.cfs_quota_us = 100000$/m);
    const pinned = await lxcConfig(P1);
    expect(pinned).toMatch(/^lxc\.cgroup\.cpuset\.cpus = \d$/m);
    expect(pinned).toMatch(/^lxc\.cgroup\.cpu\.cfs_quota_us = -1$/m);
  });
});
