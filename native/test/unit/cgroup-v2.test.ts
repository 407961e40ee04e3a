/**
 * cgroup v2 driver — FORMAT TEST. This host runs cgroup v1 (hybrid; /sys/fs/cgroup/unified has no
 * controllers), so the v2 driver cannot be exercised against the kernel here. Instead it runs against a fake
 * cgroupfs tree in a temp dir, pre-populated with the files and contents the kernel would have, and checks
 * that apply()/read()/counters()/lxcKeys() produce exactly the strings the kernel's v2 parsers require
 * (Documentation/admin-guide/cgroup-v2.rst). It cannot check kernel behaviour (merging of io.max rules,
 * rounding, refusals) — run the root tests on a v2 host for that.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { detectCgroupDriver } from "../../src/drivers/cgroup/index.js";
import type { CgroupLimits } from "../../src/drivers/cgroup/types.js";
import { CgroupV1 } from "../../src/drivers/cgroup/v1.js";
import { CgroupV2, parseCpuMax, parseIoMax, parseIoStatBytes } from "../../src/drivers/cgroup/v2.js";
import { isEngineError } from "../../src/errors.js";

const MiB = 1024 * 1024;
const REL = "ovz/101";
const tmpRoots: string[] = [];
afterAll(() => {
  for (const r of tmpRoots) rmSync(r, { recursive: true, force: true });
});

function mk(root: string, rel: string, files: Record<string, string>): string {
  const dir = path.join(root, rel);
  mkdirSync(dir, { recursive: true });
  for (const [f, c] of Object.entries(files)) writeFileSync(path.join(dir, f), c);
  return dir;
}

/** Contents a freshly created v2 cgroup has on a 6.x kernel with all controllers enabled. */
const FRESH: Record<string, string> = {
  "cgroup.procs": "",
  "cgroup.controllers": "cpuset cpu io memory pids\n",
  "memory.max": "max\n",
  "memory.swap.max": "max\n",
  "memory.current": "0\n",
  "memory.peak": "0\n",
  "memory.events": "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\noom_group_kill 0\n",
  "memory.swap.current": "0\n",
  "memory.swap.peak": "0\n",
  "memory.swap.events": "high 0\nmax 0\nfail 0\n",
  "cpu.weight": "100\n",
  "cpu.max": "max 100000\n",
  "cpu.stat":
    "usage_usec 0\nuser_usec 0\nsystem_usec 0\nnr_periods 0\nnr_throttled 0\nthrottled_usec 0\nnr_bursts 0\nburst_usec 0\n",
  "cpuset.cpus": "\n",
  "cpuset.cpus.effective": "0-1\n",
  "cpuset.mems": "\n",
  "pids.max": "max\n",
  "pids.current": "0\n",
  "pids.peak": "0\n",
  "pids.events": "max 0\n",
  "io.weight": "default 100\n",
  "io.max": "",
  "io.stat": "",
};

function fakeV2(): string {
  const root = mkdtempSync(path.join(tmpdir(), "cgv2-"));
  tmpRoots.push(root);
  mk(root, ".", {
    "cgroup.controllers": "cpuset cpu io memory hugetlb pids rdma misc\n",
    "cgroup.subtree_control": "cpuset cpu io memory pids\n",
    "cgroup.procs": "1\n",
    "io.cost.qos": "",
    "memory.stat": "anon 0\n",
  });
  mk(root, "init.scope", { ...FRESH, "cgroup.procs": "1\n" });
  mk(root, "ovz", { ...FRESH });
  mk(root, REL, { ...FRESH });
  return root;
}

const limits: CgroupLimits = {
  ram: 128 * MiB,
  swap: 64 * MiB,
  cpuunits: 2000,
  cpulimit: 50,
  cpus: [0],
  numproc: 32,
  ioweight: 500,
  iolimit: 10 * MiB,
  iopslimit: 100,
  ioDevice: "254:0",
};

let root = "";
let drv: CgroupV2;
const file = (f: string, rel = REL) => readFileSync(path.join(root, rel, f), "utf8");
const put = (f: string, c: string, rel = REL) => writeFileSync(path.join(root, rel, f), c);

beforeEach(() => {
  root = fakeV2();
  drv = new CgroupV2({ mountRoot: root, removeGraceMs: 0 });
});

