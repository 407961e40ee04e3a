/** The vCPU balancer (pure): which cores running containers get, and how few move on each event. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CpuBalancer, cpuDemand, isBalanced, type CpuDemand } from "../../src/cpu-balance.js";

const host = (n: number) => Array.from({ length: n }, (_, i) => i);
const vcpus = (count: number, hostCpus = 2): CpuDemand => ({ allowed: host(hostCpus), count });
const pinned = (...cpus: number[]): CpuDemand => ({ allowed: cpus, count: cpus.length });
const spread = (b: CpuBalancer) => {
  const v = [...b.loads().values()];
  return Math.max(...v) - Math.min(...v);
};

describe("cpuDemand: what the limits ask for", () => {
  it("cpus 0 without a mask restricts nothing", () => {
    expect(cpuDemand({ cpus: 0, cpumask: null }, 4)).toBeNull();
  });
  it("cpus N: N of all host CPUs, placed by the balancer", () => {
    const d = cpuDemand({ cpus: 1, cpumask: null }, 4)!;
    expect(d).toEqual({ allowed: [0, 1, 2, 3], count: 1 });
    expect(isBalanced(d)).toBe(true);
  });
  it("a mask alone pins to exactly the mask", () => {
    const d = cpuDemand({ cpus: 0, cpumask: "1-2" }, 4)!;
    expect(d).toEqual({ allowed: [1, 2], count: 2 });
    expect(isBalanced(d)).toBe(false);
  });
  it("cpus N within a mask: N of the mask; N covering the mask (or the host) is the whole set", () => {
    expect(cpuDemand({ cpus: 1, cpumask: "1-3" }, 4)).toEqual({ allowed: [1, 2, 3], count: 1 });
    expect(isBalanced(cpuDemand({ cpus: 2, cpumask: "0-1" }, 4)!)).toBe(false);
    expect(isBalanced(cpuDemand({ cpus: 2, cpumask: null }, 2)!)).toBe(false);
  });
});

describe("CpuBalancer", () => {
  it("spreads 1-vCPU containers over the cores instead of stacking them on CPU 0", () => {
    const b = new CpuBalancer();
    for (const ctid of [101, 102, 103, 104]) expect(b.place(ctid, vcpus(1))).toEqual([]);
    expect([101, 102, 103, 104].map((c) => b.cpusOf(c))).toEqual([[0], [1], [0], [1]]);
    expect(b.loads()).toEqual(
      new Map([
        [0, 2],
        [1, 2],
      ]),
    );
  });

  it("gives N-vCPU containers N distinct least-loaded cores", () => {
    const b = new CpuBalancer();
    b.place(1, vcpus(1, 4));
    b.place(2, vcpus(2, 4));
    expect(b.cpusOf(2)).toEqual([1, 2]);
    b.place(3, vcpus(3, 4));
    expect(b.cpusOf(3)).toEqual([0, 1, 3]);
  });

  it("places within the mask", () => {
    const b = new CpuBalancer();
    b.place(1, { allowed: [2, 3], count: 1 });
    b.place(2, { allowed: [2, 3], count: 1 });
    expect([b.cpusOf(1), b.cpusOf(2)]).toEqual([[2], [3]]);
    b.place(3, vcpus(1, 4));
    expect(b.cpusOf(3)).toEqual([0]);
  });

  it("a stop that leaves a core two behind moves exactly one container to it", () => {
    const b = new CpuBalancer();
    for (const ctid of [1, 2, 3]) b.place(ctid, vcpus(1)); // 1→0, 2→1, 3→0
    expect(b.release(2)).toEqual([{ ctid: 1, cpus: [1] }]);
    expect(b.loads()).toEqual(
      new Map([
        [0, 1],
        [1, 1],
      ]),
    );
    expect(b.release(1)).toEqual([]); // 1 vs 0: balanced enough
  });

  it("never moves a pinned container; moves the balanced ones off its core", () => {
    const b = new CpuBalancer();
    b.place(1, vcpus(1)); // core 0
    b.place(2, vcpus(1)); // core 1
    expect(b.place(10, pinned(0))).toEqual([]); // 2 vs 1
    expect(b.place(11, pinned(0))).toEqual([{ ctid: 1, cpus: [1] }]); // 3 vs 1 → 1 moves
    b.place(12, pinned(0)); // 3 pinned on core 0 vs 2 balanced on core 1: nothing may move there
    expect(b.rebalance()).toEqual([]);
    expect([b.cpusOf(10), b.cpusOf(11), b.cpusOf(12)]).toEqual([[0], [0], [0]]);
  });

  it("moves only containers the caller allows (e.g. not one that is starting)", () => {
    const b = new CpuBalancer();
    b.place(1, vcpus(1), { rebalance: false, current: [0] });
    b.place(2, vcpus(1), { rebalance: false, current: [0] });
    expect(b.rebalance((c) => c !== 1)).toEqual([{ ctid: 2, cpus: [1] }]);
  });

  it("keeps the placement the kernel holds (engine restart) even where a fresh one would differ", () => {
    const b = new CpuBalancer();
    b.place(1, vcpus(1), { current: [1], rebalance: false });
    b.place(2, vcpus(1), { current: [0], rebalance: false });
    expect(b.rebalance()).toEqual([]);
    expect([b.cpusOf(1), b.cpusOf(2)]).toEqual([[1], [0]]);
    // a kernel set the demand no longer fits is replaced
    b.place(3, vcpus(1), { current: [0, 1], rebalance: false });
    expect(b.cpusOf(3)).toHaveLength(1);
    b.place(4, { allowed: [1], count: 1 }, { current: [0] });
    expect(b.cpusOf(4)).toEqual([1]);
  });

  it("a live change of vCPUs keeps the cores the container already has", () => {
    const b = new CpuBalancer();
    b.place(1, vcpus(1, 4)); // 0
    b.place(2, vcpus(1, 4)); // 1
    b.place(2, vcpus(2, 4));
    expect(b.cpusOf(2)).toEqual([1, 2]);
    b.place(2, vcpus(1, 4));
    expect(b.cpusOf(2)).toHaveLength(1);
    expect(b.cpusOf(2)![0]).not.toBe(0);
    b.place(1, { allowed: [3], count: 1 });
    expect(b.cpusOf(1)).toEqual([3]);
  });

  it("moves at most maxMoves containers per event, the same container counted once", () => {
    const b = new CpuBalancer(1);
    for (let ctid = 1; ctid <= 6; ctid++) b.place(ctid, vcpus(1, 3), { current: [0], rebalance: false });
    expect(b.rebalance()).toHaveLength(1);
    expect(b.rebalance(undefined, 10).length).toBeLessThanOrEqual(10);
    expect(spread(b)).toBeLessThanOrEqual(1);
    expect(b.release(999)).toEqual([]); // unknown: nothing to do
  });

  it("1,000 containers on 16 cores: random starts and stops keep the cores within one of each other, ≤ 1 move each", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(1999)), { minLength: 1, maxLength: 3000 }), (events) => {
        const b = new CpuBalancer();
        for (let ctid = 0; ctid < 1000; ctid++) b.place(ctid, vcpus(1, 16));
        for (const [start, ctid] of events) {
          const moves = start ? b.place(ctid, vcpus(1, 16)) : b.release(ctid);
          if (moves.length > 1 || spread(b) > 1) return false;
        }
        return true;
      }),
      { numRuns: 20 },
    );
  });

  it("mixed vCPU counts and masks: every event moves at most maxMoves and never a pinned container", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(59), fc.integer({ min: 0, max: 4 }), fc.boolean()), { minLength: 1, maxLength: 400 }),
        (events) => {
          const b = new CpuBalancer();
          const pins = new Map<number, number[]>();
          for (const [ctid, kind, stop] of events) {
            if (stop) {
              pins.delete(ctid);
              if (b.release(ctid).length > b.maxMoves) return false;
              continue;
            }
            const d = kind === 0 ? pinned(ctid % 8) : kind === 4 ? { allowed: [4, 5, 6, 7], count: 2 } : vcpus(kind, 8);
            if (kind === 0) pins.set(ctid, [ctid % 8]);
            else pins.delete(ctid);
            const moves = b.place(ctid, d);
            if (moves.length > b.maxMoves || moves.some((m) => pins.has(m.ctid) || m.ctid === ctid)) return false;
            for (const [p, cpus] of pins) if (JSON.stringify(b.cpusOf(p)) !== JSON.stringify(cpus)) return false;
            if (b.cpusOf(ctid)!.length !== d.count || b.cpusOf(ctid)!.some((c) => !d.allowed.includes(c))) return false;
          }
          return true;
        },
      ),
      { numRuns: 200 },
    );
  });
});
