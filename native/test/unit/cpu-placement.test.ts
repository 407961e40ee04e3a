/**
 * The engine's CPU placement against a fake cgroup driver that records every cpuset write: which
 * cpusets an event writes (its own plus the moved neighbours, nothing else), the rebuild from the
 * kernel's cpusets at engine start, and what happens when writes fail.
 */
import { describe, expect, it } from "vitest";
import { CpuPlacement } from "../../src/cpu-placement.js";
import { EngineError } from "../../src/errors.js";
import { defaultLimits, type Limits } from "../../src/settings.js";

function setup(hostCpus = 2, kernel = new Map<number, number[]>()) {
  const writes: Array<[number, string]> = [];
  const logs: string[] = [];
  const fail = new Map<number, EngineError>();
  const ctidOf = (rel: string) => Number(rel.split("/").pop());
  const p = new CpuPlacement({
    hostCpus,
    cgroupDir: (ctid) => `ovz/${ctid}`,
    log: (l) => logs.push(l),
    cgroups: {
      async setCpus(rel, cpus) {
        const ctid = ctidOf(rel);
        const err = fail.get(ctid);
        if (err) throw err;
        writes.push([ctid, cpus.join(",")]);
        kernel.set(ctid, [...cpus]);
      },
      async readCpus(rel) {
        return kernel.get(ctidOf(rel)) ?? null;
      },
    },
  });
  return { p, writes, logs, fail, kernel };
}
const lim = (patch: Partial<Limits>): Limits => ({ ...defaultLimits(), ...patch });

describe("CpuPlacement", () => {
  it("a start writes the newcomer's cpuset only; a stop writes only the one neighbour it moves", async () => {
    const { p, writes } = setup();
    for (const ctid of [1, 2, 3]) await p.place(ctid, lim({ cpus: 1 }));
    expect(writes).toEqual([
      [1, "0"],
      [2, "1"],
      [3, "0"],
    ]);
    writes.length = 0;
    await p.stopped(2); // core 1 empties, core 0 holds two: one moves
    expect(writes).toEqual([[1, "1"]]);
    writes.length = 0;
    await p.stopped(2); // twice: nothing
    expect(writes).toEqual([]);
  });

  it("the LXC config pins explicit masks (and whole sets) only, never a balanced core", () => {
    const { p } = setup(4);
    expect(p.configCpus(lim({ cpus: 1 }))).toEqual([]);
    expect(p.configCpus(lim({ cpus: 0, cpumask: "2" }))).toEqual([2]);
    expect(p.configCpus(lim({ cpus: 2, cpumask: "1-2" }))).toEqual([1, 2]);
    expect(p.configCpus(lim({ cpus: 1, cpumask: "1-2" }))).toEqual([]);
    expect(p.configCpus(lim({ cpus: 0 }))).toEqual([]);
  });

  it("a live change re-places the container: unrestricted writes [] (all CPUs), a mask pins it", async () => {
    const { p, writes } = setup(4);
    await p.place(1, lim({ cpus: 1 }));
    await p.place(1, lim({ cpus: 0 }));
    await p.place(1, lim({ cpus: 0, cpumask: "3" }));
    await p.place(1, lim({ cpus: 2, cpumask: "2-3" }));
    expect(writes).toEqual([
      [1, "0"],
      [1, ""],
      [1, "3"],
      [1, "2,3"],
    ]);
    expect(p.cpusOf(1)).toEqual([2, 3]);
    expect(p.cpusOf(9)).toBeNull();
  });

  it("rebuilds from the kernel at engine start: keeps fitting cpusets, corrects the others, writes nothing else", async () => {
    const kernel = new Map([
      [1, [1]],
      [2, [0]],
      [3, [0, 1]],
      [4, [0, 1]],
      [5, [0]],
    ]);
    const { p, writes } = setup(2, kernel);
    await p.adopt([
      { ctid: 1, limits: lim({ cpus: 1 }) }, // fresh placement would put it on 0: kept on 1
      { ctid: 2, limits: lim({ cpus: 1 }) }, // kept on 0
      { ctid: 3, limits: lim({ cpus: 0 }) }, // unrestricted, kernel shows all CPUs: fine
      { ctid: 4, limits: lim({ cpus: 1 }) }, // two cores for one vCPU: narrowed
      { ctid: 5, limits: lim({ cpumask: "1" }) }, // pin changed while the engine was down: rewritten
      { ctid: 6, limits: lim({ cpus: 1 }) }, // no cgroup: not running
    ]);
    expect(writes.map(([c]) => c).sort()).toEqual([4, 5]);
    expect(kernel.get(5)).toEqual([1]);
    expect(kernel.get(4)).toEqual([0]);
    expect(p.cpusOf(1)).toEqual([1]);
    expect(p.cpusOf(2)).toEqual([0]);
    expect(p.cpusOf(6)).toBeNull();
  });

  it("the container's own failed write is thrown; a vanished neighbour is forgotten", async () => {
    const { p, writes, logs, fail, kernel } = setup();
    await p.place(1, lim({ cpus: 1 }));
    fail.set(2, new EngineError("LIMIT_OUT_OF_RANGE", "refused"));
    await expect(p.place(2, lim({ cpus: 1 }))).rejects.toThrow(/refused/);
    fail.delete(2);
    await p.place(3, lim({ cpus: 1 }));
    await p.place(2, lim({ cpus: 1 }));
    // 1 and 3 on core 0, 2 on core 1; 1 stopped behind the engine's back (no cgroup)
    expect([p.cpusOf(1), p.cpusOf(2), p.cpusOf(3)]).toEqual([[0], [1], [0]]);
    kernel.delete(1);
    fail.set(1, new EngineError("NOT_RUNNING", "gone"));
    writes.length = 0;
    await p.stopped(2); // core 1 empty: the balancer moves 1 (lowest ctid) — its write fails, it is forgotten
    await p.forgetIfGone(1);
    expect(p.cpusOf(1)).toBeNull();
    expect(logs.join("\n")).toMatch(/container 1 stopped behind the engine's back/);
    await p.place(4, lim({ cpus: 1 }));
    expect(p.cpusOf(4)).toEqual([1]);
  });
});
