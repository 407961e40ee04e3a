/**
 * cgroup v1: lxcKeys rendering and unit conversions. Pure: host capabilities (swap accounting, BFQ) come
 * from a fake mount root in a temp dir, never from the real /sys/fs/cgroup.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CgroupLimits } from "../../src/drivers/cgroup/types.js";
import {
  checkRel,
  cpulimitToQuota,
  parseKeyed,
  parseLimit,
  parseWeight,
  quotaToCpulimit,
} from "../../src/drivers/cgroup/common.js";
import {
  CgroupV1,
  cpuunitsToShares,
  parseIoServiceTotal,
  parseThrottle,
  sharesToCpuunits,
} from "../../src/drivers/cgroup/v1.js";
import { cpuunitsToWeight } from "../../src/drivers/cgroup/v2.js";
import { isEngineError } from "../../src/errors.js";

const MiB = 1024 * 1024;
const roots: string[] = [];
afterAll(() => {
  for (const r of roots) rmSync(r, { recursive: true, force: true });
});

/** A fake v1 mount root: memory (with or without memsw) and blkio (with or without BFQ). */
function fakeRoot(opts: { memsw: boolean; blkio: "bfq" | "cfq" | "none" }): string {
  const root = mkdtempSync(path.join(tmpdir(), "cgv1-keys-"));
  roots.push(root);
  mkdirSync(path.join(root, "memory"));
  writeFileSync(path.join(root, "memory", "cgroup.procs"), "");
  writeFileSync(path.join(root, "memory", "memory.limit_in_bytes"), "9223372036854771712\n");
  if (opts.memsw) writeFileSync(path.join(root, "memory", "memory.memsw.limit_in_bytes"), "9223372036854771712\n");
  mkdirSync(path.join(root, "blkio"));
  writeFileSync(path.join(root, "blkio", "blkio.throttle.read_bps_device"), "");
  if (opts.blkio === "bfq") writeFileSync(path.join(root, "blkio", "blkio.bfq.io_service_bytes"), "Total 0\n");
  if (opts.blkio === "cfq") writeFileSync(path.join(root, "blkio", "blkio.weight"), "500\n");
  return root;
}

