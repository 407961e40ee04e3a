/**
 * The client side of one TCP connection to an echo server in a container (tcp-echo-client.mjs), run in a
 * network namespace with nsenter — not `ip netns exec`, whose new mount namespace would hold a copy of
 * every mount of the moment (a container's rootfs gate among them) and keep that volume from being freed.
 * Checkpoint and migration tests use it to show that the SAME connection survives.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";
import { expect } from "vitest";
import { REPO } from "./engine.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` every 50 ms until it holds; fails naming `what` after `ms`. */
export async function until(fn: () => Promise<boolean> | boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export class EchoClient {
  out = "";
  readonly proc: ChildProcessWithoutNullStreams;
  constructor(netns: string, ip: string, port: number) {
    this.proc = spawn("nsenter", [
      `--net=/run/netns/${netns}`,
      "--",
      process.execPath,
      path.join(REPO, "native/test/helpers/tcp-echo-client.mjs"),
      ip,
      String(port),
    ]);
    this.proc.stdout.on("data", (d) => (this.out += d));
    this.proc.stderr.on("data", (d) => (this.out += d));
  }
  /** Waits for CONNECTED (fails on CLOSED or after 10 s). */
  async connected(): Promise<void> {
    await until(() => this.out.includes("CONNECTED") || this.out.includes("CLOSED"), 10_000, "the TCP connection");
    expect(this.out).toMatch(/^CONNECTED \d+/);
  }
  /** The client's local port (the connection's identity). */
  port(): string | undefined {
    return /CONNECTED (\d+)/.exec(this.out)?.[1];
  }
  send(line: string): void {
    this.proc.stdin.write(line + "\n");
  }
  async expectEcho(line: string, ms = 20_000): Promise<void> {
    await until(() => this.out.includes(`${line}\n`) || this.out.includes("CLOSED"), ms, `echo of "${line}"`);
    expect(this.out).not.toContain("CLOSED");
    expect(this.out).toContain(`${line}\n`);
  }
  stop(): void {
    if (this.proc.exitCode === null && this.proc.signalCode === null && this.proc.pid)
      process.kill(this.proc.pid, "SIGTERM");
  }
}