describe("cgroup v2 driver (format test against a fake tree; the host has v1)", () => {
  it("detectCgroupDriver: v2 only when cgroup.controllers lists memory", () => {
    const d = detectCgroupDriver(root);
    expect(d).toBeInstanceOf(CgroupV2);
    expect(d.version).toBe(2);
    // hybrid: cgroup2 root without memory + v1 memory hierarchy → v1
    const hy = mkdtempSync(path.join(tmpdir(), "cghy-"));
    tmpRoots.push(hy);
    mk(hy, "unified", { "cgroup.controllers": "hugetlb\n", "cgroup.procs": "" });
    mk(hy, "memory", { "cgroup.procs": "" });
    writeFileSync(path.join(hy, "cgroup.controllers"), "hugetlb\n");
    expect(detectCgroupDriver(hy)).toBeInstanceOf(CgroupV1);
    const none = mkdtempSync(path.join(tmpdir(), "cgnone-"));
    tmpRoots.push(none);
    expect(() => detectCgroupDriver(none)).toThrow(/no memory cgroup controller/);
  });

  it("path() ignores the controller", () => {
    expect(drv.path(REL)).toBe(path.join(root, "ovz/101"));
    expect(drv.path(REL, "memory")).toBe(path.join(root, "ovz/101"));
  });

  it("lxcKeys renders lxc.cgroup2.* in kernel format", () => {
    expect(drv.lxcKeys(limits)).toEqual([
      ["lxc.cgroup2.memory.max", "134217728"],
      ["lxc.cgroup2.memory.swap.max", "67108864"], // swap only, not ram+swap
      ["lxc.cgroup2.cpu.weight", "200"],
      ["lxc.cgroup2.cpu.max", "50000 100000"],
      ["lxc.cgroup2.cpuset.cpus", "0"],
      ["lxc.cgroup2.pids.max", "32"],
      ["lxc.cgroup2.io.weight", "default 500"],
      ["lxc.cgroup2.io.max", "254:0 rbps=10485760 wbps=10485760 riops=100 wiops=100"],
    ]);
    const open = new Map(drv.lxcKeys({ ...limits, cpulimit: 0, cpus: [], iolimit: 0, iopslimit: 0, cpuunits: 5 }));
    expect(open.get("lxc.cgroup2.cpu.max")).toBe("max 100000");
    expect(open.get("lxc.cgroup2.cpu.weight")).toBe("1");
    expect(open.has("lxc.cgroup2.cpuset.cpus")).toBe(false);
    expect(open.has("lxc.cgroup2.io.max")).toBe(false);
    const iopsOnly = new Map(drv.lxcKeys({ ...limits, iolimit: 0 }));
    expect(iopsOnly.get("lxc.cgroup2.io.max")).toBe("254:0 rbps=max wbps=max riops=100 wiops=100");
  });

  it("lxcKeys sets BFQ's weight too where a disk uses BFQ (io.bfq.weight in the cgroups)", () => {
    expect(new Map(drv.lxcKeys(limits)).has("lxc.cgroup2.io.bfq.weight")).toBe(false);
    writeFileSync(path.join(root, "init.scope", "io.bfq.weight"), "default 100\n");
    expect(new Map(drv.lxcKeys(limits)).get("lxc.cgroup2.io.bfq.weight")).toBe("default 500");
  });

  it("lxcKeys leaves out controllers the host does not offer (LXC would refuse to start)", () => {
    writeFileSync(path.join(root, "cgroup.controllers"), "memory\n");
    rmSync(path.join(root, "io.cost.qos"));
    for (const d of ["init.scope", "ovz", REL]) rmSync(path.join(root, d, "memory.swap.max"));
    expect(drv.lxcKeys(limits).map(([k]) => k)).toEqual(["lxc.cgroup2.memory.max"]);
  });

  it("apply writes exactly the kernel's formats", async () => {
    await drv.apply(REL, limits);
    expect(file("memory.max")).toBe("134217728");
    expect(file("memory.swap.max")).toBe("67108864");
    expect(file("cpu.weight")).toBe("200");
    expect(file("cpu.max")).toBe("50000 100000");
    expect(file("cpuset.cpus")).toBe("0");
    expect(file("pids.max")).toBe("32");
    expect(file("io.weight")).toBe("default 500");
    expect(file("io.max")).toBe("254:0 rbps=10485760 wbps=10485760 riops=100 wiops=100");

    await drv.apply(REL, { ...limits, cpulimit: 0, cpus: [], iolimit: 0, iopslimit: 0, swap: 0, cpuunits: 1000 });
    expect(file("cpu.max")).toBe("max 100000");
    expect(file("cpu.weight")).toBe("100");
    expect(file("memory.swap.max")).toBe("0");
    expect(file("cpuset.cpus").trim()).toBe(""); // empty = inherit the parent's CPUs
    expect(file("io.max")).toBe("254:0 rbps=max wbps=max riops=max wiops=max"); // all max = rule removed

    await drv.apply(REL, { ...limits, cpus: [0, 1], cpulimit: 250 });
    expect(file("cpuset.cpus")).toBe("0-1");
    expect(file("cpu.max")).toBe("250000 100000");
  });

  it("cpus null: no cpuset key, apply leaves the cpuset to setCpus; readCpus shows what is set", async () => {
    expect(new Map(drv.lxcKeys({ ...limits, cpus: null })).has("lxc.cgroup2.cpuset.cpus")).toBe(false);
    put("cpuset.cpus", "1\n");
    await drv.apply(REL, { ...limits, cpus: null, cpulimit: 100 });
    expect(file("cpuset.cpus")).toBe("1\n");
    expect(file("cpu.max")).toBe("100000 100000");
    expect(await drv.readCpus(REL)).toEqual([1]);
    await drv.setCpus(REL, [0, 1]);
    expect(file("cpuset.cpus")).toBe("0-1");
    expect(await drv.readCpus(REL)).toEqual([0, 1]);
    await drv.setCpus(REL, []);
    expect(file("cpuset.cpus").trim()).toBe(""); // empty = the parent's CPUs
    expect(await drv.readCpus(REL)).toEqual([]);
    expect(await drv.readCpus("ovz/999")).toBeNull();
    await expect(drv.setCpus("ovz/999", [0])).rejects.toMatchObject({ code: "NOT_RUNNING" });
    await expect(drv.setCpus(REL, [1024])).rejects.toMatchObject({ code: "LIMIT_OUT_OF_RANGE" });
  });

  it("apply without an I/O device leaves io.max alone; a missing cgroup is NOT_RUNNING", async () => {
    put("io.max", "untouched");
    await drv.apply(REL, { ...limits, ioDevice: null });
    expect(file("io.max")).toBe("untouched");
    await expect(drv.apply("ovz/999", limits)).rejects.toMatchObject({ code: "NOT_RUNNING" });
  });

  it("apply never creates files the kernel does not have", async () => {
    rmSync(path.join(root, REL, "pids.max"));
    const err = await drv.apply(REL, limits).catch((e: unknown) => e);
    expect(isEngineError(err, "UNSUPPORTED")).toBe(true);
    expect(existsSync(path.join(root, REL, "pids.max"))).toBe(false);
  });

  it("read converts kernel contents to our units", async () => {
    put("memory.max", "134217728\n");
    put("memory.swap.max", "67108864\n");
    put("cpu.weight", "200\n");
    put("cpu.max", "50000 100000\n");
    put("cpuset.cpus", "0\n");
    put("pids.max", "32\n");
    put("io.weight", "default 500\n");
    // the kernel prints all four keys once any is set
    put("io.max", "7:0 rbps=1 wbps=max riops=max wiops=max\n254:0 rbps=10485760 wbps=10485760 riops=100 wiops=max\n");
    const r = await drv.read(REL, "254:0");
    expect(r).toMatchObject({
      ram: 128 * MiB,
      swap: 64 * MiB,
      cpuunits: 2000,
      cpulimit: 50,
      cpus: "0",
      numproc: 32,
      ioweight: 500,
      iolimit: { read: 10485760, write: 10485760 },
      iopslimit: { read: 100, write: 0 },
    });
    expect(r.raw["cpu.max"]).toBe("50000 100000");
    expect(r.raw["memory.max"]).toBe("134217728");

    const fresh = await drv.read("ovz", "254:0");
    expect(fresh).toMatchObject({
      ram: null,
      swap: null,
      cpuunits: 1000,
      cpulimit: 0,
      cpus: "0-1", // empty cpuset.cpus → cpuset.cpus.effective
      numproc: null,
      ioweight: 100,
      iolimit: null,
      iopslimit: null,
    });
    expect((await drv.read(REL, null)).iolimit).toBeNull();
  });

  it("counters map memory/swap/pids/cpu/io files to beancounters", async () => {
    put("memory.max", "134217728\n");
    put("memory.current", "52428800\n");
    put("memory.peak", "104857600\n");
    put("memory.events", "low 0\nhigh 0\nmax 17\noom 2\noom_kill 2\noom_group_kill 0\n");
    put("memory.swap.max", "67108864\n");
    put("memory.swap.current", "1048576\n");
    put("memory.swap.peak", "2097152\n");
    put("memory.swap.events", "high 0\nmax 3\nfail 3\n");
    put("pids.max", "32\n");
    put("pids.current", "5\n");
    put("pids.peak", "32\n");
    put("pids.events", "max 4\n");
    put(
      "cpu.stat",
      "usage_usec 123456\nuser_usec 100000\nsystem_usec 23456\nnr_periods 10\nnr_throttled 7\nthrottled_usec 5000\nnr_bursts 0\nburst_usec 0\n",
    );
    put(
      "io.stat",
      "254:0 rbytes=1000 wbytes=2000 rios=1 wios=2 dbytes=0 dios=0\n7:0 rbytes=5 wbytes=0 rios=1 wios=0 dbytes=0 dios=0\n",
    );
    // usage(): the same files give the OOM kills and refused forks the panel's notifications follow
    expect(await drv.usage(REL)).toEqual({
      oomKills: 2,
      forkFails: 4,
      cpuNs: 123456000,
      memBytes: 52428800,
      memMaxBytes: 104857600,
      memLimitBytes: 134217728,
      swapBytes: 1048576,
      nproc: 5,
      ioReadBytes: 1005,
      ioWriteBytes: 2000,
    });
    const rows = await drv.counters(REL);
    expect(rows).toEqual([
      { resource: "memory", held: 52428800, maxheld: 104857600, limit: 134217728, failcnt: 17, unit: "bytes" },
      { resource: "swap", held: 1048576, maxheld: 2097152, limit: 67108864, failcnt: 3, unit: "bytes" },
      { resource: "numproc", held: 5, maxheld: 32, limit: 32, failcnt: 4, unit: "count" },
      { resource: "cpu", held: 123456, maxheld: 123456, limit: null, failcnt: 7, unit: "usec" },
      { resource: "blkio", held: 3005, maxheld: 3005, limit: null, failcnt: 0, unit: "bytes" },
    ]);
    // no memory.peak (kernel < 5.19), unlimited
    rmSync(path.join(root, REL, "memory.peak"));
    put("memory.max", "max\n");
    const mem = (await drv.counters(REL))[0]!;
    expect(mem).toMatchObject({ held: 52428800, maxheld: 52428800, limit: null });
  });

  it("pids() is recursive; remove() is depth-first and refuses populated cgroups", async () => {
    put("cgroup.procs", "100\n7\n");
    mk(root, `${REL}/sub`, { "cgroup.procs": "42\n100\n" });
    expect(await drv.pids(REL)).toEqual([7, 42, 100]);
    const err = await drv.remove(REL).catch((e: unknown) => e);
    expect(isEngineError(err, "BUSY")).toBe(true);
    expect((err as Error).message).toMatch(/still has 3 task/);
    expect(await drv.exists(REL)).toBe(true);

    // Kernel cgroup dirs can be rmdir'ed with their control files; plain dirs only when empty.
    mkdirSync(path.join(root, "ovz/102/a/b"), { recursive: true });
    mkdirSync(path.join(root, "ovz/102/c"), { recursive: true });
    expect(await drv.exists("ovz/102")).toBe(true);
    await drv.remove("ovz/102");
    expect(await drv.exists("ovz/102")).toBe(false);
    await drv.remove("ovz/102"); // already gone: fine
    await expect(drv.remove("../etc")).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("parsers", () => {
    expect(parseCpuMax("max 100000\n")).toEqual([null, 100000]);
    expect(parseCpuMax("50000 100000\n")).toEqual([50000, 100000]);
    expect(parseIoMax("254:0 rbps=1 wbps=max riops=3 wiops=max\n", "254:0")).toEqual({
      rbps: 1,
      wbps: null,
      riops: 3,
      wiops: null,
    });
    expect(parseIoMax("254:0 rbps=1 wbps=max riops=3 wiops=max\n", "7:0")).toBeUndefined();
    expect(parseIoStatBytes("")).toBe(0);
  });
});