const base: CgroupLimits = {
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

describe("cgroup v1 unit conversions", () => {
  it("cpuunits → cpu.shares = round(units*1024/1000) clamped 2..262144", () => {
    expect(cpuunitsToShares(1000)).toBe(1024);
    expect(cpuunitsToShares(2000)).toBe(2048);
    expect(cpuunitsToShares(8)).toBe(8);
    expect(cpuunitsToShares(1)).toBe(2);
    expect(cpuunitsToShares(250)).toBe(256);
    expect(cpuunitsToShares(333)).toBe(341); // 340.99 rounds up
    expect(cpuunitsToShares(500000)).toBe(262144);
    expect(sharesToCpuunits(1024)).toBe(1000);
    expect(sharesToCpuunits(2048)).toBe(2000);
    expect(sharesToCpuunits(262144)).toBe(256000);
  });

  it("cpuunits → v2 cpu.weight = clamp(round(units/10), 1, 10000)", () => {
    expect(cpuunitsToWeight(1000)).toBe(100);
    expect(cpuunitsToWeight(8)).toBe(1);
    expect(cpuunitsToWeight(15)).toBe(2);
    expect(cpuunitsToWeight(500000)).toBe(10000);
  });

  it("cpulimit ↔ CFS quota with a 100000 µs period", () => {
    expect(cpulimitToQuota(0)).toBe(-1);
    expect(cpulimitToQuota(1)).toBe(1000);
    expect(cpulimitToQuota(50)).toBe(50000);
    expect(cpulimitToQuota(250)).toBe(250000);
    expect(quotaToCpulimit(-1, 100000)).toBe(0);
    expect(quotaToCpulimit(null, 100000)).toBe(0);
    expect(quotaToCpulimit(50000, 100000)).toBe(50);
    expect(quotaToCpulimit(25000, 50000)).toBe(50);
  });

  it("parses kernel file formats", () => {
    expect(parseLimit("9223372036854771712\n")).toBeNull();
    expect(parseLimit("max\n")).toBeNull();
    expect(parseLimit("-1")).toBeNull();
    expect(parseLimit("134217728\n")).toBe(134217728);
    expect(parseLimit(null)).toBeNull();
    expect(parseKeyed("max 3\n").get("max")).toBe(3);
    expect(parseKeyed("nr_periods 12\nnr_throttled 4\nthrottled_time 9\n").get("nr_throttled")).toBe(4);
    expect(parseKeyed("oom_kill_disable 0\nunder_oom 0\noom_kill 2\n").get("oom_kill")).toBe(2);
    const t = parseThrottle("254:0 10485760\n7:3 1\n");
    expect(t.get("254:0")).toBe(10485760);
    expect(t.get("7:3")).toBe(1);
    expect(parseThrottle("").size).toBe(0);
    expect(
      parseIoServiceTotal(
        "254:0 Read 106496\n254:0 Write 8388608\n254:0 Sync 8495104\n254:0 Async 0\n254:0 Discard 0\n254:0 Total 8495104\nTotal 8495104\n",
      ),
    ).toBe(8495104);
    expect(parseIoServiceTotal("254:0 Total 5\n7:0 Total 6\n")).toBe(11);
    expect(parseIoServiceTotal("Total 0\n")).toBe(0);
    expect(parseWeight("500\n")).toBe(500);
    expect(parseWeight("default 100\n254:0 200\n")).toBe(100);
  });

  it("rejects unsafe cgroup paths", () => {
    expect(checkRel("ovz/101")).toBe("ovz/101");
    expect(checkRel("ovz//101/")).toBe("ovz/101");
    for (const bad of ["", "/", "/ovz/101", "ovz/../..", "..", "ovz/./101"]) {
      expect(() => checkRel(bad)).toThrow(/bad cgroup path/);
    }
  });
});

describe("cgroup v1 lxcKeys", () => {
  it("renders every limit with the kernel's values, memsw = ram + swap after limit_in_bytes", () => {
    const d = new CgroupV1({ mountRoot: fakeRoot({ memsw: true, blkio: "bfq" }) });
    expect(d.version).toBe(1);
    expect(d.lxcKeys(base)).toEqual([
      ["lxc.cgroup.memory.limit_in_bytes", String(128 * MiB)],
      ["lxc.cgroup.memory.memsw.limit_in_bytes", String(192 * MiB)],
      ["lxc.cgroup.cpu.shares", "2048"],
      ["lxc.cgroup.cpu.cfs_period_us", "100000"],
      ["lxc.cgroup.cpu.cfs_quota_us", "50000"],
      ["lxc.cgroup.cpuset.cpus", "0"],
      ["lxc.cgroup.pids.max", "32"],
      ["lxc.cgroup.blkio.bfq.weight", "500"],
      ["lxc.cgroup.blkio.throttle.read_bps_device", "254:0 10485760"],
      ["lxc.cgroup.blkio.throttle.write_bps_device", "254:0 10485760"],
      ["lxc.cgroup.blkio.throttle.read_iops_device", "254:0 100"],
      ["lxc.cgroup.blkio.throttle.write_iops_device", "254:0 100"],
    ]);
  });

  it("omits memsw without swap accounting, uses blkio.weight without BFQ, nothing without either", () => {
    const noSwap = new CgroupV1({ mountRoot: fakeRoot({ memsw: false, blkio: "cfq" }) }).lxcKeys(base);
    expect(noSwap.find(([k]) => k.includes("memsw"))).toBeUndefined();
    expect(noSwap).toContainEqual(["lxc.cgroup.blkio.weight", "500"]);
    const none = new CgroupV1({ mountRoot: fakeRoot({ memsw: true, blkio: "none" }) }).lxcKeys(base);
    expect(none.find(([k]) => k.includes("weight"))).toBeUndefined();
  });

  it("no cap: quota -1, no cpuset key for all CPUs, no throttle rules for 0 or without a device", () => {
    const d = new CgroupV1({ mountRoot: fakeRoot({ memsw: true, blkio: "bfq" }) });
    const keys = new Map(d.lxcKeys({ ...base, cpulimit: 0, cpus: [], iolimit: 0, iopslimit: 0 }));
    expect(keys.get("lxc.cgroup.cpu.cfs_quota_us")).toBe("-1");
    expect(keys.has("lxc.cgroup.cpuset.cpus")).toBe(false);
    expect([...keys.keys()].filter((k) => k.includes("throttle"))).toEqual([]);
    const noDev = new Map(d.lxcKeys({ ...base, ioDevice: null }));
    expect([...noDev.keys()].filter((k) => k.includes("throttle"))).toEqual([]);
    expect(new Map(d.lxcKeys({ ...base, cpus: null })).has("lxc.cgroup.cpuset.cpus")).toBe(false); // placed at start
    const multi = new Map(d.lxcKeys({ ...base, cpus: [0, 1, 2, 5], swap: 0 }));
    expect(multi.get("lxc.cgroup.cpuset.cpus")).toBe("0-2,5");
    expect(multi.get("lxc.cgroup.memory.memsw.limit_in_bytes")).toBe(String(128 * MiB));
  });

  it("rejects values that must never reach the kernel", () => {
    const d = new CgroupV1({ mountRoot: fakeRoot({ memsw: true, blkio: "none" }) });
    const code = (l: CgroupLimits) => {
      try {
        d.lxcKeys(l);
        return "ok";
      } catch (e) {
        return isEngineError(e) ? e.code : "other";
      }
    };
    expect(code({ ...base, ram: 0 })).toBe("LIMIT_OUT_OF_RANGE");
    expect(code({ ...base, swap: -1 })).toBe("LIMIT_OUT_OF_RANGE");
    expect(code({ ...base, cpulimit: 1.5 })).toBe("LIMIT_OUT_OF_RANGE");
    expect(code({ ...base, ioDevice: "254:0 1\n7:0" })).toBe("BAD_REQUEST");
    expect(code({ ...base, ioDevice: "/dev/vda" })).toBe("BAD_REQUEST");
    expect(code(base)).toBe("ok");
  });
});
