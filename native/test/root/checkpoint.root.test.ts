/**
 * Checkpoint / restore (CRIU 4.2.1 through lxc-checkpoint) of a running busybox container with a venet
 * address, inside a network namespace this test creates (addresses from 198.18.0.0/15): a counter under
 * the container's init keeps counting from where it was, and a TCP connection from the "host" (the
 * engine's netns) to a server in the container survives and carries data both ways after the restore.
 */
import { existsSync } from "node:fs";
import { appendFile, readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRIU_BIN, criuAvailable } from "../../src/drivers/runtime/criu.js";
import { EchoClient, until } from "../helpers/echo-client.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const CT = 251;
const OTHER = 252;
const IP = "198.18.5.2";
const PORT = 7000;
let te: TestEngine;

// scripts/test.sh installs CRIU (scripts/install-criu.sh) before the suite: a missing one fails here
const describeCriu: typeof describe = describeRoot;

describeCriu("checkpoint / restore (CRIU, real LXC, in a test netns)", () => {
  let rootfs = "";
  const counter = async () => {
    const lines = (await readFile(path.join(rootfs, "root/counter"), "utf8")).trim().split("\n").map(Number);
    return lines;
  };

  beforeAll(async () => {
    expect(criuAvailable(), `${CRIU_BIN} is missing: run scripts/install-criu.sh (scripts/install.sh does)`).toBe(true);
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
  }, 120_000);
  afterAll(async () => {
    await te?.cleanup();
  });

  it("refuses to checkpoint a stopped container and to restore one without a dump, with typed errors", async () => {
    await te.client.call("container.create", { ctid: OTHER, template: "busybox" });
    const e1 = await te.client.call("container.checkpoint", { ctid: OTHER }).catch((x) => x);
    expect(e1.code).toBe("NOT_RUNNING");
    const e2 = await te.client.call("container.restore", { ctid: OTHER }).catch((x) => x);
    expect(e2.code).toBe("NOT_FOUND");
    expect(e2.message).toMatch(/no checkpoint/);
    const st = await te.client.call("container.status", { ctid: OTHER });
    expect(st.state).toBe("stopped");
    expect(st.checkpoint).toBeNull();
    await te.client.call("container.destroy", { ctid: OTHER });
    expect(await leftovers(te, OTHER)).toEqual([]);
  });

  it("checkpoints a running container (counter stops, dump on disk) and restores it: same processes, same TCP connection", async () => {
    const created = await te.client.call("container.create", { ctid: CT, template: "busybox", net: { venet: [IP] } });
    rootfs = created.rootfs;
    // Both services run under the container's init (processes attached from outside are not dumped).
    await appendFile(
      path.join(rootfs, "etc/inittab"),
      [
        `::respawn:/bin/sh -c 'exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i >> /root/counter; sleep 0.1; done'`,
        `::respawn:/bin/sh -c 'exec </dev/null >/dev/null 2>&1; exec nc -ll -p ${PORT} -e /bin/cat'`,
        "",
      ].join("\n"),
    );
    await te.client.call("container.start", { ctid: CT });
    await until(async () => (await counter().catch(() => [])).length >= 5, 10_000, "the counter");

    const client = new EchoClient(te.netns, IP, PORT);
    try {
      await client.connected();
      const localPort = /CONNECTED (\d+)/.exec(client.out)![1];
      client.send("before-1");
      await client.expectEcho("before-1");

      // checkpoint: stopped, dump on disk, counter frozen
      const t0 = performance.now();
      const cp = await te.client.call("container.checkpoint", { ctid: CT });
      const tDump = performance.now() - t0;
      expect(cp.state).toBe("suspended");
      expect(cp.initPid).toBeNull();
      expect(cp.checkpoint).not.toBeNull();
      const dumpDir = path.join(te.stateDir, "dumps", String(CT));
      const files = await readdir(dumpDir);
      expect(files).toContain("meta.json");
      expect(files.some((f) => f.startsWith("pages-"))).toBe(true);
      const st = await te.client.call("container.status", { ctid: CT });
      expect(st.state).toBe("suspended");
      expect(st.checkpoint!.sizeBytes).toBeGreaterThan(10_000);
      const lxc = await te.inNetns("lxc-info", ["-n", String(CT), "-P", path.join(te.stateDir, "lxc"), "-s", "-H"]);
      expect(lxc.stdout.trim()).toBe("STOPPED");
      const frozenAt = await counter();
      await sleep(1000);
      expect(await counter()).toEqual(frozenAt); // nothing runs
      // no second checkpoint of a checkpointed container
      expect((await te.client.call("container.checkpoint", { ctid: CT }).catch((x) => x)).code).toBe("NOT_RUNNING");

      // restore
      const t1 = performance.now();
      const rs = await te.client.call("container.restore", { ctid: CT });
      const tRestore = performance.now() - t1;
      const frozenMs = performance.now() - t0;
      expect(rs.state).toBe("running");
      expect(rs.checkpoint).toBeNull();
      expect(existsSync(dumpDir)).toBe(false); // a restored dump is never restored again

      // the counter continues where it was: one unbroken sequence 1, 2, 3, … (a fresh boot would restart at 1)
      await until(async () => (await counter()).length > frozenAt.length + 5, 10_000, "the counter to continue");
      const after = await counter();
      expect(after.slice(0, frozenAt.length)).toEqual(frozenAt);
      after.forEach((n, i) => expect(n).toBe(i + 1));

      // the SAME connection (same client port, never closed) carries data both ways
      client.send("after-1");
      await client.expectEcho("after-1");
      client.send("after-2");
      await client.expectEcho("after-2");
      expect(/CONNECTED (\d+)/.exec(client.out)![1]).toBe(localPort);
      expect(client.out.match(/CONNECTED/g)!.length).toBe(1);

      // the host side of venet is back: host route via vn<ctid>
      expect((await te.inNetns("ip", ["route", "show", `${IP}`])).stdout).toMatch(new RegExp(`dev vn${CT}`));

      console.log(
        `[checkpoint] dump ${(tDump / 1000).toFixed(2)} s, restore ${(tRestore / 1000).toFixed(2)} s, frozen (checkpoint start → restore done, incl. 1 s idle check) ` +
          `${(frozenMs / 1000).toFixed(2)} s, dump size ${st.checkpoint!.sizeBytes} bytes`,
      );
    } finally {
      client.stop();
    }

    await te.client.call("container.stop", { ctid: CT, force: true });
    await te.client.call("container.destroy", { ctid: CT });
    expect(await leftovers(te, CT)).toEqual([]);
  }, 120_000);

  it("journaled: a crash right after the dump keeps a restorable checkpoint; a crash right after the restore finishes it", async () => {
    const crashDuring = async (point: string, action: () => Promise<unknown>) => {
      await te.kill9();
      await te.start({ OVZ_CRASH_AT: point });
      const outcome = await action().then(
        () => "returned",
        (e: Error) => e.message,
      );
      expect(outcome, `the engine should have died at ${point}`).toMatch(/connection to the host engine closed/);
      expect(await te.waitExit()).toBe("SIGKILL");
      await te.start(); // recovery runs here
    };
    await te.client.call("container.create", { ctid: OTHER, template: "busybox" });
    await te.client.call("container.start", { ctid: OTHER });
    await crashDuring("checkpoint:dumped", () => te.client.call("container.checkpoint", { ctid: OTHER }));
    const st = await te.client.call("container.status", { ctid: OTHER });
    expect(st.state).toBe("suspended"); // CRIU had finished: the dump was promoted, not thrown away
    expect(st.checkpoint).not.toBeNull();
    expect(existsSync(path.join(te.stateDir, "dumps", `.${OTHER}.partial`))).toBe(false);
    expect(await readdir(path.join(te.stateDir, "journal"))).toEqual([]);
    await crashDuring("resume:restored", () => te.client.call("container.restore", { ctid: OTHER }));
    const rs = await te.client.call("container.status", { ctid: OTHER });
    expect(rs.state).toBe("running");
    expect(rs.checkpoint).toBeNull(); // recovery finished the restore and removed the used dump
    expect((await te.client.call("container.exec", { ctid: OTHER, argv: ["echo", "alive"] })).stdout.trim()).toBe(
      "alive",
    );
    await te.client.call("container.stop", { ctid: OTHER, force: true });
    await te.client.call("container.destroy", { ctid: OTHER });
    expect(await leftovers(te, OTHER)).toEqual([]);
  }, 120_000);

  it("a rollback under a checkpoint is refused; stop discards the checkpoint; destroy removes a dump", async () => {
    await te.client.call("container.create", { ctid: OTHER, template: "busybox" });
    await te.client.call("snapshot.create", { ctid: OTHER, name: "s1" });
    await te.client.call("container.start", { ctid: OTHER });
    await te.client.call("container.checkpoint", { ctid: OTHER });
    const e1 = await te.client.call("snapshot.rollback", { ctid: OTHER, name: "s1" }).catch((x) => x);
    expect(e1.code).toBe("FROZEN");
    expect(e1.message).toMatch(/checkpointed/);
    const stopped = await te.client.call("container.stop", { ctid: OTHER });
    expect(stopped.state).toBe("stopped");
    expect(stopped.checkpoint).toBeNull();
    expect(existsSync(path.join(te.stateDir, "dumps", String(OTHER)))).toBe(false);
    await te.client.call("container.start", { ctid: OTHER });
    await te.client.call("container.checkpoint", { ctid: OTHER });
    expect(existsSync(path.join(te.stateDir, "dumps", String(OTHER)))).toBe(true);
    const e = await te.client.call("container.destroy", { ctid: OTHER }).catch((x) => x);
    // a checkpointed container is stopped (its state lives on disk): destroy needs no force
    expect(e).toEqual({ ok: true });
    expect(await leftovers(te, OTHER)).toEqual([]);
  }, 60_000);
});
