/**
 * LXC 5 runtime driver. Every container has a directory <lxcPath>/<ctid>/ holding the rendered config
 * and the LXC log. Containers are started daemonized (their LXC monitor is their parent), so they keep
 * running while the engine is stopped or restarted. LXC's command socket is abstract and therefore
 * per network namespace: the engine and the lxc-* tools must share one netns.
 */
import { mkdir, readFile, rm, stat, writeFile, rename } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "../../errors.js";
import { run } from "../../exec.js";
import { readConsoleTail } from "./console-log.js";
import { renderLxcConfig } from "./lxc-config.js";
import { criuAvailable, criuEnv, CRIU_BIN, IDMAP_MOUNT_BIN, renderCriuConfig } from "./criu.js";
import { hasMountBelow } from "../../gate.js";
import { CgroupStates, LXC_STATES, parseLxcInfo, STOPPED_VIEW } from "./lxc-state.js";
import type {
  ConsoleTail,
  ExecResult,
  RunView,
  RuntimeDriver,
  RuntimeOptions,
  RuntimeSpec,
  RuntimeState,
} from "./types.js";

const PATH_ENV = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/**
 * lxc-attach hands every open descriptor of its caller to the attached process (HOST-FACTS), i.e. into
 * the container. The engine's own are close-on-exec, but not all: node-pty's terminal masters are not
 * (a session's process would hold every other session's terminal), nor what the engine inherited. So
 * the attach goes through bash, which closes all but 0-2 and then execs lxc-attach.
 */
const CLOSE_FDS_THEN_EXEC =
  'for f in /proc/$$/fd/*; do f=${f##*/}; case $f in 0|1|2) ;; *) if [ -e /proc/$$/fd/$f ]; then exec {f}>&-; fi;; esac; done; exec "$@"';

/** As CLOSE_FDS_THEN_EXEC, with stdin from /dev/null and stdout+stderr to the file $1. */
const CLOSE_FDS_THEN_EXEC_TO_FILE =
  'o=$1; shift; for f in /proc/$$/fd/*; do f=${f##*/}; case $f in 0|1|2) ;; *) if [ -e /proc/$$/fd/$f ]; then exec {f}>&-; fi;; esac; done; exec "$@" </dev/null >"$o" 2>&1';

export class LxcRuntime implements RuntimeDriver {
  readonly name = "lxc";
  private readonly cgroupStates: CgroupStates;

  constructor(private readonly opts: RuntimeOptions) {
    this.cgroupStates = new CgroupStates(opts.cgroups, opts.cgroupDirs);
  }

  private dir(ctid: number): string {
    return path.join(this.opts.lxcPath, String(ctid));
  }
  private nameArgs(ctid: number): string[] {
    return ["-n", String(ctid), "-P", this.opts.lxcPath];
  }
  logFile(ctid: number): string {
    return path.join(this.dir(ctid), "lxc.log");
  }

  render(spec: RuntimeSpec): string {
    return renderLxcConfig(spec, this.opts.cgroupVersion);
  }

  async writeConfig(spec: RuntimeSpec): Promise<void> {
    const dir = this.dir(spec.ctid);
    await mkdir(dir, { recursive: true, mode: 0o750 });
    const tmp = path.join(dir, "config.tmp");
    await writeFile(tmp, this.render(spec), { mode: 0o640 });
    await rename(tmp, path.join(dir, "config"));
  }

  async removeConfig(ctid: number): Promise<void> {
    // A recursive delete must never descend into a mounted rootfs (the gate, see gate.ts).
    if (await hasMountBelow(this.dir(ctid))) {
      throw new EngineError("INTERNAL", `refusing to delete ${this.dir(ctid)}: a filesystem is still mounted below it`);
    }
    await rm(this.dir(ctid), { recursive: true, force: true });
  }

  consoleTail(ctid: number, maxBytes: number): Promise<ConsoleTail> {
    return readConsoleTail(path.join(this.dir(ctid), "console.log"), maxBytes);
  }

  async configExists(ctid: number): Promise<boolean> {
    return stat(path.join(this.dir(ctid), "config")).then(
      () => true,
      () => false,
    );
  }

