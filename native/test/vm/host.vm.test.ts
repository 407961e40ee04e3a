/**
 * The engine on a real Debian 12 host with systemd as PID 1 and pure cgroup v2 (the VM test bed's boot 1,
 * after the README's run command): a busybox container's lifecycle, every limit read back from the v2
 * files, live changes, a memory hog OOM-killed inside the container's cgroup, a fork bomb stopped at
 * pids.max, nothing left after destroy. One node process talks to the engine over its socket: each CLI
 * call costs 9–15 s under emulation. The last test leaves a container running for boot 2 (the reboot).
 */
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { EngineClient } from "../../src/protocol/client.js";
import { bootId, cgroupDir, describeVm, engineClient, STATE_DIR, VM_STATE_DIR } from "./vm-host.js";

const CT = 901;
/** left running for the reboot (reboot.vm.test.ts) */
export const REBOOT_CT = 902;
const MiB = 1024 ** 2;
let client: EngineClient;
const cg = (file: string, ctid = CT) => readFile(path.join(cgroupDir(ctid), file), "utf8").then((s) => s.trim());
/** a "key value" line of a flat-keyed file (memory.events, pids.events) */
const keyed = async (file: string, key: string) =>
  Number((await cg(file)).match(new RegExp(`^${key} (\\d+)$`, "m"))?.[1]);
const sh = (cmd: string, timeoutMs = 300_000) =>
  client.call("container.exec", { ctid: CT, argv: ["sh", "-c", cmd], timeoutMs });

