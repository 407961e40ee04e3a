/**
 * Files of a container keep in-container ids on disk (idmapped mounts), so a setuid-root file planted in
 * a container is a setuid-root file on the host. This suite shows host users cannot reach it: the pool
 * keeps containers root-only and nosuid; a running container's root passes through its own gate.
 */
import { stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../src/exec.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const CT = 401;
const asNobody = (cmd: string, args: string[]) =>
  run("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--", cmd, ...args], { allowFailure: true });

describeRoot("rootfs gate: a container's setuid files are out of reach of host users", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    await te.client.call("container.create", { ctid: CT, template: "busybox" });
    await te.client.call("container.start", { ctid: CT });
  }, 120_000);
  afterAll(async () => {
    await te?.cleanup();
  });

  it("a setuid-root file planted inside is setuid-root on disk, but no host user can reach it", async () => {
    const r = await te.client.call("container.exec", {
      ctid: CT,
      argv: ["/bin/sh", "-c", "cp /bin/busybox /suid-bb && chmod 4755 /suid-bb"],
    });
    expect(r.code).toBe(0);
    const onDisk = path.join(te.stateDir, "pool", "containers", String(CT), "suid-bb");
    const st = await stat(onDisk);
    expect(st.uid).toBe(0); // why the gate matters
    expect(st.mode & 0o4000).toBe(0o4000);
    const gate = path.join(te.stateDir, "lxc", String(CT), "rootfs", "suid-bb");
    expect((await stat(gate)).ino).toBe(st.ino); // the gate is the container's volume
    for (const p of [onDisk, gate]) {
      const s = await asNobody("stat", [p]);
      expect(s.code).not.toBe(0);
      expect(s.stderr).toMatch(/Permission denied/);
    }
    // and the pool itself does not honour setuid
    expect((await run("findmnt", ["-n", "-o", "OPTIONS", path.join(te.stateDir, "pool")])).stdout).toMatch(/nosuid/);
  });

  it("inside, setuid is honoured and the container runs as usual", async () => {
    const pid = (await te.client.call("container.status", { ctid: CT })).initPid!;
    const root = (await run("cat", [`/proc/${pid}/mountinfo`])).stdout
      .split("\n")
      .find((l) => l.split(" ")[4] === "/")!;
    expect(root).toBeDefined();
    expect(root.split(" ")[5]).not.toMatch(/nosuid/);
    expect((await te.client.call("container.exec", { ctid: CT, argv: ["ls", "-l", "/suid-bb"] })).stdout).toMatch(
      /^-rwsr-xr-x/,
    );
  });

  it("stop closes the gate; start opens it again; destroy leaves no mount", async () => {
    const mounted = async () =>
      (await run("findmnt", ["-n", path.join(te.stateDir, "lxc", String(CT), "rootfs")], { allowFailure: true }))
        .code === 0;
    expect(await mounted()).toBe(true);
    await te.client.call("container.stop", { ctid: CT });
    expect(await mounted()).toBe(false);
    await te.client.call("container.start", { ctid: CT });
    expect(await mounted()).toBe(true);
    await te.client.call("container.destroy", { ctid: CT, force: true });
    expect(await mounted()).toBe(false);
    expect(await leftovers(te, CT)).toEqual([]);
  });
});