  async start(ctid: number): Promise<void> {
    const res = await run("lxc-start", [...this.nameArgs(ctid), "-d", "-o", this.logFile(ctid), "-l", "WARN"], {
      allowFailure: true,
      timeoutMs: 60_000,
    });
    if (res.code !== 0) {
      const tail = await this.logTail(ctid, 30);
      // The first ERROR line of LXC's log names the cause; the tool's stderr only says "failed to start".
      const cause = tail.split("\n").find((l) => / ERROR /.test(l)) ?? lastLines(res.stderr, 3);
      throw new EngineError(
        "HOST_TOOL_FAILED",
        `LXC could not start container ${ctid}: ${cause.replace(/^.* ERROR\s+/, "")}`,
        {
          details: { log: tail },
        },
      );
    }
    const w = await run("lxc-wait", [...this.nameArgs(ctid), "-s", "RUNNING", "-t", "30"], { allowFailure: true });
    if (w.code !== 0) {
      const tail = await this.logTail(ctid, 15);
      throw new EngineError(
        "TIMEOUT",
        `container ${ctid} did not reach RUNNING within 30 s; its init may have failed: ${lastLines(tail, 6)}`,
      );
    }
  }

  async stop(ctid: number, timeoutSec: number): Promise<void> {
    // lxc-stop sends the halt signal, waits timeoutSec, then kills the container.
    await run("lxc-stop", [...this.nameArgs(ctid), "-t", String(timeoutSec)], {
      allowFailure: true,
      timeoutMs: (timeoutSec + 30) * 1000,
    });
    if ((await this.state(ctid)) !== "STOPPED") await this.kill(ctid);
  }

  async kill(ctid: number): Promise<void> {
    await run("lxc-stop", [...this.nameArgs(ctid), "-k"], { allowFailure: true, timeoutMs: 30_000 });
    const w = await run("lxc-wait", [...this.nameArgs(ctid), "-s", "STOPPED", "-t", "10"], { allowFailure: true });
    if (w.code !== 0) throw new EngineError("TIMEOUT", `container ${ctid} did not stop after SIGKILL`);
  }

  async freeze(ctid: number): Promise<void> {
    await run("lxc-freeze", this.nameArgs(ctid), { timeoutMs: 30_000 });
  }

  async unfreeze(ctid: number): Promise<void> {
    await run("lxc-unfreeze", this.nameArgs(ctid), { timeoutMs: 30_000 });
  }

  /** From the cgroups when they tell (no process spawned); lxc-info otherwise (see lxc-state.ts). */
  async state(ctid: number): Promise<RuntimeState> {
    const view = await this.cgroupStates.view(ctid);
    if (view) return view.state;
    const res = await run("lxc-info", [...this.nameArgs(ctid), "-s", "-H"], { allowFailure: true, timeoutMs: 15_000 });
    const s = res.stdout.trim();
    if (res.code !== 0 || !LXC_STATES.includes(s as RuntimeState)) return "STOPPED";
    return s as RuntimeState;
  }

  async initPid(ctid: number): Promise<number | null> {
    const view = await this.cgroupStates.view(ctid);
    if (view) return view.initPid;
    const res = await run("lxc-info", [...this.nameArgs(ctid), "-p", "-H"], { allowFailure: true, timeoutMs: 15_000 });
    const n = Number(res.stdout.trim());
    return res.code === 0 && Number.isInteger(n) && n > 0 ? n : null;
  }

  states(ctids: readonly number[]): Promise<Map<number, RunView>> {
    return this.cgroupStates.views(ctids, (ctid) => this.askLxc(ctid));
  }

  /** State and init pid from one lxc-info (the monitor's own answer), for a container the cgroups cannot tell. */
  private async askLxc(ctid: number): Promise<RunView> {
    const res = await run("lxc-info", [...this.nameArgs(ctid), "-s", "-p", "-H"], {
      allowFailure: true,
      timeoutMs: 15_000,
    });
    return res.code === 0 ? parseLxcInfo(res.stdout) : STOPPED_VIEW;
  }

  attachCommand(ctid: number, argv: string[], env: Record<string, string>): { file: string; args: string[] } {
    if (argv.length === 0) throw new EngineError("BAD_REQUEST", "exec needs a command");
    const envArgs = Object.entries(env).flatMap(([k, v]) => ["--set-var", `${k}=${v}`]);
    return {
      file: "bash",
      args: [
        "-c",
        CLOSE_FDS_THEN_EXEC,
        "ovz-attach",
        "lxc-attach",
        ...this.nameArgs(ctid),
        "--clear-env",
        ...envArgs,
        "--",
        ...argv,
      ],
    };
  }

