/**
 * Container features (native/src/features.ts) on real busybox containers (LXC, cgroup v1 on this host):
 * - tun: /dev/net/tun opens inside and busybox tunctl creates a tap interface (open + TUNSETIFF + TUNSETPERSIST);
 *   without the feature there is no node and the device cgroup does not allow c 10:200;
 * - fuse: /dev/fuse opens inside with the feature and not without;
 * - nesting: the clean proc and sysfs under /dev/.lxc are mounted, and a nested pid namespace mounts its own /proc.
 *   Without the feature there is no /dev/.lxc; on this host (no AppArmor) a nested /proc mounts there too: LXC
 *   mounts the container's proc overmounts from inside its user namespace, so the kernel does not lock them (the
 *   refusal without nesting comes from AppArmor on hosts that enforce it, which this host cannot show);
 * - keyctl: the container runs with the seccomp profile that leaves the keyring syscalls alone (busybox has no
 *   keyctl applet: the rendered config and the kernel's Seccomp mode of its init are checked);
 * - a change applies at the next start; destroy leaves nothing (the device nodes included).
 * Docker inside a nested debian-12 is not part of this test.
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const ON = 271;
const OFF = 272;
const exec = (ctid: number, script: string) =>
  te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script], timeoutMs: 60_000 });
const devicesList = (ctid: number) =>
  readFile(`/sys/fs/cgroup/devices/${te.cgroupParent}/${ctid}/devices.list`, "utf8");
const lxcConfig = (ctid: number) => readFile(path.join(te.stateDir, "lxc", String(ctid), "config"), "utf8");

describeRoot("container features (real LXC): tun, fuse, nesting, keyctl", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    await te.client.call("container.create", {
      ctid: ON,
      template: "busybox",
      features: ["tun", "fuse", "nesting", "keyctl"],
    });
    await te.client.call("container.create", { ctid: OFF, template: "busybox" });
    await te.client.call("container.start", { ctid: ON });
    await te.client.call("container.start", { ctid: OFF });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  it("refuses an unknown feature name at the protocol", async () => {
    await expect(te.client.call("container.set", { ctid: OFF, features: ["tun", "kvm"] as never })).rejects.toThrow(
      /unknown feature/,
    );
    expect((await te.client.call("container.status", { ctid: OFF })).features).toEqual([]);
  });

  it("tun: the container opens /dev/net/tun and creates a tap interface; without the feature it cannot", async () => {
    expect((await te.client.call("container.status", { ctid: ON })).features).toEqual([
      "nesting",
      "tun",
      "fuse",
      "keyctl",
    ]);
    const made = await exec(ON, "busybox tunctl -t ovztap0 && ip link show ovztap0 && busybox tunctl -d ovztap0");
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/ovztap0/);
    expect(await devicesList(ON)).toMatch(/^c 10:200 rwm$/m);

    const refused = await exec(OFF, "busybox tunctl -t ovztap0");
    expect(refused.code).not.toBe(0);
    expect((await exec(OFF, "ip link show ovztap0")).code).not.toBe(0);
    expect(await devicesList(OFF)).not.toMatch(/^c 10:200/m);
  });

  it("fuse: /dev/fuse opens inside with the feature and not without", async () => {
    // test -c first: the shell's <> would create a plain file where there is no node
    const open = "test -c /dev/fuse && exec 3<>/dev/fuse && echo opened";
    const ok = await exec(ON, open);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout.trim()).toBe("opened");
    expect(await devicesList(ON)).toMatch(/^c 10:229 rwm$/m);
    const no = await exec(OFF, open);
    expect(no.code).not.toBe(0);
    expect(await devicesList(OFF)).not.toMatch(/^c 10:229/m);
  });

  it("the device nodes are the engine's, owned by the container's root, not the host's", async () => {
    const info = await te.client.call("container.status", { ctid: ON });
    for (const name of ["tun", "fuse"]) {
      const st = await stat(path.join(te.stateDir, "lxc", String(ON), "devices", name));
      expect(st.isCharacterDevice()).toBe(true);
      expect(st.uid).toBe(info.idmap.hostId);
    }
    const inside = await exec(ON, "ls -ln /dev/net/tun /dev/fuse");
    expect(inside.stdout).toMatch(/^crw-rw-rw-\s+1 0\s+0\s+10,\s+200 .*\/dev\/net\/tun$/m);
    expect(inside.stdout).toMatch(/^crw-rw-rw-\s+1 0\s+0\s+10,\s+229 .*\/dev\/fuse$/m);
  });

  it("nesting: a clean proc and sysfs under /dev/.lxc, and a nested pid namespace mounts its own /proc", async () => {
    const mounts = await exec(ON, "cat /proc/self/mounts");
    expect(mounts.stdout).toMatch(/^proc \/dev\/\.lxc\/proc proc /m);
    expect(mounts.stdout).toMatch(/^sys \/dev\/\.lxc\/sys sysfs /m);
    // the clean proc is the container's own pid namespace: its init is pid 1 there
    expect((await exec(ON, "cat /dev/.lxc/proc/1/comm")).stdout.trim()).toBe("init");
    const script = "busybox unshare -p -f -m --mount-proc sh -c 'echo pid=$$; ls /proc | grep -c ^[0-9]'";
    const ok = await exec(ON, script);
    expect(ok.code, ok.stderr).toBe(0);
    // the nested shell is pid 1 of its own namespace and sees only its own processes (itself, ls, grep)
    expect(ok.stdout).toMatch(/^pid=1$/m);
    expect(Number(ok.stdout.trim().split("\n").at(-1))).toBeLessThanOrEqual(3);
    const off = await exec(OFF, "cat /proc/self/mounts");
    expect(off.stdout).not.toMatch(/\/dev\/\.lxc/);
  });

  it("keyctl: the container's seccomp profile leaves the keyring syscalls alone; without, they are ENOSYS", async () => {
    const on = await lxcConfig(ON);
    const off = await lxcConfig(OFF);
    const profileOf = (text: string) => /^lxc\.seccomp\.profile = (.+)$/m.exec(text)![1]!;
    const onProfile = await readFile(profileOf(on), "utf8");
    const offProfile = await readFile(profileOf(off), "utf8");
    expect(onProfile).not.toMatch(/keyctl|add_key|request_key/);
    expect(offProfile).toMatch(/^keyctl errno 38$/m);
    // both run under a seccomp filter (mode 2) all the same
    for (const ctid of [ON, OFF]) {
      const pid = (await te.client.call("container.status", { ctid })).initPid!;
      expect(await readFile(`/proc/${pid}/status`, "utf8")).toMatch(/^Seccomp:\s+2$/m);
    }
  });

  it("a change applies at the next start: tun turned on for a running container works after its restart", async () => {
    await te.client.call("container.set", { ctid: OFF, features: ["tun"] });
    expect((await te.client.call("container.status", { ctid: OFF })).features).toEqual(["tun"]);
    // still running with the config it started with
    expect((await exec(OFF, "test -e /dev/net/tun")).code).not.toBe(0);
    await te.client.call("container.restart", { ctid: OFF });
    const made = await exec(OFF, "busybox tunctl -t ovztap1 && busybox tunctl -d ovztap1");
    expect(made.code, made.stderr).toBe(0);
    // and off again: the node is gone from the engine's device directory at once, from the container at its restart
    await te.client.call("container.set", { ctid: OFF, features: [] });
    await expect(stat(path.join(te.stateDir, "lxc", String(OFF), "devices", "tun"))).rejects.toThrow(/ENOENT/);
    await te.client.call("container.restart", { ctid: OFF });
    expect((await exec(OFF, "test -e /dev/net/tun")).code).not.toBe(0);
  });

  it("destroy leaves nothing behind, the device nodes included", async () => {
    for (const ctid of [ON, OFF]) {
      await te.client.call("container.stop", { ctid, force: true });
      await te.client.call("container.destroy", { ctid });
      expect(await leftovers(te, ctid)).toEqual([]);
    }
  });
});
