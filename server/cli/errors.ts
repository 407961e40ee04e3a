/**
 * What the compatible CLIs (vzctl, vzlist, prlctl) hand back to their entry point: text for stdout and
 * stderr and the exit code, exactly as the original tool would produce them. The entry point only
 * writes them out — no formatting decisions live there.
 */

/** The complete outcome of one command: write `stdout`, then `stderr`, then exit with `exitCode`. */
export interface CliOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}

/**
 * A command line the original tool rejects before doing any work (unknown option, missing argument,
 * unknown field, bad sort field …). `message` is what the original prints to stderr (without the final
 * newline; may span lines, may be empty); `stdout` is what it prints to stdout alongside (vzlist prints
 * its usage there after a getopt error); `exitCode` is the original's exit status.
 */
export class CliUsageError extends Error {
  readonly exitCode: number;
  readonly stdout: string;

  constructor(message: string, opts: { exitCode?: number; stdout?: string } = {}) {
    super(message);
    this.name = "CliUsageError";
    this.exitCode = opts.exitCode ?? 1;
    this.stdout = opts.stdout ?? "";
  }

  /** The error as the original's output: stdout text, the message on stderr, the exit code. */
  toOutput(): CliOutput {
    return { stdout: this.stdout, stderr: this.message === "" ? "" : `${this.message}\n`, exitCode: this.exitCode };
  }
}
