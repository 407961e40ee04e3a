/**
 * The boot log on a real busybox container (an engine with OVZ_CONSOLE_LOG=on: LXC's console into
 * lxc.console.logfile): container.bootlog returns what init and
 * anything else wrote to /dev/console, kept across a restart, bounded on disk (lxc.console.size, rotated once),
 * cut to maxBytes, and removed with the container; such a container is not checkpointed (LXC 5.0 cannot restore
 * a console). A live hostname change shows in the running system too.
 */
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const A = 271;
const sh = async (script: string) => {
  const r = await te.client.call("container.exec", { ctid: A, argv: ["/bin/sh", "-c", script] });
  expect(r.code, `${script}: ${r.stderr}`).toBe(0);
  return r.stdout;
};
const bootlog = (maxBytes?: number) =>
  te.client.call("container.bootlog", { ctid: A, ...(maxBytes !== undefined ? { maxBytes } : {}) });
/** The monitor copies the console asynchronously: wait (no timing asserted) until the log holds `re`. */
async function logShows(re: RegExp, maxBytes?: number): Promise<string> {
  let text = "";
  for (let i = 0; i < 100; i++) {
    text = (await bootlog(maxBytes)).text;
    if (re.test(text)) return text;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the boot log never showed ${re}; it holds:\n${text}`);
}

describeRoot("boot log of a real container (lxc.console.logfile)", () => {
  beforeAll(async () => {
    te = await startTestEngine({ env: { OVZ_CONSOLE_LOG: "on" } });
    await te.client.call("template.build", { kind: "busybox" });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  it("shows what the boot scripts print and lines written to /dev/console; kept across a restart", async () => {
    await te.client.call("container.create", { ctid: A, template: "busybox", hostname: "boot.test" });
    // made, never started: nothing yet
    expect(await bootlog()).toEqual({ ctid: A, enabled: true, text: "", bytes: 0, truncated: false });
    await te.client.call("container.start", { ctid: A });
    await logShows(/rcS: booting boot\.test[^\n]*\nrcS: filesystems mounted\nrcS: boot finished\n/);
    await sh("echo hello-from-the-console > /dev/console");
    const text = await logShows(/hello-from-the-console/);
    // plain text: the pty's CRLF is gone
    expect(text).not.toContain("\r");
    const file = path.join(te.stateDir, "lxc", String(A), "console.log");
    expect(existsSync(file)).toBe(true);

    await te.client.call("container.stop", { ctid: A });
    await te.client.call("container.start", { ctid: A });
    const again = await logShows(/hello-from-the-console[\s\S]*rcS: boot finished/);
    expect(again.match(/rcS: booting boot\.test/g)!.length).toBeGreaterThanOrEqual(2);
  });

  it("a live hostname change reaches the running system", async () => {
    await te.client.call("container.set", { ctid: A, hostname: "renamed.boot.test" });
    expect((await sh("hostname")).trim()).toBe("renamed.boot.test");
    expect((await sh("cat /etc/hostname")).trim()).toBe("renamed.boot.test");
  });

  it("is bounded on disk (rotated once) and cut to maxBytes from a whole line", async () => {
    // 320 KiB of numbered lines, more than two log files of lxc.console.size (128 KiB) hold
    await sh(
      'i=0; while [ $i -lt 8192 ]; do echo "line $i of the flood...................."; i=$((i+1)); done > /dev/console',
    );
    await logShows(/line 8191 of the flood/);
    const r = await bootlog(4096);
    expect(r.truncated).toBe(true);
    expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(4096);
    expect(r.text).toMatch(/^line \d+ of the flood/);
    expect(r.text.trimEnd().endsWith("line 8191 of the flood....................")).toBe(true);
    const file = path.join(te.stateDir, "lxc", String(A), "console.log");
    const onDisk = statSync(file).size + (existsSync(`${file}.1`) ? statSync(`${file}.1`).size : 0);
    expect(onDisk).toBeLessThanOrEqual(2 * 128 * 1024);
    expect(r.bytes).toBe(onDisk);
    // the start message of the first boot has rotated out
    expect((await bootlog(256 * 1024)).text).not.toContain("hello-from-the-console");
  });

  it("a container with a console is not checkpointed (LXC cannot restore it): refused, still running", async () => {
    const e = await te.client.call("container.checkpoint", { ctid: A }).then(
      () => null,
      (err: { code?: string; message: string }) => err,
    );
    expect(e?.code).toBe("UNSUPPORTED");
    expect(e?.message).toMatch(/boot log \(OVZ_CONSOLE_LOG=on\).*turn OVZ_CONSOLE_LOG off/);
    expect((await te.client.call("container.status", { ctid: A })).state).toBe("running");
  });

  it("belongs to the container: an unknown one is refused, and destroy removes the log", async () => {
    await expect(te.client.call("container.bootlog", { ctid: 279 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await te.client.call("container.stop", { ctid: A });
    await te.client.call("container.destroy", { ctid: A });
    expect(existsSync(path.join(te.stateDir, "lxc", String(A), "console.log"))).toBe(false);
    expect(await leftovers(te, A)).toEqual([]);
  });
});
