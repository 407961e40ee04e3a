/**
 * Run host tools with argument arrays — never through a shell. Output is captured (bounded), and a
 * non-zero exit becomes a HOST_TOOL_FAILED EngineError that names the command and its stderr.
 */
import { spawn } from "node:child_process";
import { EngineError } from "./errors.js";
import { trace } from "./trace.js";

export interface RunOptions {
  /** Data written to stdin, then stdin is closed. */
  input?: string | Buffer;
  /** Kill the process after this many milliseconds (SIGKILL); the result is a TIMEOUT error. */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; return the result instead. */
  allowFailure?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Cap on captured stdout/stderr bytes each (default 4 MiB). */
  maxOutput?: number;
  /** Called with each non-empty output line (stdout and stderr) as it arrives, e.g. to stream a build log. */
  onLine?: (line: string) => void;
}

export interface RunResult {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const max = opts.maxOutput ?? 4 * 1024 * 1024;
  trace("exec", [cmd, ...args].join(" ") + (opts.input === undefined ? "" : ` <${Buffer.byteLength(opts.input)}`));
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: opts.env ?? process.env,
      cwd: opts.cwd,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    const partial = { out: "", err: "" };
    const emit = (l: string) => {
      if (!opts.onLine || l.trim() === "") return;
      try {
        opts.onLine(l);
      } catch {
        /* a failing logger must not break the command */
      }
    };
    const feed = (which: "out" | "err", d: Buffer) => {
      if (!opts.onLine) return;
      const lines = (partial[which] + d.toString("utf8")).split(/\r?\n/);
      partial[which] = lines.pop() ?? "";
      for (const l of lines) emit(l);
    };
    let timedOut = false;
    const timer =
      opts.timeoutMs !== undefined
        ? setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
          }, opts.timeoutMs)
        : undefined;
    child.stdout.on("data", (d: Buffer) => {
      feed("out", d);
      if (outLen < max) out.push(d);
      outLen += d.length;
    });
    child.stderr.on("data", (d: Buffer) => {
      feed("err", d);
      if (errLen < max) err.push(d);
      errLen += d.length;
    });
    child.on("error", (e) => {
      if (timer) clearTimeout(timer);
      reject(new EngineError("HOST_TOOL_FAILED", `Could not run ${cmd}: ${e.message}. Is it installed?`, { cause: e }));
    });
    child.on("close", (code, signal) => {
      if (timer) clearTimeout(timer);
      trace("output", `${cmd} ${outLen}`);
      emit(partial.out);
      emit(partial.err);
      const res: RunResult = {
        code: code ?? -1,
        signal,
        stdout: Buffer.concat(out).toString("utf8").slice(0, max),
        stderr: Buffer.concat(err).toString("utf8").slice(0, max),
      };
      if (timedOut) {
        reject(new EngineError("TIMEOUT", `${cmd} did not finish within ${opts.timeoutMs} ms`, { details: { args } }));
        return;
      }
      if (res.code !== 0 && !opts.allowFailure) {
        const msg = (res.stderr.trim() || res.stdout.trim()).split("\n").slice(-5).join("\n");
        reject(
          new EngineError("HOST_TOOL_FAILED", `${cmd} ${args.join(" ")} failed (exit ${res.code}): ${msg}`, {
            details: { cmd, args, code: res.code },
          }),
        );
        return;
      }
      resolve(res);
    });
    child.stdin.on("error", () => {
      /* child may exit before reading stdin */
    });
    if (opts.input !== undefined) child.stdin.end(opts.input);
    else child.stdin.end();
  });
}
