import { describe, expect, it } from "vitest";
import {
  crossCheck,
  defaultLimits,
  effectiveCpulimit,
  formatCpuList,
  LIMIT_KEYS,
  LIMITS,
  limitsPatchSchema,
  parseCpuList,
  parseSize,
} from "../../src/settings.js";

describe("limit declarations", () => {
  it("declares every key once with a consistent range and default", () => {
    for (const k of LIMIT_KEYS) {
      const d = LIMITS[k];
      expect(d.key).toBe(k);
      expect(d.min).toBeLessThanOrEqual(d.max);
      if (typeof d.default === "number") {
        expect(d.default).toBeGreaterThanOrEqual(d.min);
        expect(d.default).toBeLessThanOrEqual(d.max);
      }
      expect(d.description.length).toBeGreaterThan(10);
    }
  });

  it("default limits pass their own schema", () => {
    const r = limitsPatchSchema.safeParse(defaultLimits());
    expect(r.success).toBe(true);
  });
});

describe("parseSize", () => {
  it.each([
    ["4096", 4096],
    ["1K", 1024],
    ["512M", 512 * 1024 ** 2],
    ["2G", 2 * 1024 ** 3],
    ["1.5G", 1.5 * 1024 ** 3],
    ["1T", 1024 ** 4],
    ["64mb", 64 * 1024 ** 2],
  ])("%s → %d", (text, n) => expect(parseSize(text)).toBe(n));

  it.each(["", "abc", "1X", "-1G", "1 G G"])("rejects %j", (t) => expect(() => parseSize(t)).toThrow(/bad size/));
});

describe("cpu lists", () => {
  it("parses and formats ranges", () => {
    expect(parseCpuList("0-2,5,7-8")).toEqual([0, 1, 2, 5, 7, 8]);
    expect(formatCpuList([8, 7, 5, 2, 1, 0])).toBe("0-2,5,7-8");
    expect(parseCpuList("")).toEqual([]);
  });
  it("rejects bad syntax", () => {
    expect(() => parseCpuList("2-1")).toThrow();
    expect(() => parseCpuList("a")).toThrow();
  });
  it("caps vCPUs at N CPUs' worth of time, an explicit cpulimit lower still (which cores: cpu-balance)", () => {
    expect(effectiveCpulimit({ cpus: 0, cpulimit: 0 })).toBe(0);
    expect(effectiveCpulimit({ cpus: 0, cpulimit: 150 })).toBe(150);
    expect(effectiveCpulimit({ cpus: 1, cpulimit: 0 })).toBe(100);
    expect(effectiveCpulimit({ cpus: 2, cpulimit: 0 })).toBe(200);
    expect(effectiveCpulimit({ cpus: 2, cpulimit: 150 })).toBe(150);
    expect(effectiveCpulimit({ cpus: 1, cpulimit: 150 })).toBe(100);
  });
});

describe("limitsPatchSchema", () => {
  it("accepts size strings and converts them to bytes", () => {
    const r = limitsPatchSchema.parse({ ram: "1G", swap: "512M", numproc: 100 });
    expect(r).toEqual({ ram: 1024 ** 3, swap: 512 * 1024 ** 2, numproc: 100 });
  });
  it("refuses out-of-range values with a message naming the limit and the bound", () => {
    const r = limitsPatchSchema.safeParse({ ram: "1M" });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues)).toContain("RAM must be at least 16M");
    const p = limitsPatchSchema.safeParse({ numproc: 1.5 });
    expect(p.success).toBe(false);
  });
  it("refuses unknown keys", () => {
    expect(limitsPatchSchema.safeParse({ bogus: 1 }).success).toBe(false);
  });
  it("cross-checks against the host", () => {
    const l = { ...defaultLimits(), cpulimit: 300 };
    expect(crossCheck(l, 2)[0]).toMatch(/exceeds this host's 2 CPUs/);
    expect(crossCheck({ ...defaultLimits(), cpumask: "0-5" }, 2)[0]).toBe(
      "CPU mask 0-5 names CPUs 2-5, but this host has only CPUs 0-1",
    );
    // a mask of a thousand CPUs is named as ranges, not listed one by one (issue 17)
    const wide = crossCheck({ ...defaultLimits(), cpumask: "0-999" }, 2)[0]!;
    expect(wide).toBe("CPU mask 0-999 names CPUs 2-999, but this host has only CPUs 0-1");
    expect(crossCheck({ ...defaultLimits(), cpumask: "0,3,7-9" }, 1)[0]).toBe(
      "CPU mask 0,3,7-9 names CPUs 3,7-9, but this host has only CPU 0",
    );
    expect(crossCheck({ ...defaultLimits(), cpumask: "0", cpus: 2 }, 2)[0]).toMatch(/more than the 1 CPUs/);
    expect(crossCheck(defaultLimits(), 2)).toEqual([]);
  });
});
