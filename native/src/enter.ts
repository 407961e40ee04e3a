/**
 * An interactive shell inside a container through the engine's console, as `vzctl enter` (used by
 * native/src/tools/enter.ts and the CLI in server/cli/enter.ts; a library: importing it runs nothing).
 * Prints "entered into CT <ctid>", puts the local terminal in raw mode (when stdin is a terminal; a pipe
 * is relayed as it is, and its end sends ^D), forwards window size changes, and on exit restores the
 * terminal, prints "exited from CT <ctid>" and exits with the shell's status. Socket: $OVZ_SOCKET.
 */
import { EngineError } from "./errors.js";
import { openConsole, type ConsoleConnection } from "./protocol/console-client.js";
import { MAX_TERM_SIZE } from "./protocol/console-framing.js";

export interface EnterOptions {
  socketPath: string;
  ctid: number;
  /** argv to run instead of root's login shell */
  command?: string[];
  /** a line typed into the shell first (vzctl enter --exec) */
  typed?: string;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

const TERM_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

function clampSize(n: number | undefined, dflt: number): number {
  return n && Number.isInteger(n) && n > 0 ? Math.min(n, MAX_TERM_SIZE) : dflt;
}

/** Runs the session on this process's terminal (or pipes); resolves with the exit status to use. */
export async function enterContainer(opts: EnterOptions): Promise<number> {
  const stdin = opts.stdin ?? process.stdin;
  const stdout = opts.stdout ?? process.stdout;
  const stderr = opts.stderr ?? process.stderr;
  const { ctid } = opts;
  const size = () => ({
    cols: clampSize(stdout.isTTY ? stdout.columns : undefined, 80),
    rows: clampSize(stdout.isTTY ? stdout.rows : undefined, 24),
  });
  const envTerm = process.env.TERM;
  const term = envTerm && TERM_RE.test(envTerm) && envTerm !== "dumb" ? envTerm : "xterm-256color";

  let con: ConsoleConnection;
  try {
    con = await openConsole(opts.socketPath, { ctid, ...size(), command: opts.command, term });
  } catch (e) {
    const msg = e instanceof EngineError ? e.message : (e as Error).message;
    stderr.write(`enter into CT ${ctid} failed\n${msg}\n`);
    return 1;
  }

  stdout.write(`entered into CT ${ctid}\n`);
  if (opts.typed !== undefined) con.write(Buffer.from(`${opts.typed}\n`));
  const raw = stdin.isTTY === true && typeof stdin.setRawMode === "function";
  if (raw) stdin.setRawMode(true);

  const onResize = () => {
    const s = size();
    con.resize(s.cols, s.rows);
  };
  const onInput = (d: Buffer | string) => con.write(typeof d === "string" ? Buffer.from(d) : d);
  // end of a piped input: ^D, as if typed (the shell sees end-of-file at its prompt)
  const onEnd = () => con.write("\x04");
  const onSignal = (sig: NodeJS.Signals) => {
    con.close();
    restore();
    process.exit(128 + (sig === "SIGHUP" ? 1 : sig === "SIGINT" ? 2 : 15));
  };
  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.off("resize", onResize);
    stdin.off("data", onInput);
    stdin.off("end", onEnd);
    for (const s of ["SIGTERM", "SIGHUP", "SIGINT"] as const) process.off(s, onSignal);
    if (raw) {
      try {
        stdin.setRawMode(false);
      } catch {
        /* the terminal is gone */
      }
    }
    stdin.pause();
  };

  stdout.on("resize", onResize);
  for (const s of ["SIGTERM", "SIGHUP", "SIGINT"] as const) process.on(s, onSignal);
  con.onData((d) => stdout.write(d));
  stdin.on("data", onInput);
  if (!raw) stdin.on("end", onEnd);
  stdin.resume();

  const exit = await con.exited;
  restore();
  if (exit.code < 0 && exit.message) stderr.write(`\r\n${exit.message}\n`);
  stdout.write(`exited from CT ${ctid}\n`);
  return exit.code < 0 ? 1 : exit.code;
}
