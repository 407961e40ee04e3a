/**
 * host.stats' readings of /proc (host-stats.ts): the cpu line's busy and total jiffies, /proc/meminfo in bytes,
 * the load average, on fixed files and on this host's own /proc.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { parseCpuLine, parseMeminfo, readHostLoad } from "../../src/host-stats.js";

describe("host-stats", () => {
  it("busy is everything but idle and iowait; total is the sum of the first eight fields", () => {
    const stat = "cpu  100 5 50 800 40 3 2 0 7 0\ncpu0 50 2 25 400 20 1 1 0 0 0\nintr 1 2 3\n";
    expect(parseCpuLine(stat)).toEqual({ busy: 160, total: 1000 });
    expect(() => parseCpuLine("intr 1 2\n")).toThrow(/no cpu line/);
    expect(() => parseCpuLine("cpu a b c d\n")).toThrow(/bad cpu line/);
  });

  it("meminfo fields in bytes", () => {
    const m = parseMeminfo("MemTotal:       24000 kB\nMemAvailable:   12000 kB\nHugePages_Total:       0\n");
    expect(m.get("MemTotal")).toBe(24000 * 1024);
    expect(m.get("MemAvailable")).toBe(12000 * 1024);
    expect(m.get("HugePages_Total")).toBe(0);
  });

  it("reads a /proc tree: load, memory, swap, uptime", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "host-stats-"));
    try {
      await fs.writeFile(path.join(dir, "stat"), "cpu  10 0 10 80 0 0 0 0\n");
      await fs.writeFile(
        path.join(dir, "meminfo"),
        "MemTotal: 2048 kB\nMemFree: 100 kB\nMemAvailable: 1024 kB\nSwapTotal: 512 kB\nSwapFree: 256 kB\n",
      );
      await fs.writeFile(path.join(dir, "loadavg"), "0.50 0.25 0.10 1/123 4567\n");
      await fs.writeFile(path.join(dir, "uptime"), "3600.25 7000.00\n");
      expect(await readHostLoad(dir)).toEqual({
        cpu: { busy: 20, total: 100 },
        load: [0.5, 0.25, 0.1],
        memory: { totalBytes: 2 * 1024 * 1024, availableBytes: 1024 * 1024 },
        swap: { totalBytes: 512 * 1024, freeBytes: 256 * 1024 },
        uptimeSec: 3600.25,
      });
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("this host's /proc reads: the same total memory as Node's, sane counters", async () => {
    const h = await readHostLoad();
    expect(h.memory.totalBytes).toBe(os.totalmem());
    expect(h.memory.availableBytes).toBeGreaterThan(0);
    expect(h.memory.availableBytes).toBeLessThanOrEqual(h.memory.totalBytes);
    expect(h.cpu.total).toBeGreaterThan(h.cpu.busy);
    expect(h.uptimeSec).toBeGreaterThan(0);
    for (const l of h.load) expect(l).toBeGreaterThanOrEqual(0);
  });
});
