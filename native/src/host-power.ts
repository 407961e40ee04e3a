/**
 * Host boot and shutdown, as OpenVZ's vz service did it: at boot the containers marked onboot start in their
 * boot order (--bootorder: higher first, unset last), a bounded number at a time; at host shutdown the
 * running ones stop in the reverse order within a deadline — or, in suspend mode (VE_STOP_MODE=suspend), are
 * checkpointed with CRIU and restored with their processes at the next boot.
 *
 * The state file (<stateDir>/host-power.json) remembers the boot it last ran for (kernel boot_id), so
 * `host.boot` without `force` runs once per host boot whoever calls it (the systemd unit at boot, run.sh on
 * a host without systemd), and what the last shutdown suspended, so the next boot resumes exactly those and
 * reports for how long they were suspended.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { EngineCore } from "./engine-core.js";
import type { Lifecycle } from "./engine-lifecycle.js";
import type { CheckpointOps } from "./checkpoint.js";
import type { ContainerRecord } from "./records.js";
import { readJson, writeFileAtomic } from "./fsutil.js";
import { mapLimit } from "./hostscope/proc.js";
import { SILENT } from "./engine-types.js";

export type StopMode = "stop" | "suspend";

export interface PowerOutcome {
  ctid: number;
  /**
   * started: fresh start (with `error` when the shutdown's checkpoint could not be restored); resumed: restored
   * from the shutdown's checkpoint; stopped/suspended at shutdown
   */
  action: "started" | "resumed" | "stopped" | "suspended" | "killed" | "failed";
  /** the boot order group it was handled in (null = unset) */
  bootorder: number | null;
  error?: string;
  /** resumed: seconds between the checkpoint at shutdown and the restore */
  suspendedSec?: number;
}

export interface BootReport {
  bootId: string;
  /** true when this boot was already handled (and force was not given): nothing was done */
  already: boolean;
  at: string;
  outcomes: PowerOutcome[];
}

export interface ShutdownReport {
  mode: StopMode;
  at: string;
  deadlineSec: number;
  outcomes: PowerOutcome[];
}

interface PowerState {
  bootId?: string;
  lastBoot?: BootReport;
  lastShutdown?: ShutdownReport;
  /** containers the last shutdown checkpointed, with when */
  suspended?: Array<{ ctid: number; at: string }>;
}

export interface PowerOptions {
  /** containers started or stopped at once (OpenVZ's VE_PARALLEL) */
  parallel: number;
  stopMode: StopMode;
  /** the whole shutdown's deadline: containers still running after it are killed */
  stopDeadlineSec: number;
  /** where the kernel's boot id is read (a test gives its own file) */
  bootIdFile?: string;
}

