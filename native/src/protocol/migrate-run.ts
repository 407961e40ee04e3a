/**
 * One migration, driven from the control plane: the calls to both engines in order, the byte relay between
 * them, the timing (total, and the frozen interval: from the source's freeze until the container runs on
 * the target), and the undo on any failure — the target drops what it received, the source runs the
 * container again. Used by the panel's service (server/services/migrate.ts), vzmigrate and the root tests.
 */
import { EngineError } from "../errors.js";
import type { MigratePhase } from "../migrate-manifest.js";
import { relayPhase, type Dialer } from "./migrate-stream.js";
import type { MethodName, OpEvent, Params, Result } from "./schema.js";

export interface EngineCaller {
  call<M extends MethodName>(
    method: M,
    params: Params<M>,
    opts?: { onEvent?: (e: OpEvent) => void },
  ): Promise<Result<M>>;
}

export interface MigrateEnd {
  name: string;
  endpoint: string;
  engine: EngineCaller;
}

export interface MigrateResult {
  info: Result<"migrate.finish">;
  totalMs: number;
  /** live: source frozen → running on the target; offline: stopped → running (null if it was not running) */
  frozenMs: number | null;
  bytes: Record<MigratePhase, number>;
  /** set when the source copy could not be removed after the move (the container runs on the target) */
  warning: string | null;
}

export async function migrate(opts: {
  ctid: number;
  live: boolean;
  source: MigrateEnd;
  target: MigrateEnd;
  dial: Dialer;
  log: (line: string) => void;
  progress: (percent: number, message: string) => void;
  /** called after each step (crash tests stop the driving process here) */
  after?: (step: "prepared" | "frozen" | "finished") => void;
}): Promise<MigrateResult> {
  const { ctid, live, source, target, log, progress } = opts;
  const t0 = performance.now();
  const ms = (t: number) => Math.round(performance.now() - t);
  const bytes: Record<MigratePhase, number> = { base: 0, delta: 0, dump: 0 };
  let accepted = false;
  let prepared = false;
  let tFreeze: number | null = null;
  try {
    progress(5, `checking container ${ctid} on ${source.name}`);
    const manifest = await source.engine.call("migrate.prepare", { ctid, live });
    prepared = true;
    opts.after?.("prepared");
    progress(10, `checking ${target.name} can take it`);
    await target.engine.call("migrate.accept", { manifest });
    accepted = true;
    log(
      `${live ? "live" : "offline"} migration of ${ctid} from ${source.name} to ${target.name}${manifest.wasRunning ? " (running)" : ""}`,
    );
    progress(15, manifest.wasRunning ? "copying the files while the container runs" : "copying the files");
    const tb = performance.now();
    bytes.base = (await relayPhase(opts.dial, source.endpoint, target.endpoint, ctid, "base")).bytes;
    log(`files copied: ${bytes.base} bytes in ${ms(tb)} ms`);
    progress(
      60,
      live
        ? "freezing and dumping the container (CRIU)"
        : manifest.wasRunning
          ? "stopping the container"
          : "taking the final snapshot",
    );
    tFreeze = manifest.wasRunning ? performance.now() : null;
    const fr = await source.engine.call("migrate.freeze", { ctid }, { onEvent: engineLog(source.name, log) });
    opts.after?.("frozen");
    if (tFreeze !== null)
      log(
        `${live ? "frozen and dumped" : "stopped"} after ${ms(tFreeze)} ms${live ? ` (${fr.dumpBytes} bytes of state)` : ""}`,
      );
    progress(70, "copying what changed");
    bytes.delta = (await relayPhase(opts.dial, source.endpoint, target.endpoint, ctid, "delta")).bytes;
    if (live) {
      progress(80, "copying the dump");
      bytes.dump = (await relayPhase(opts.dial, source.endpoint, target.endpoint, ctid, "dump")).bytes;
    }
    if (tFreeze !== null)
      log(
        `changes${live ? " and dump" : ""} copied: ${bytes.delta + bytes.dump} bytes, ${ms(tFreeze)} ms since the freeze`,
      );
    progress(
      85,
      live
        ? `restoring on ${target.name}`
        : manifest.wasRunning
          ? `starting on ${target.name}`
          : `creating on ${target.name}`,
    );
    const info = await target.engine.call("migrate.finish", { ctid }, { onEvent: engineLog(target.name, log) });
    const frozenMs = tFreeze === null ? null : ms(tFreeze);
    opts.after?.("finished");
    if (frozenMs !== null)
      log(
        `${live ? "frozen" : "down"} for ${frozenMs} ms (${live ? "freeze → running on the target" : "stop → running on the target"})`,
      );
    progress(95, `removing the copy on ${source.name}`);
    let warning: string | null = null;
    try {
      await source.engine.call("migrate.commit", { ctid });
    } catch (e) {
      warning = `container ${ctid} runs on ${target.name}, but its old copy on ${source.name} could not be removed (${(e as Error).message}); destroy it there by hand`;
      log(`WARNING: ${warning}`);
    }
    await target.engine
      .call("migrate.cleanup", { ctid })
      .catch((e: Error) => log(`${target.name}: the received snapshots stay until its engine restarts (${e.message})`));
    const totalMs = ms(t0);
    log(`migration done in ${totalMs} ms`);
    progress(100, `running on ${target.name}`);
    return { info, totalMs, frozenMs, bytes, warning };
  } catch (e) {
    const err = e as Error;
    log(`migration failed: ${err.message}`);
    if (accepted) {
      await target.engine.call("migrate.cancel", { ctid }).then(
        (r) =>
          log(r.removed ? `${target.name}: removed what it had received` : `${target.name}: had nothing to remove`),
        (c: Error) =>
          log(
            `${target.name}: could not clean up now (${c.message}); its engine removes a half-received container when it starts`,
          ),
      );
    }
    if (prepared) {
      await source.engine.call("migrate.abort", { ctid }).then(
        (i) => log(`${source.name}: container ${ctid} is ${i.state} there`),
        (a: Error) => log(`${source.name}: could not restore the container (${a.message}); resume or start it there`),
      );
    }
    const code = e instanceof EngineError ? e.code : "INTERNAL";
    throw new EngineError(
      code,
      `Migration of container ${ctid} to ${target.name} failed: ${err.message}; it stays on ${source.name}`,
      { cause: e },
    );
  }
}

/** An engine's own log lines of a step, in the migration's log (prefixed with the node's name). */
function engineLog(node: string, log: (line: string) => void) {
  return (e: OpEvent) => {
    if (e.kind === "log") log(`${node}: ${e.line}`);
  };
}