  async exec(
    ctid: number,
    argv: string[],
    opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
  ): Promise<ExecResult> {
    const cmd = this.attachCommand(ctid, argv, { PATH: PATH_ENV, HOME: "/root", TERM: "dumb", ...opts.env });
    const res = await run(cmd.file, cmd.args, {
      input: opts.input,
      timeoutMs: opts.timeoutMs ?? 60_000,
      allowFailure: true,
    });
    return { code: res.code, stdout: res.stdout, stderr: res.stderr };
  }

  async checkpoint(ctid: number, dir: string): Promise<void> {
    await this.criu(ctid, dir, "dump");
  }

  async restore(ctid: number, dir: string): Promise<void> {
    await this.criu(ctid, dir, "restore");
    const w = await run("lxc-wait", [...this.nameArgs(ctid), "-s", "RUNNING", "-t", "30"], { allowFailure: true });
    if (w.code !== 0)
      throw new EngineError("TIMEOUT", `container ${ctid} did not reach RUNNING within 30 s after its restore`);
  }

  /** lxc-checkpoint -s (dump and stop) or -r (restore, daemonized) with CRIU 4.2.1 (see criu.ts). */
  private async criu(ctid: number, dir: string, mode: "dump" | "restore"): Promise<void> {
    if (!criuAvailable()) {
      throw new EngineError(
        "UNSUPPORTED",
        `checkpoint/restore needs CRIU 4.2 at ${CRIU_BIN} and ${IDMAP_MOUNT_BIN}; run scripts/install-criu.sh`,
      );
    }
    const conf = path.join(this.dir(ctid), `criu-${mode}.conf`);
    const lxcConf = await readFile(path.join(this.dir(ctid), "config"), "utf8").catch(() => "");
    if (mode === "dump" && /^lxc\.console\.logfile\s*=/m.test(lxcConf)) {
      throw new EngineError(
        "UNSUPPORTED",
        `container ${ctid} runs with a console for its boot log (OVZ_CONSOLE_LOG=on), which LXC cannot restore; ` +
          "turn OVZ_CONSOLE_LOG off on this node and restart the container to checkpoint or migrate it live",
      );
    }
    const cgDir = /^lxc\.cgroup\.dir\.container\s*=\s*(\S+)\s*$/m.exec(lxcConf)?.[1];
    await writeFile(conf, renderCriuConfig(mode, { cgroupRoot: cgDir ? `/${cgDir.replace(/^\/+/, "")}` : undefined }), {
      mode: 0o600,
    });
    // A restore turns lxc-checkpoint's child into the container's monitor, which keeps its stdio: give it a
    // file, not our pipes (run() would wait for them to close forever), and none of our other descriptors.
    const out = path.join(this.dir(ctid), `criu-${mode}.out`);
    const res = await run(
      "bash",
      [
        "-c",
        CLOSE_FDS_THEN_EXEC_TO_FILE,
        "ovz-criu",
        out,
        "lxc-checkpoint",
        ...this.nameArgs(ctid),
        "-D",
        dir,
        mode === "dump" ? "-s" : "-r",
        "-v",
      ],
      {
        env: criuEnv(conf),
        allowFailure: true,
        timeoutMs: 300_000,
      },
    );
    res.stderr = await readFile(out, "utf8").catch(() => res.stderr);
    if (res.code !== 0) {
      // CRIU's own log names the cause; lxc-checkpoint only says "Checkpointing/Restoring failed".
      const log = await readFile(path.join(dir, `${mode}.log`), "utf8").catch(() => "");
      const cause =
        log
          .split("\n")
          .filter((l) => /Error|error/.test(l))
          .slice(-3)
          .join(" | ") || lastLines(res.stderr, 3);
      throw new EngineError(
        "HOST_TOOL_FAILED",
        `CRIU could not ${mode === "dump" ? "checkpoint" : "restore"} container ${ctid}: ${cause}`,
        {
          details: { criuLog: lastLines(log, 40), stderr: lastLines(res.stderr, 20) },
        },
      );
    }
  }

  async logTail(ctid: number, lines = 20): Promise<string> {
    try {
      return lastLines(await readFile(this.logFile(ctid), "utf8"), lines);
    } catch {
      return "";
    }
  }
}

function lastLines(text: string, n: number): string {
  return text.trim().split("\n").slice(-n).join("\n");
}
