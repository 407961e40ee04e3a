/**
 * Running the host command of a migration stream phase (protocol/migrate-stream.ts): btrfs send/receive or tar.
 */
import { spawn } from "node:child_process";
import { EngineError } from "./errors.js";

/**
 * Run a host command for a stream phase. Sending: its stdout goes to `sink` (resolves when it exited 0).
 * Receiving: `source` is written to its stdin. A non-zero exit is an error naming the command and its stderr.
 */
export function runStreamCommand(
  c: { cmd: string; args: string[] },
  io: { stdout?: (chunk: Buffer) => boolean | void; onDrainNeeded?: (resume: () => void) => void },
): { stdin: NodeJS.WritableStream; done: Promise<void>; kill(): void; pause(): void; resume(): void } {
  const child = spawn(c.cmd, c.args, { stdio: ["pipe", io.stdout ? "pipe" : "ignore", "pipe"] });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  if (io.stdout) child.stdout!.on("data", (d: Buffer) => void io.stdout!(d));
  child.stdin!.on("error", () => {}); // EPIPE when the command fails early: reported by its exit status
  const done = new Promise<void>((resolve, reject) => {
    child.once("error", (e) => reject(new EngineError("HOST_TOOL_FAILED", `${c.cmd} could not run: ${e.message}`)));
    child.once("close", (code, sig) => {
      if (code === 0) resolve();
      else
        reject(
          new EngineError(
            "HOST_TOOL_FAILED",
            `${c.cmd} ${c.args[0]} failed (${sig ?? `exit ${code}`}): ${stderr.trim().split("\n").slice(-3).join(" ") || "no message"}`,
          ),
        );
    });
  });
  return {
    stdin: child.stdin!,
    done,
    kill: () => child.kill("SIGKILL"),
    pause: () => child.stdout?.pause(),
    resume: () => child.stdout?.resume(),
  };
}
