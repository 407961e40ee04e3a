/**
 * The panel's periodic sampler (server/services/sampler.ts) on a fake clock: one run at a time, the next one an
 * interval after the last one ended, a longer wait after a run slower than the interval and the interval again
 * after one that fits, failures logged without stopping it, stop() final; and countersOf asking the engine only
 * about the panel's containers.
 */
import { describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import type { EnginePort } from "../../engine/port.js";
import { countersOf, MAX_BACKOFF, nextDelay, startSampler, type SamplerClock } from "../../services/sampler.js";

/** A clock whose time moves only when the test says; timers fire in order of their due time. */
function fakeClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: SamplerClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  return {
    clock,
    advance: (ms: number) => (now += ms),
    /** the waits of the timers now pending, relative to now */
    pending: () => [...timers.values()].map((t) => t.at - now),
    /** fire the next timer (moving the time to it) */
    fire() {
      const [id, t] = [...timers.entries()].sort((a, b) => a[1].at - b[1].at)[0]!;
      timers.delete(id);
      now = t.at;
      t.fn();
    },
  };
}

const flush = () => new Promise((r) => setImmediate(r));

/** A run the test finishes by hand, taking as long as the test advanced the clock meanwhile. */
function controlledRuns() {
  let active = 0;
  let maxActive = 0;
  let calls = 0;
  const finishers: Array<(fail?: Error) => void> = [];
  const run = () =>
    new Promise<void>((resolve, reject) => {
      calls++;
      active++;
      maxActive = Math.max(maxActive, active);
      finishers.push((fail) => {
        active--;
        if (fail) reject(fail);
        else resolve();
      });
    });
  return {
    run,
    calls: () => calls,
    maxActive: () => maxActive,
    finish: async (fail?: Error) => {
      finishers.shift()!(fail);
      await flush();
    },
  };
}

describe("sampler", () => {
  it("runs one at a time: the next wait starts when a run ends, never while one runs", async () => {
    const c = fakeClock();
    const r = controlledRuns();
    const s = startSampler({ name: "t", intervalMs: 10_000, run: r.run, clock: c.clock, log: () => {} });
    expect(c.pending()).toEqual([10_000]);
    c.fire();
    expect(r.calls()).toBe(1);
    expect(c.pending()).toEqual([]); // nothing scheduled while the run goes on
    c.advance(4_000);
    await r.finish();
    expect(c.pending()).toEqual([10_000]); // a full interval after the end, not 6 s
    c.fire();
    await r.finish();
    expect(r.calls()).toBe(2);
    expect(r.maxActive()).toBe(1);
    s.stop();
  });

  it("backs off after a run longer than the interval and comes back after one that fits", async () => {
    const c = fakeClock();
    const r = controlledRuns();
    const lines: string[] = [];
    const s = startSampler({
      name: "usage sampler",
      intervalMs: 10_000,
      run: r.run,
      clock: c.clock,
      log: (l) => lines.push(l),
    });
    c.fire();
    c.advance(15_000); // slower than the interval
    await r.finish();
    expect(s.delayMs).toBe(30_000);
    expect(c.pending()).toEqual([30_000]);
    expect(lines.at(-1)).toMatch(/usage sampler: a run took 15 s, more than its interval of 10 s; next in 30 s/);
    c.fire();
    c.advance(200_000); // far slower: the wait is capped
    await r.finish();
    expect(s.delayMs).toBe(10_000 * MAX_BACKOFF);
    c.fire();
    c.advance(2_000); // fits again
    await r.finish();
    expect(s.delayMs).toBe(10_000);
    expect(lines.at(-1)).toMatch(/back to every 10 s/);
    s.stop();
  });

  it("a failed run is logged and the sampler goes on; stop() ends it, also during a run", async () => {
    const c = fakeClock();
    const r = controlledRuns();
    const lines: string[] = [];
    const s = startSampler({ name: "t", intervalMs: 1_000, run: r.run, clock: c.clock, log: (l) => lines.push(l) });
    c.fire();
    await r.finish(new Error("node unreachable"));
    expect(lines).toEqual(["[panel] t failed; the next run retries: node unreachable"]);
    expect(c.pending()).toEqual([1_000]);
    c.fire();
    s.stop(); // while the second run goes on
    await r.finish();
    expect(c.pending()).toEqual([]);
    expect(r.calls()).toBe(2);
  });

  it("nextDelay: the interval when a run fits, else twice the run, at most MAX_BACKOFF intervals", () => {
    expect(nextDelay(10_000, 0)).toBe(10_000);
    expect(nextDelay(10_000, 10_000)).toBe(10_000);
    expect(nextDelay(10_000, 10_001)).toBe(20_002);
    expect(nextDelay(10_000, 1e9)).toBe(10_000 * MAX_BACKOFF);
  });
});

describe("countersOf", () => {
  const engine = (onCall: (method: string, params: { ctids?: number[] }) => unknown) =>
    ({
      call: async (method: string, params: { ctids?: number[] }) => onCall(method, params),
      close: () => {},
    }) as unknown as EnginePort;

  it("asks for the given containers only, and nothing for none", async () => {
    const asked: Array<number[] | undefined> = [];
    const e = engine((_m, p) => (asked.push(p.ctids), (p.ctids ?? []).map((ctid) => ({ ctid }))));
    expect(await countersOf(e, "container.usage", [101, 102])).toEqual([{ ctid: 101 }, { ctid: 102 }]);
    expect(await countersOf(e, "container.net.stats", [])).toEqual([]);
    expect(asked).toEqual([[101, 102]]);
  });

  it("a container the node lost: all are asked for and filtered to the given ones", async () => {
    const asked: Array<number[] | undefined> = [];
    const e = engine((_m, p) => {
      asked.push(p.ctids);
      if (p.ctids) throw new EngineError("NOT_FOUND", "container 103 does not exist");
      return [{ ctid: 101 }, { ctid: 555 }];
    });
    expect(await countersOf(e, "container.usage", [101, 103])).toEqual([{ ctid: 101 }]);
    expect(asked).toEqual([[101, 103], undefined]);
    const broken = engine(() => {
      throw new EngineError("TIMEOUT", "the node did not answer");
    });
    await expect(countersOf(broken, "container.usage", [101])).rejects.toMatchObject({ code: "TIMEOUT" });
  });
});