/** Higher boot order first, unset last, then by ctid: the groups in start order. */
export function bootGroups<T extends { ctid: number; bootorder?: number | null }>(items: T[]): T[][] {
  const key = (r: T) => r.bootorder ?? -1;
  const sorted = [...items].sort((a, b) => key(b) - key(a) || a.ctid - b.ctid);
  const groups: T[][] = [];
  for (const r of sorted) {
    const last = groups.at(-1);
    if (last && key(last[0]!) === key(r)) last.push(r);
    else groups.push([r]);
  }
  return groups;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

export class HostPower {
  private readonly file: string;
  private running: Promise<unknown> | null = null;

  constructor(
    private readonly core: EngineCore,
    private readonly lifecycle: Lifecycle,
    private readonly checkpoints: CheckpointOps,
    private readonly opts: PowerOptions,
  ) {
    this.file = path.join(core.config.stateDir, "host-power.json");
  }

  private async state(): Promise<PowerState> {
    return (await readJson<PowerState>(this.file)) ?? {};
  }
  private async save(s: PowerState): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(s, null, 2)}\n`);
  }
  private async bootId(): Promise<string> {
    return (await readFile(this.opts.bootIdFile ?? "/proc/sys/kernel/random/boot_id", "utf8")).trim();
  }

  /** One boot or shutdown at a time: a second caller waits for the first and then runs. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const prev = this.running ?? Promise.resolve();
    const next = prev.catch(() => {}).then(fn);
    this.running = next;
    return next;
  }

  /** What the last boot and shutdown did (host.power). */
  async status(): Promise<{
    bootId: string;
    booted: boolean;
    lastBoot: BootReport | null;
    lastShutdown: ShutdownReport | null;
    stopMode: StopMode;
  }> {
    const s = await this.state();
    const bootId = await this.bootId();
    return {
      bootId,
      booted: s.bootId === bootId,
      lastBoot: s.lastBoot ?? null,
      lastShutdown: s.lastShutdown ?? null,
      stopMode: this.opts.stopMode,
    };
  }

  /**
   * Start the onboot containers and resume the ones the last shutdown suspended, by boot order. Without
   * `force` it does nothing when this boot was already handled.
   */
  boot(opts: { force?: boolean } = {}, log: (l: string) => void = () => {}): Promise<BootReport> {
    return this.serial(async () => {
      const s = await this.state();
      const bootId = await this.bootId();
      const at = new Date().toISOString();
      if (s.bootId === bootId && !opts.force) return { bootId, already: true, at, outcomes: [] };
      const suspended = new Map((s.suspended ?? []).map((x) => [x.ctid, x.at]));
      const records = await this.core.records.list();
      const todo = records.filter((r) => r.onboot || suspended.has(r.ctid));
      const outcomes: PowerOutcome[] = [];
      for (const group of bootGroups(todo)) {
        outcomes.push(
          ...(await mapLimit(group, this.opts.parallel, (r) => this.bootOne(r, suspended.get(r.ctid), log))),
        );
      }
      const still = (s.suspended ?? []).filter((x) => outcomes.some((o) => o.ctid === x.ctid && o.action === "failed"));
      const report: BootReport = { bootId, already: false, at, outcomes };
      await this.save({ ...s, bootId, lastBoot: report, suspended: still });
      return report;
    });
  }

  private async bootOne(r: ContainerRecord, suspendedAt: string | undefined, log: (l: string) => void) {
    const bootorder = r.bootorder ?? null;
    try {
      const st = (await this.core.drivers.runtime.states([r.ctid])).get(r.ctid)?.state ?? "STOPPED";
      if (st !== "STOPPED") return { ctid: r.ctid, action: "started", bootorder } satisfies PowerOutcome;
      const dump = await this.checkpoints.info(r.ctid);
      // start restores a checkpointed container (as vzctl start of a suspended one)
      await this.lifecycle.start(r.ctid, SILENT);
      if (suspendedAt && dump) {
        const suspendedSec = Math.round((Date.now() - Date.parse(suspendedAt)) / 1000);
        log(`boot: container ${r.ctid} resumed after ${suspendedSec} s suspended`);
        return { ctid: r.ctid, action: "resumed", bootorder, suspendedSec } satisfies PowerOutcome;
      }
      log(`boot: container ${r.ctid} started`);
      return { ctid: r.ctid, action: "started", bootorder } satisfies PowerOutcome;
    } catch (e) {
      if (suspendedAt && (await this.checkpoints.info(r.ctid).catch(() => null))) return this.startAfresh(r, e, log);
      log(`boot: container ${r.ctid} failed: ${message(e)}`);
      return { ctid: r.ctid, action: "failed", bootorder, error: message(e) } satisfies PowerOutcome;
    }
  }

  /**
   * The shutdown's checkpoint cannot be restored (CRIU refused it on this kernel, say): its processes are
   * lost, but its files are as they were when it was suspended. A fresh start beats a container left down
   * after the reboot; the report says why it was not resumed.
   */
  private async startAfresh(r: ContainerRecord, resumeError: unknown, log: (l: string) => void) {
    const bootorder = r.bootorder ?? null;
    const why = `its resume failed (${message(resumeError)}), so it was started afresh`;
    try {
      await this.checkpoints.remove(r.ctid);
      await this.lifecycle.start(r.ctid, SILENT);
      log(`boot: container ${r.ctid}: ${why}`);
      return { ctid: r.ctid, action: "started", bootorder, error: why } satisfies PowerOutcome;
    } catch (e) {
      log(`boot: container ${r.ctid} failed: ${why}; then its start failed: ${message(e)}`);
      return { ctid: r.ctid, action: "failed", bootorder, error: `${why}; then: ${message(e)}` } satisfies PowerOutcome;
    }
  }

  /**
   * Stop (or, in suspend mode, checkpoint) every running container, in reverse boot order, within the
   * deadline; a container that cannot be checkpointed is stopped instead.
   */
  shutdown(opts: { mode?: StopMode; deadlineSec?: number } = {}, log: (l: string) => void = () => {}) {
    return this.serial(async (): Promise<ShutdownReport> => {
      const mode = opts.mode ?? this.opts.stopMode;
      const deadlineSec = opts.deadlineSec ?? this.opts.stopDeadlineSec;
      const end = Date.now() + deadlineSec * 1000;
      const runtime = this.core.drivers.runtime;
      // every container's state in one read of the cgroups, not one lxc-info per container
      const records = await this.core.records.list();
      const views = await runtime.states(records.map((r) => r.ctid));
      const running = records.filter((r) => (views.get(r.ctid)?.state ?? "STOPPED") !== "STOPPED");
      const outcomes: PowerOutcome[] = [];
      for (const group of bootGroups(running).reverse()) {
        outcomes.push(...(await mapLimit(group, this.opts.parallel, (r) => this.stopOne(r, mode, end, log))));
      }
      const s = await this.state();
      const at = new Date().toISOString();
      const suspended = outcomes.filter((o) => o.action === "suspended").map((o) => ({ ctid: o.ctid, at }));
      const report: ShutdownReport = { mode, at, deadlineSec, outcomes };
      await this.save({ ...s, lastShutdown: report, suspended: [...(s.suspended ?? []), ...suspended] });
      return report;
    });
  }

  private async stopOne(r: ContainerRecord, mode: StopMode, end: number, log: (l: string) => void) {
    const bootorder = r.bootorder ?? null;
    const left = Math.floor((end - Date.now()) / 1000);
    if (mode === "suspend" && left > 0) {
      try {
        await this.checkpoints.checkpoint(r.ctid, SILENT);
        log(`shutdown: container ${r.ctid} suspended`);
        return { ctid: r.ctid, action: "suspended", bootorder } satisfies PowerOutcome;
      } catch (e) {
        log(`shutdown: container ${r.ctid} could not be suspended (${message(e)}); stopping it instead`);
      }
    }
    const rest = Math.floor((end - Date.now()) / 1000);
    const force = rest <= 0;
    try {
      await this.lifecycle.stop(
        r.ctid,
        force ? { force } : { timeoutSec: Math.min(rest, this.core.config.stopTimeoutSec) },
      );
      log(`shutdown: container ${r.ctid} ${force ? "killed (deadline passed)" : "stopped"}`);
      return { ctid: r.ctid, action: force ? "killed" : "stopped", bootorder } satisfies PowerOutcome;
    } catch (e) {
      log(`shutdown: container ${r.ctid} failed to stop: ${message(e)}`);
      return { ctid: r.ctid, action: "failed", bootorder, error: message(e) } satisfies PowerOutcome;
    }
  }
}
