/**
 * Where running containers' vCPUs sit: pure placement logic, no I/O (cpu-placement.ts applies it).
 *
 * A container with `cpus: N` (OpenVZ's --cpus, Proxmox's cores) gets N CPUs' worth of time on N cores of
 * its allowed set (its cpumask, else every host CPU). Which N cores is the engine's choice, as Proxmox's
 * pvestatd rebalances containers without an explicit mask: the load of a core is the number of running
 * containers whose cpuset holds it; a new container takes the least loaded cores, and after every event
 * at most `maxMoves` containers are moved, one core at a time, from the most loaded core to a core at
 * least two less loaded (each such move strictly lowers the sum of squared loads, so it always ends).
 *
 * A container whose N covers its whole allowed set (an explicit mask with cpus 0, or N = the mask's size)
 * is pinned: it counts towards the load of its cores and is never moved. Containers without any CPU
 * restriction (cpus 0, no mask) are not placed at all.
 *
 * Every operation costs memory and CPU time only; the caller writes the cpusets that changed — the
 * container's own plus at most `maxMoves` others per event, whatever the number of containers.
 */
import { parseCpuList } from "./settings.js";
import type { Limits } from "./settings.js";

export interface CpuDemand {
  /** CPUs the container may run on, sorted, non-empty */
  allowed: number[];
  /** how many of them it gets; count = allowed.length means all of them (pinned) */
  count: number;
}

export interface CpuMove {
  ctid: number;
  /** its new set, sorted */
  cpus: number[];
}

/** What the limits ask for: null = no CPU restriction at all (cpus 0 and no mask). */
export function cpuDemand(l: Pick<Limits, "cpus" | "cpumask">, hostCpus: number): CpuDemand | null {
  if (!l.cpumask && l.cpus <= 0) return null;
  const allowed = l.cpumask ? parseCpuList(l.cpumask) : Array.from({ length: hostCpus }, (_, i) => i);
  const count = l.cpus > 0 ? Math.min(l.cpus, allowed.length) : allowed.length;
  return { allowed, count };
}

/** A demand the balancer may place anywhere in its allowed set (else it is pinned to all of it). */
export function isBalanced(d: CpuDemand): boolean {
  return d.count < d.allowed.length;
}

interface Entry {
  demand: CpuDemand;
  cpus: Set<number>;
}

export const DEFAULT_MAX_MOVES = 4;

export class CpuBalancer {
  private readonly entries = new Map<number, Entry>();
  /** containers holding each CPU (pinned ones included) */
  private readonly load = new Map<number, number>();
  /** balanced containers holding each CPU: the ones a move may take */
  private readonly holders = new Map<number, Set<number>>();

  constructor(readonly maxMoves = DEFAULT_MAX_MOVES) {}

  has(ctid: number): boolean {
    return this.entries.has(ctid);
  }

  /** The container's CPUs, sorted; null when it is not placed. */
  cpusOf(ctid: number): number[] | null {
    const e = this.entries.get(ctid);
    return e ? sorted(e.cpus) : null;
  }

  /** Containers per CPU, for every CPU some placed container may use. */
  loads(): Map<number, number> {
    return new Map([...this.load].sort((a, b) => a[0] - b[0]));
  }

  /** How many containers are placed. */
  get size(): number {
    return this.entries.size;
  }

  /**
   * Place a container (or re-place it after its demand changed). It keeps the CPUs of `current` (the
   * kernel's set after an engine restart) or of its present placement that its demand still allows —
   * the least loaded of them if it now has fewer — and takes the least loaded allowed CPUs for the rest.
   * Then up to maxMoves other containers accepted by `movable` are moved; returns their new sets.
   */
  place(
    ctid: number,
    demand: CpuDemand,
    opts: { current?: readonly number[] | null; movable?: (ctid: number) => boolean; rebalance?: boolean } = {},
  ): CpuMove[] {
    if (demand.allowed.length === 0 || demand.count < 1) throw new Error(`container ${ctid}: empty CPU demand`);
    const keepFrom = opts.current ?? this.cpusOf(ctid) ?? [];
    this.unplace(ctid);
    for (const c of demand.allowed) if (!this.load.has(c)) this.load.set(c, 0);
    let cpus: number[];
    if (!isBalanced(demand)) {
      cpus = [...demand.allowed];
    } else {
      const allowed = new Set(demand.allowed);
      const byLoad = (a: number, b: number) => this.load.get(a)! - this.load.get(b)! || a - b;
      const keep = [...new Set(keepFrom)]
        .filter((c) => allowed.has(c))
        .sort(byLoad)
        .slice(0, demand.count);
      const rest = demand.allowed.filter((c) => !keep.includes(c)).sort(byLoad);
      cpus = [...keep, ...rest.slice(0, demand.count - keep.length)];
    }
    this.add(ctid, demand, cpus);
    if (opts.rebalance === false) return [];
    return this.rebalance((c) => c !== ctid && (opts.movable?.(c) ?? true));
  }

