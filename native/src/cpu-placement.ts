/**
 * The engine's side of vCPU placement: keeps the balancer (cpu-balance.ts) in step with the containers
 * that run and writes their cpusets. Every cpuset write on a running container goes through here, one
 * at a time, and each write takes the balancer's value at the moment it runs — so when events overlap
 * (a start moving a neighbour while that neighbour's limits change) the kernel still ends up holding
 * what the balancer decided last.
 *
 * - State is in memory. At engine start it is rebuilt from the cpusets the kernel holds (adopt): a
 *   restart or a crash moves nobody who is placed acceptably.
 * - An event (start, stop, live change) writes the container's own cpuset plus at most the balancer's
 *   maxMoves others: O(1) cgroup writes, whatever the number of containers.
 * - A balanced container's cores are never written into its LXC config (they would pin the stopped
 *   container to stale cores): the config carries its quota and only explicit pins (configCpus); the
 *   engine places it right after each start.
 */
import { CpuBalancer, cpuDemand, isBalanced, type CpuDemand } from "./cpu-balance.js";
import type { CgroupDriver } from "./drivers/cgroup/types.js";
import { isEngineError } from "./errors.js";
import type { Limits } from "./settings.js";

export interface CpuPlacementDeps {
  hostCpus: number;
  cgroups: Pick<CgroupDriver, "setCpus" | "readCpus">;
  cgroupDir(ctid: number): string;
  log(line: string): void;
}

export class CpuPlacement {
  readonly balancer: CpuBalancer;
  /** running containers and what they ask for (null = no CPU restriction) */
  private readonly running = new Map<number, CpuDemand | null>();
  private lane: Promise<void> = Promise.resolve();

  constructor(
    private readonly d: CpuPlacementDeps,
    maxMoves?: number,
  ) {
    this.balancer = new CpuBalancer(maxMoves);
  }

  /** The CPUs for the container's LXC config: an explicit pin, or [] (none; a balanced one is placed at start). */
  configCpus(l: Pick<Limits, "cpus" | "cpumask">): number[] {
    const demand = cpuDemand(l, this.d.hostCpus);
    return demand && !isBalanced(demand) ? demand.allowed : [];
  }

  /** The cores the container holds or will hold while it runs; null when it is not running. */
  cpusOf(ctid: number): number[] | null {
    if (!this.running.has(ctid)) return null;
    return this.running.get(ctid) ? this.balancer.cpusOf(ctid) : [];
  }

  /**
   * The container runs (it just started or was restored, or its limits changed live): place it — keeping
   * the cores it has when they still fit — write its cpuset and move the neighbours the balancer picked.
   * Throws when its own cpuset cannot be written; a neighbour's failed move is logged.
   */
  async place(ctid: number, l: Pick<Limits, "cpus" | "cpumask">): Promise<void> {
    const demand = cpuDemand(l, this.d.hostCpus);
    const had = this.running.get(ctid);
    if (had !== undefined && sameDemand(had, demand)) return this.sync(ctid, []);
    this.running.set(ctid, demand);
    const movable = (c: number) => c !== ctid;
    const moves = demand ? this.balancer.place(ctid, demand, { movable }) : this.balancer.release(ctid, movable);
    await this.sync(
      ctid,
      moves.map((m) => m.ctid),
    );
  }

  /** The container stopped (or never came up): forget it and move neighbours into the room it left. */
  async stopped(ctid: number): Promise<void> {
    if (!this.running.delete(ctid)) return;
    await this.sync(
      null,
      this.balancer.release(ctid).map((m) => m.ctid),
    );
  }

  /** A container found without its cgroup (it stopped behind the engine's back): as stopped(). */
  async forgetIfGone(ctid: number): Promise<void> {
    if (!this.running.has(ctid)) return;
    if ((await this.d.cgroups.readCpus(this.d.cgroupDir(ctid))) !== null) return;
    // registered only after its cgroup existed: gone now means it stopped (a new start re-registers it)
    this.d.log(`cpu placement: container ${ctid} stopped behind the engine's back; freeing its cores`);
    await this.stopped(ctid);
  }

  /**
   * Rebuild at engine start from what the kernel holds: each running container keeps its cpuset when its
   * demand fits it, then one bounded rebalance. Writes only the cpusets that differ.
   */
  async adopt(containers: Array<{ ctid: number; limits: Pick<Limits, "cpus" | "cpumask"> }>): Promise<void> {
    const write: number[] = [];
    const all = Array.from({ length: this.d.hostCpus }, (_, i) => i);
    for (const { ctid, limits } of containers) {
      const kernel = await this.d.cgroups.readCpus(this.d.cgroupDir(ctid));
      if (kernel === null) continue; // not running after all
      const demand = cpuDemand(limits, this.d.hostCpus);
      this.running.set(ctid, demand);
      if (demand) this.balancer.place(ctid, demand, { current: kernel, rebalance: false });
      const want = demand ? this.balancer.cpusOf(ctid)! : [];
      // [] = not restricted: the kernel shows that as every CPU (v1) or as empty (v2)
      const same = want.length ? sameCpus(want, kernel) : kernel.length === 0 || sameCpus(all, kernel);
      if (!same) write.push(ctid);
    }
    const moved = this.balancer.rebalance().map((m) => m.ctid);
    if (write.length || moved.length)
      this.d.log(`cpu placement: ${write.length} cpuset(s) corrected, ${moved.length} moved at start-up`);
    await this.sync(null, [...new Set([...write, ...moved])]);
  }

  /** Write the cpusets of `own` (errors thrown) and of `moved` (errors logged), in the one lane. */
  private async sync(own: number | null, moved: number[]): Promise<void> {
    const jobs = [
      own === null ? null : this.write(own, true),
      ...moved.filter((c) => c !== own).map((c) => this.write(c, false)),
    ];
    const results = await Promise.allSettled(jobs);
    if (results[0]?.status === "rejected") throw results[0].reason;
  }

  private write(ctid: number, own: boolean): Promise<void> {
    const job = async () => {
      const cpus = this.cpusOf(ctid);
      if (cpus === null) return; // stopped meanwhile
      try {
        await this.d.cgroups.setCpus(this.d.cgroupDir(ctid), cpus);
      } catch (e) {
        if (own) throw e;
        if (isEngineError(e, "NOT_RUNNING"))
          void this.forgetIfGone(ctid).catch((x) => this.d.log(`cpu placement: ${(x as Error).message}`));
        else
          this.d.log(
            `cpu placement: could not move container ${ctid} to CPUs ${cpus.join(",")}: ${(e as Error).message}`,
          );
      }
    };
    const p = this.lane.then(job);
    this.lane = p.catch(() => {});
    return p;
  }
}

function sameCpus(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameDemand(a: CpuDemand | null, b: CpuDemand | null): boolean {
  if (a === null || b === null) return a === b;
  return a.count === b.count && sameCpus(a.allowed, b.allowed);
}
