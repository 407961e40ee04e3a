/**
 * Limits on real containers, read back from the kernel's own files (not only through the engine):
 * memory/swap, CPU weight/cap/vCPUs, pids, open files, disk quota, block I/O; OOM kill at the memory
 * limit, a fork bomb stopped at the process limit, EDQUOT at the disk limit and a live raise.
 */
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const CT = 201;
const MiB = 1024 ** 2;
const cg = (ctl: string, file: string) =>
  readFile(`/sys/fs/cgroup/${ctl}/${te.cgroupParent}/${CT}/${file}`, "utf8").then((s) => s.trim());
const sh = (cmd: string, timeoutMs = 60_000) =>
  te.client.call("container.exec", { ctid: CT, argv: ["sh", "-c", cmd], timeoutMs });

describeRoot("container limits (real cgroups and btrfs quota)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    await te.client.call("container.create", {
      ctid: CT,
      template: "busybox",
      limits: {
        ram: "128M",
        swap: "64M",
        cpuunits: 2000,
        cpulimit: 150,
        cpus: 1,
        numproc: 64,
        numfile: 4096,
        diskspace: "256M",
        ioweight: 300,
        iolimit: "10M",
        iopslimit: 500,
      },
    });
    await te.client.call("container.start", { ctid: CT });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  it("applies every limit at start; each reads back from the kernel", async () => {
    expect(await cg("memory", "memory.limit_in_bytes")).toBe(String(128 * MiB));
    expect(await cg("memory", "memory.memsw.limit_in_bytes")).toBe(String(192 * MiB));
    expect(await cg("cpu", "cpu.shares")).toBe("2048");
    // 1 vCPU caps the time at one CPU's worth: lower than cpulimit 150, so it wins
    expect(await cg("cpu", "cpu.cfs_quota_us")).toBe("100000");
    expect(await cg("cpu", "cpu.cfs_period_us")).toBe("100000");
    // one core, the balancer's choice (cpu-placement.root.test.ts): the only container here gets CPU 0
    expect(await cg("cpuset", "cpuset.cpus")).toBe("0");
    expect(await cg("pids", "pids.max")).toBe("64");
    const r = await te.client.call("container.limits", { ctid: CT });
    expect(r.cgroup).toMatchObject({
      ram: 128 * MiB,
      swap: 64 * MiB,
      cpuunits: 2000,
      cpulimit: 100,
      cpus: "0",
      numproc: 64,
    });
    expect(r.configured).toMatchObject({ cpulimit: 150, cpus: 1 });
    expect(r.cgroup!.iolimit).toEqual({ read: 10 * MiB, write: 10 * MiB });
    expect(r.cgroup!.iopslimit).toEqual({ read: 500, write: 500 });
    expect(r.nofile).toBe(4096);
    expect(r.disk.limitBytes).toBe(256 * MiB);
    // the I/O throttle names the pool's block device
    const bps = await cg("blkio", "blkio.throttle.write_bps_device");
    expect(bps).toMatch(new RegExp(`^\\d+:\\d+ ${10 * MiB}$`, "m"));
    // open files: the container's own view of its limit
    const nofile = await sh("ulimit -n");
    expect(nofile.stdout.trim()).toBe("4096");
  });

  it("changes the CPU limit live and the cgroup shows it at once", async () => {
    await te.client.call("container.set", { ctid: CT, limits: { cpulimit: 50 } });
    expect(await cg("cpu", "cpu.cfs_quota_us")).toBe("50000");
    await te.client.call("container.set", { ctid: CT, limits: { cpulimit: 0 } });
    expect(await cg("cpu", "cpu.cfs_quota_us")).toBe("100000"); // no cap of its own: its 1 vCPU's
    expect((await te.client.call("container.limits", { ctid: CT })).cgroup!.cpulimit).toBe(100);
    await te.client.call("container.set", { ctid: CT, limits: { cpus: 0 } });
    expect(await cg("cpu", "cpu.cfs_quota_us")).toBe("-1");
    expect((await te.client.call("container.limits", { ctid: CT })).cgroup!.cpulimit).toBe(0);
    expect(await cg("cpuset", "cpuset.cpus")).toBe(
      await readFile(`/sys/fs/cgroup/cpuset/${te.cgroupParent}/cpuset.cpus`, "utf8").then((t) => t.trim()),
    );
  });

  it("raises and lowers RAM live in the right order (memsw follows)", async () => {
    await te.client.call("container.set", { ctid: CT, limits: { ram: "256M" } });
    expect(await cg("memory", "memory.limit_in_bytes")).toBe(String(256 * MiB));
    expect(await cg("memory", "memory.memsw.limit_in_bytes")).toBe(String(320 * MiB));
    await te.client.call("container.set", { ctid: CT, limits: { ram: "64M", swap: 0 } });
    expect(await cg("memory", "memory.limit_in_bytes")).toBe(String(64 * MiB));
    expect(await cg("memory", "memory.memsw.limit_in_bytes")).toBe(String(64 * MiB));
  });

  it("OOM-kills a memory hog inside at the limit; the container and host carry on", async () => {
    const before = (await te.client.call("container.beancounters", { ctid: CT })).find((b) => b.resource === "memory")!;
    const usageOf = async () => (await te.client.call("container.usage", { ctids: [CT] }))[0]!;
    const killsBefore = (await usageOf()).oomKills!;
    // dd allocates and fills a 200 MiB buffer: more than the 64 MiB RAM + 0 swap.
    const r = await sh("dd if=/dev/zero of=/dev/null bs=200M count=1");
    expect(r.code).not.toBe(0);
    const after = (await te.client.call("container.beancounters", { ctid: CT })).find((b) => b.resource === "memory")!;
    expect(after.failcnt).toBeGreaterThan(before.failcnt);
    // the counter the panel's container.oom notification follows
    expect((await usageOf()).oomKills).toBeGreaterThan(killsBefore);
    expect(after.limit).toBe(64 * MiB);
    expect((await te.client.call("container.status", { ctid: CT })).state).toBe("running");
    expect((await sh("echo alive")).stdout).toBe("alive\n");
  });

  it("stops a fork bomb at the process limit", async () => {
    await te.client.call("container.set", { ctid: CT, limits: { numproc: 32 } });
    // busybox ash exits (code 2) at the first failed fork; the sleeps must not hold exec's output pipe.
    await sh("i=0; while [ $i -lt 100 ]; do sleep 60 </dev/null >/dev/null 2>&1 & i=$((i+1)); done 2>/dev/null");
    expect(Number(await cg("pids", "pids.current"))).toBeLessThanOrEqual(32);
    const np = (await te.client.call("container.beancounters", { ctid: CT })).find((b) => b.resource === "numproc")!;
    expect(np.failcnt).toBeGreaterThan(0);
    expect((await te.client.call("container.usage", { ctids: [CT] }))[0]!.forkFails).toBeGreaterThan(0);
    expect(np.limit).toBe(32);
    await sh("killall sleep; true");
    await te.client.call("container.set", { ctid: CT, limits: { numproc: 256 } });
  });

  it("stops writes with EDQUOT at the disk limit and accepts them again after a live raise", async () => {
    const full = await sh("dd if=/dev/zero of=/big bs=1M count=400 2>&1; sync", 120_000);
    expect(full.stdout + full.stderr).toMatch(/Disk quota exceeded/);
    const used = (await te.client.call("container.limits", { ctid: CT })).disk.bytes;
    expect(used).toBeLessThanOrEqual(260 * MiB);
    expect(used).toBeGreaterThan(100 * MiB);
    await te.client.call("container.set", { ctid: CT, limits: { diskspace: "1G" } });
    const ok = await sh("dd if=/dev/zero of=/big2 bs=1M count=300 2>&1 && sync", 120_000);
    expect(ok.code).toBe(0);
    expect((await te.client.call("container.limits", { ctid: CT })).disk.limitBytes).toBe(1024 * MiB);
    await sh("rm -f /big /big2; sync");
  });

  it("changes open files live on running processes", async () => {
    await te.client.call("container.set", { ctid: CT, limits: { numfile: 2048 } });
    expect((await te.client.call("container.limits", { ctid: CT })).nofile).toBe(2048);
  });

  it("refuses out-of-range values with a message that says the bound, changing nothing", async () => {
    const e = await te.client.call("container.set", { ctid: CT, limits: { cpulimit: 100000 } }).catch((x) => x);
    expect(e.code).toBe("LIMIT_OUT_OF_RANGE");
    expect(e.message).toMatch(/CPU/);
    expect(await cg("cpu", "cpu.cfs_quota_us")).toBe("-1");
    expect((await te.client.call("container.status", { ctid: CT })).limits).toMatchObject({ cpus: 0, cpulimit: 0 });
  });

  it("keeps live changes across a restart (persisted)", async () => {
    await te.client.call("container.set", { ctid: CT, limits: { ram: "96M", cpulimit: 80 } });
    await te.client.call("container.restart", { ctid: CT });
    expect(await cg("memory", "memory.limit_in_bytes")).toBe(String(96 * MiB));
    expect(await cg("cpu", "cpu.cfs_quota_us")).toBe("80000");
  });

  it("shows a beancounter view with usage, limit and failure counts", async () => {
    const rows = await te.client.call("container.beancounters", { ctid: CT });
    const names = rows.map((r) => r.resource);
    for (const n of ["memory", "numproc", "cpu", "diskspace", "numfile"]) expect(names).toContain(n);
    const mem = rows.find((r) => r.resource === "memory")!;
    expect(mem.held).toBeGreaterThan(0);
    expect(mem.maxheld).toBeGreaterThanOrEqual(mem.held);
  });
});