  /** Forget a container (it stopped); returns the moves that rebalance the rest. */
  release(ctid: number, movable?: (ctid: number) => boolean, rebalance = true): CpuMove[] {
    if (!this.unplace(ctid) || !rebalance) return [];
    return this.rebalance(movable);
  }

  /**
   * Up to `maxMoves` single-core moves of balanced containers accepted by `movable`, each from the most
   * loaded core that has a candidate to a core at least two less loaded. The same container moved twice
   * is one entry (one cpuset write).
   */
  rebalance(movable: (ctid: number) => boolean = () => true, maxMoves = this.maxMoves): CpuMove[] {
    const moved = new Set<number>();
    for (let i = 0; i < maxMoves; i++) {
      const m = this.bestMove(movable);
      if (!m) break;
      const e = this.entries.get(m.ctid)!;
      this.take(m.ctid, e, m.from);
      this.give(m.ctid, e, m.to);
      moved.add(m.ctid);
    }
    return [...moved].sort((a, b) => a - b).map((ctid) => ({ ctid, cpus: this.cpusOf(ctid)! }));
  }

  private bestMove(movable: (ctid: number) => boolean): { ctid: number; from: number; to: number } | null {
    let min = Infinity;
    for (const v of this.load.values()) min = Math.min(min, v);
    const sources = [...this.load].filter(([, v]) => v - min >= 2).sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    for (const [from, fromLoad] of sources) {
      let best: { ctid: number; to: number; toLoad: number } | null = null;
      for (const ctid of this.holders.get(from) ?? []) {
        if (!movable(ctid)) continue;
        const e = this.entries.get(ctid)!;
        let to = -1;
        let toLoad = Infinity;
        for (const c of e.demand.allowed) {
          const l = this.load.get(c)!;
          if (!e.cpus.has(c) && l < toLoad) [to, toLoad] = [c, l];
        }
        if (to < 0 || fromLoad - toLoad < 2) continue;
        if (!best || toLoad < best.toLoad || (toLoad === best.toLoad && ctid < best.ctid)) best = { ctid, to, toLoad };
      }
      if (best) return { ctid: best.ctid, from, to: best.to };
    }
    return null;
  }

  private add(ctid: number, demand: CpuDemand, cpus: readonly number[]): void {
    const e: Entry = { demand, cpus: new Set() };
    this.entries.set(ctid, e);
    for (const c of cpus) this.give(ctid, e, c);
  }

  private unplace(ctid: number): boolean {
    const e = this.entries.get(ctid);
    if (!e) return false;
    for (const c of [...e.cpus]) this.take(ctid, e, c);
    this.entries.delete(ctid);
    return true;
  }

  private give(ctid: number, e: Entry, cpu: number): void {
    e.cpus.add(cpu);
    this.load.set(cpu, (this.load.get(cpu) ?? 0) + 1);
    if (isBalanced(e.demand)) {
      let s = this.holders.get(cpu);
      if (!s) this.holders.set(cpu, (s = new Set()));
      s.add(ctid);
    }
  }

  private take(ctid: number, e: Entry, cpu: number): void {
    e.cpus.delete(cpu);
    this.load.set(cpu, this.load.get(cpu)! - 1);
    this.holders.get(cpu)?.delete(ctid);
  }
}

function sorted(s: Iterable<number>): number[] {
  return [...s].sort((a, b) => a - b);
}
