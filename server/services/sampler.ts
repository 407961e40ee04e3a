/**
 * The panel's periodic samplers (usage, traffic): one run at a time, the next one a fixed wait after the last
 * one ended (never back to back, never overlapping), and a longer wait when a run took longer than the
 * interval: twice the run's time, at most MAX_BACKOFF × the interval, so a big node costs the panel at most
 * half its time; the interval again after a run that fits. The clock is injectable for tests.
 */
import type { Params, Result } from "../../native/src/protocol/schema.js";
import type { EnginePort } from "../engine/port.js";
import { isEngineError } from "../errors.js";

export const MAX_BACKOFF = 8;

export interface SamplerClock {
  /** milliseconds, monotonic */
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Real timers that do not keep the process alive. */
export const realClock: SamplerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface SamplerOptions {
  /** for the log, e.g. "usage sampler" */
  name: string;
  intervalMs: number;
  /** one run; its failure is logged and the next run comes as usual */
  run: () => Promise<unknown>;
  clock?: SamplerClock;
  log?: (line: string) => void;
}

export interface Sampler {
  stop(): void;
  /** the wait before the next run */
  readonly delayMs: number;
}

/** The wait after a run that took `tookMs`. */
export function nextDelay(intervalMs: number, tookMs: number): number {
  if (tookMs <= intervalMs) return intervalMs;
  return Math.min(intervalMs * MAX_BACKOFF, Math.ceil(tookMs * 2));
}

export function startSampler(o: SamplerOptions): Sampler {
  const clock = o.clock ?? realClock;
  const log = o.log ?? ((line: string) => console.error(line));
  const secs = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  let delay = o.intervalMs;
  let stopped = false;
  let handle: unknown = null;
  const tick = async () => {
    handle = null;
    const t0 = clock.now();
    try {
      await o.run();
    } catch (e) {
      log(`[panel] ${o.name} failed; the next run retries: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (stopped) return;
    const took = clock.now() - t0;
    const next = nextDelay(o.intervalMs, took);
    if (next > o.intervalMs)
      log(
        `[panel] ${o.name}: a run took ${secs(took)}, more than its interval of ${secs(o.intervalMs)}; next in ${secs(next)}`,
      );
    else if (delay > o.intervalMs) log(`[panel] ${o.name}: back to every ${secs(o.intervalMs)}`);
    delay = next;
    handle = clock.setTimeout(() => void tick(), delay);
  };
  handle = clock.setTimeout(() => void tick(), delay);
  return {
    stop() {
      stopped = true;
      if (handle !== null) clock.clearTimeout(handle);
      handle = null;
    },
    get delayMs() {
      return delay;
    },
  };
}

type CountersMethod = "container.usage" | "container.net.stats";

/** The engine accepts this many ctids in one counters call (native/src/protocol schema). */
const MAX_CTIDS = 10_000;

/**
 * The counters of `ctids` only — the node's containers the panel knows, not whatever else the node runs. When the
 * node lost one of them (NOT_FOUND), or there are more than one call takes, all are asked for and filtered here.
 */
export async function countersOf<M extends CountersMethod>(
  engine: EnginePort,
  method: M,
  ctids: readonly number[],
): Promise<Result<M>> {
  if (!ctids.length) return [] as Result<M>;
  const known = new Set(ctids);
  const all = async () =>
    (await engine.call(method, {} as Params<M>)).filter((r: { ctid: number }) => known.has(r.ctid)) as Result<M>;
  if (ctids.length > MAX_CTIDS) return all();
  try {
    return await engine.call(method, { ctids: [...ctids] } as Params<M>);
  } catch (e) {
    if (isEngineError(e, "NOT_FOUND")) return all();
    throw e;
  }
}