describeVm("Debian 12 host: systemd as PID 1, cgroup v2 (VM boot 1)", () => {
  beforeAll(async () => {
    client = engineClient();
    await client.call("container.create", {
      ctid: CT,
      template: "busybox",
      hostname: "vm1",
      limits: {
        ram: "128M",
        swap: "64M",
        cpuunits: 2000,
        cpulimit: 150,
        cpus: 1,
        numproc: 64,
        diskspace: "256M",
        ioweight: 300,
        iolimit: "10M",
        iopslimit: 500,
      },
    });
  });
  afterAll(async () => {
    await client?.call("container.destroy", { ctid: CT, force: true }).catch(() => {});
    client?.close();
  });

  it("the engine runs on pure cgroup v2 in the cgroup of the systemd unit that started it", async () => {
    expect((await client.call("engine.info", {})).cgroupVersion).toBe(2);
    const pid = (await readFile(path.join(STATE_DIR, "engine.pid"), "utf8")).trim();
    const lines = (await readFile(`/proc/${pid}/cgroup`, "utf8")).trim().split("\n");
    console.log(`engine pid ${pid}: ${lines.join(" | ")}`);
    // one line, the unified hierarchy; under systemd every process sits in a unit's cgroup
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^0::\/system\.slice\/[\w@.-]+\.service$/);
  });

  it("starts, stops and starts again a busybox container; it runs in its own cgroup <parent>/<ctid>", async () => {
    expect((await client.call("container.status", { ctid: CT })).state).toBe("stopped");
    expect((await client.call("container.start", { ctid: CT })).state).toBe("running");
    expect((await cg("cgroup.procs")).split("\n").length).toBeGreaterThan(0);
    expect((await sh("echo hello from $(hostname)")).stdout).toBe("hello from vm1\n");
    expect((await client.call("container.stop", { ctid: CT })).state).toBe("stopped");
    expect(existsSync(cgroupDir(CT))).toBe(false);
    expect((await client.call("container.start", { ctid: CT })).state).toBe("running");
  });

  it("applies every limit at start; each reads back from the cgroup v2 files", async () => {
    expect(await cg("memory.max")).toBe(String(128 * MiB));
    expect(await cg("memory.swap.max")).toBe(String(64 * MiB));
    expect(await cg("cpu.weight")).toBe("200"); // cpuunits 2000 / 10
    // 1 vCPU caps the time at one CPU's worth: lower than cpulimit 150, so it wins
    expect(await cg("cpu.max")).toBe("100000 100000");
    expect(await cg("cpuset.cpus")).toMatch(/^[01]$/); // one of the guest's 2 CPUs, the balancer's choice
    expect(await cg("pids.max")).toBe("64");
    const r = await client.call("container.limits", { ctid: CT });
    console.log("readback:", JSON.stringify(r.cgroup?.raw));
    expect(r.cgroup).toMatchObject({ ram: 128 * MiB, swap: 64 * MiB, cpuunits: 2000, cpulimit: 100, numproc: 64 });
    expect(r.cgroup!.cpus).toBe(await cg("cpuset.cpus"));
    // I/O: the weight where the kernel offers it (BFQ or io.cost), the throttle on the pool's device
    if (existsSync(path.join(cgroupDir(CT), "io.weight"))) expect(await cg("io.weight")).toMatch(/^default 300$/m);
    else console.log("io.weight: not offered by this kernel/scheduler (no BFQ, no io.cost)");
    expect(await cg("io.max")).toMatch(/^\d+:\d+ rbps=10485760 wbps=10485760 riops=500 wiops=500$/m);
    expect(r.cgroup!.iolimit).toEqual({ read: 10 * MiB, write: 10 * MiB });
    expect(r.cgroup!.iopslimit).toEqual({ read: 500, write: 500 });
  });

  it("changes RAM, swap and the CPU cap live; the v2 files show it at once", async () => {
    await client.call("container.set", { ctid: CT, limits: { ram: "64M", swap: 0, cpulimit: 50 } });
    expect(await cg("memory.max")).toBe(String(64 * MiB));
    expect(await cg("memory.swap.max")).toBe("0");
    expect(await cg("cpu.max")).toBe("50000 100000");
  });

  it("OOM-kills a memory hog inside the container's cgroup; the container carries on", async () => {
    const before = await keyed("memory.events", "oom_kill");
    // dd allocates and fills a 200 MiB buffer: more than the 64 MiB RAM + 0 swap
    expect((await sh("dd if=/dev/zero of=/dev/null bs=200M count=1")).code).not.toBe(0);
    expect(await keyed("memory.events", "oom_kill")).toBeGreaterThan(before);
    expect((await client.call("container.status", { ctid: CT })).state).toBe("running");
    expect((await sh("echo alive")).stdout).toBe("alive\n");
  });

  it("stops a fork bomb at pids.max", async () => {
    await client.call("container.set", { ctid: CT, limits: { numproc: 32 } });
    expect(await cg("pids.max")).toBe("32");
    // busybox ash exits at the first failed fork; the sleeps must not hold exec's output pipe
    await sh("i=0; while [ $i -lt 100 ]; do sleep 600 </dev/null >/dev/null 2>&1 & i=$((i+1)); done 2>/dev/null");
    expect(Number(await cg("pids.current"))).toBeLessThanOrEqual(32);
    expect(await keyed("pids.events", "max")).toBeGreaterThan(0);
    await sh("killall sleep; true");
  });

  it("destroy leaves no cgroup of the container behind", async () => {
    await client.call("container.destroy", { ctid: CT, force: true });
    expect((await client.call("container.list", {})).map((c) => c.ctid)).not.toContain(CT);
    // the container's and its LXC monitor's cgroups: <parent>/<ctid>, <parent>.monitor/<ctid>
    const parents = readdirSync("/sys/fs/cgroup").filter((d) => d.startsWith("ovz"));
    const left = parents.filter((d) => existsSync(path.join("/sys/fs/cgroup", d, String(CT))));
    expect(left).toEqual([]);
  });

  it("leaves an onboot container running for the reboot (boot 2 looks at what came back)", async () => {
    await client.call("container.create", { ctid: REBOOT_CT, template: "busybox", hostname: "vm2", onboot: true });
    expect((await client.call("container.start", { ctid: REBOOT_CT })).state).toBe("running");
    mkdirSync(VM_STATE_DIR, { recursive: true });
    const plan = { ctid: REBOOT_CT, onboot: true, bootId: bootId() };
    writeFileSync(path.join(VM_STATE_DIR, "reboot.json"), JSON.stringify(plan));
  });
});
