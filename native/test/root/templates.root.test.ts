/**
 * Template store with real tar/zstd, a plain-directory fake storage driver and (for the boot check) a real
 * unprivileged LXC container with an idmapped rootfs and no network.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  readlink,
  rm,
  stat,
  symlink,
  truncate,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isEngineError } from "../../src/errors.js";
import { run } from "../../src/exec.js";
import type { StorageDriver } from "../../src/drivers/storage/types.js";
import { buildBusyboxRootfs } from "../../src/templates/busybox.js";
import { mountsUnder } from "../../src/templates/debian.js";
import { sha256File } from "../../src/templates/import.js";
import { TemplateStore } from "../../src/templates/store.js";
import { describeRoot } from "../helpers/root.js";

/** Plain directories; same contract as the real drivers: a volume "exists" only once sealed. */
class FakeDirStorage {
  readonly name = "dir" as const;
  readonly caps = { quota: false, inodeQuota: false, cow: false };
  creates = 0;
  constructor(readonly root: string) {}
  private seal(n: string) {
    return join(this.root, `.sealed-${n}`);
  }
  templatePath(n: string) {
    return join(this.root, n);
  }
  async templateVolumeExists(n: string) {
    return (await exists(this.templatePath(n))) && (await exists(this.seal(n)));
  }
  async createTemplateVolume(n: string) {
    this.creates++;
    await mkdir(this.templatePath(n)); // EEXIST if a half volume is there, like the real drivers
    return this.templatePath(n);
  }
  async sealTemplateVolume(n: string) {
    await writeFile(this.seal(n), "");
  }
  async deleteTemplateVolume(n: string) {
    await rm(this.seal(n), { force: true });
    await rm(this.templatePath(n), { recursive: true, force: true });
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (!isEngineError(e)) throw e;
    expect(e.code, e.message).toBe(code);
    return e;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

/** Raw `tar -tv --numeric-owner` lines (independent of the store's own parser). */
async function rawListing(file: string): Promise<string[]> {
  const r = await run("tar", ["-tv", "--numeric-owner", "-a", "-f", file], { maxOutput: 64 * 1024 * 1024 });
  return r.stdout.split("\n").filter((l) => l !== "");
}

const DEAD_PID = 2147483000; // beyond pid_max: kill(pid, 0) → ESRCH

describeRoot("template store (busybox, import, delete)", () => {
  let tmp: string;
  let tplDir: string;
  let storage: FakeDirStorage;
  let store: TemplateStore;
  let rootfs: string; // a busybox rootfs for making import tarballs
  const lxcPath = () => join(tmp, "lxc");
  const ctName = `tpltest-${process.pid}`;

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "ovz-tpl-"));
    await chmod(tmp, 0o755); // the container's mapped root must traverse to its rootfs
    tplDir = join(tmp, "templates");
    storage = new FakeDirStorage(join(tmp, "vols"));
    await mkdir(storage.root, { mode: 0o755 });
    store = new TemplateStore({ dir: tplDir, storage: storage as unknown as StorageDriver });
    rootfs = join(tmp, "rootfs");
    await buildBusyboxRootfs(rootfs);
  });

  afterAll(async () => {
    if (!tmp) return;
    await run("lxc-stop", ["-P", lxcPath(), "-n", ctName, "-k"], { allowFailure: true, cwd: "/" });
    for (const m of await mountsUnder(tmp)) await run("umount", ["-l", m], { allowFailure: true });
    await run("rm", ["-rf", "--one-file-system", "--", tmp]);
  });

  it("buildBusybox packs a tar.zst with numeric owner 0 and the essentials", async () => {
    const logs: string[] = [];
    const t0 = Date.now();
    const meta = await store.buildBusybox(undefined, (l) => logs.push(l));
    const ms = Date.now() - t0;
    expect(meta).toMatchObject({
      name: "busybox",
      distro: "busybox",
      init: "busybox",
      haltSignal: "SIGUSR2",
      source: "built",
      arch: "amd64",
    });
    expect(meta.release).toMatch(/^\d+\.\d+/);
    const tar = join(tplDir, "busybox.tar.zst");
    expect(await store.tarballPath("busybox")).toBe(tar);
    expect(meta.sizeBytes).toBe((await stat(tar)).size);
    expect(meta.sha256).toBe(await sha256File(tar));
    const lines = await rawListing(tar);
    const byName = new Map(lines.map((l) => [l.split(/ +/)[5]!, l]));
    for (const f of [
      "./bin/busybox",
      "./sbin/init",
      "./etc/inittab",
      "./etc/passwd",
      "./etc/shadow",
      "./bin/sh",
      "./etc/init.d/rcK",
      "./etc/init.d/rcS",
    ]) {
      expect(byName.get(f), f).toBeDefined();
    }
    for (const l of lines) expect(l.split(/ +/)[1], l).toBe("0/0");
    expect(byName.get("./sbin/init")).toMatch(/-> \/bin\/busybox$/);
    expect(byName.get("./tmp/")).toMatch(/^drwxrwxrwt/);
    expect(byName.get("./etc/shadow")).toMatch(/^-rw-------/);
    // nothing left behind in the store dir but the tarball and the metadata
    expect((await readdir(tplDir)).sort()).toEqual(["busybox.json", "busybox.tar.zst"]);
    console.log(`buildBusybox: ${ms} ms, ${meta.sizeBytes} bytes, ${lines.length} entries`);
  });

  it("refuses to build over an existing template (TEMPLATE_EXISTS)", async () => {
    await expectCode(store.buildBusybox(), "TEMPLATE_EXISTS");
  });

  it("ensureVolume unpacks and seals once; a second call is a no-op", async () => {
    const t0 = Date.now();
    await store.ensureVolume("busybox");
    const ms = Date.now() - t0;
    const vol = storage.templatePath("busybox");
    expect(await storage.templateVolumeExists("busybox")).toBe(true);
    expect((await stat(join(vol, "bin/busybox"))).mode & 0o111).not.toBe(0);
    expect(await readlink(join(vol, "sbin/init"))).toBe("/bin/busybox");
    const st = await stat(join(vol, "etc/passwd"));
    expect([st.uid, st.gid]).toEqual([0, 0]);
    expect((await stat(join(vol, "tmp"))).mode & 0o7777).toBe(0o1777);
    const creates = storage.creates;
    const logs: string[] = [];
    await store.ensureVolume("busybox", (l) => logs.push(l));
    expect(storage.creates).toBe(creates);
    expect(logs.join("\n")).toMatch(/already present/);
    console.log(`ensureVolume(busybox): ${ms} ms`);
  });

  it("concurrent ensureVolume calls unpack only once", async () => {
    await storage.deleteTemplateVolume("busybox");
    const before = storage.creates;
    await Promise.all([store.ensureVolume("busybox"), store.ensureVolume("busybox"), store.ensureVolume("busybox")]);
    expect(storage.creates - before).toBe(1);
    expect(await storage.templateVolumeExists("busybox")).toBe(true);
  });

  it("the busybox template boots as PID 1 in an unprivileged LXC container and halts cleanly on SIGUSR2", async () => {
    const ctDir = join(lxcPath(), ctName);
    const ctRoot = join(tmp, "ct-rootfs");
    await mkdir(ctDir, { recursive: true, mode: 0o755 });
    await chmod(lxcPath(), 0o755);
    await run("cp", ["-a", "--reflink=auto", "-T", storage.templatePath("busybox"), ctRoot]);
    const meta = await store.get("busybox");
    await writeFile(
      join(ctDir, "config"),
      [
        `lxc.uts.name = ${ctName}`,
        `lxc.rootfs.path = dir:${ctRoot}`,
        "lxc.rootfs.options = idmap=container",
        "lxc.idmap = u 0 1000000 65536",
        "lxc.idmap = g 0 1000000 65536",
        "lxc.include = /usr/share/lxc/config/common.conf",
        "lxc.include = /usr/share/lxc/config/userns.conf",
        "lxc.net.0.type = empty", // no network at all
        `lxc.signal.halt = ${meta.haltSignal}`,
        `lxc.log.file = ${join(ctDir, "lxc.log")}`,
        `lxc.console.logfile = ${join(ctDir, "console.log")}`,
        "",
      ].join("\n"),
    );
    const lxc = (cmd: string, args: string[], allowFailure = false) =>
      run(cmd, ["-P", lxcPath(), "-n", ctName, ...args], { cwd: "/", timeoutMs: 30_000, allowFailure });
    await lxc("lxc-start", ["-d"]);
    await lxc("lxc-wait", ["-s", "RUNNING", "-t", "10"]);
    const r = await lxc("lxc-attach", [
      "--",
      "/bin/sh",
      "-c",
      "cat /proc/1/comm; readlink /proc/1/exe; id -u; stat -c %u /etc/passwd",
    ]);
    expect(r.stdout.trim().split("\n")).toEqual(["init", "/bin/busybox", "0", "0"]);
    // a service that ignores nothing: must be gone after the halt
    await lxc("lxc-attach", ["--", "/bin/sh", "-c", "sleep 1000 >/dev/null 2>&1 &"]);
    const t0 = Date.now();
    await lxc("lxc-stop", ["-t", "15"]);
    const ms = Date.now() - t0;
    expect((await lxc("lxc-info", ["-s"])).stdout).toMatch(/STOPPED/);
    expect(ms).toBeLessThan(10_000); // busybox init itself sleeps ~2 s while halting
    const consoleLog = await readFile(join(ctDir, "console.log"), "utf8");
    expect(consoleLog).toMatch(/Requesting system poweroff/);
    console.log(`busybox container: clean halt on ${meta.haltSignal} in ${ms} ms`);
    await rm(ctRoot, { recursive: true, force: true });
  }, 60_000);

  it("get() of an unknown template → TEMPLATE_NOT_FOUND naming the available ones; list() shows them", async () => {
    const e = await expectCode(store.get("nope"), "TEMPLATE_NOT_FOUND");
    expect(e.message).toMatch(/nope/);
    expect(e.message).toMatch(/busybox/);
    expect((await store.list()).map((m) => m.name)).toEqual(["busybox"]);
    await expectCode(store.ensureVolume("nope"), "TEMPLATE_NOT_FOUND");
  });

  it("imports a tar.gz made from a busybox rootfs and detects busybox init + SIGUSR2", async () => {
    const file = join(tmp, "bb-imported.tar.gz");
    await run("tar", ["--numeric-owner", "-czf", file, "-C", rootfs, "."]);
    const meta = await store.importTarball(file);
    expect(meta).toMatchObject({
      name: "bb-imported",
      init: "busybox",
      haltSignal: "SIGUSR2",
      distro: "busybox",
      source: "imported",
      arch: "amd64",
    });
    expect(meta.release).toMatch(/^\d+\.\d+/);
    const stored = join(tplDir, "bb-imported.tar.gz");
    expect(meta.sha256).toBe(await sha256File(stored));
    expect(meta.sha256).toBe(await sha256File(file));
    await store.ensureVolume("bb-imported");
    expect(await readlink(join(storage.templatePath("bb-imported"), "sbin/init"))).toBe("/bin/busybox");
    await expectCode(store.importTarball(file), "TEMPLATE_EXISTS");
  });

  it("imports plain tar and zstd with an explicit name; hard-linked applets count as busybox", async () => {
    const hl = join(tmp, "hl-rootfs");
    await run("cp", ["-a", "-T", rootfs, hl]);
    for (const f of ["sbin/init", "bin/sh"]) {
      await rm(join(hl, f));
      await run("ln", [join(hl, "bin/busybox"), join(hl, f)]);
    }
    const plain = join(tmp, "whatever.tar");
    await run("tar", ["--numeric-owner", "-cf", plain, "-C", hl, "."]);
    const m1 = await store.importTarball(plain, { name: "plain.bb" });
    expect(m1).toMatchObject({ name: "plain.bb", init: "busybox", haltSignal: "SIGUSR2" });
    expect(await exists(join(tplDir, "plain.bb.tar"))).toBe(true);
    const zst = join(tmp, "Weird_Name-1.0.tar.zst");
    await run("tar", ["--numeric-owner", "-I", "zstd", "-cf", zst, "-C", rootfs, "."]);
    const m2 = await store.importTarball(zst);
    expect(m2.name).toBe("weird_name-1.0");
    expect(await exists(join(tplDir, "weird_name-1.0.tar.zst"))).toBe(true);
    await store.delete("plain.bb", []);
    await store.delete("weird_name-1.0", []);
  });

  async function storeFiles(): Promise<string[]> {
    return (await readdir(tplDir)).sort();
  }

  it("refuses tarballs with ../ or absolute members (TEMPLATE_INVALID) and leaves nothing behind", async () => {
    const before = await storeFiles();
    const volsBefore = (await readdir(storage.root)).sort();
    // ../evil: a file next to the rootfs, archived with -P so the ".." stays in the member name
    await writeFile(join(tmp, "evil"), "evil\n");
    const dotdot = join(tmp, "dotdot.tar.gz");
    await run("tar", ["-P", "--numeric-owner", "-czf", dotdot, "-C", rootfs, ".", "../evil"]);
    expect((await rawListing(dotdot)).some((l) => l.endsWith(" ../evil"))).toBe(true);
    const e1 = await expectCode(store.importTarball(dotdot), "TEMPLATE_INVALID");
    expect(e1.message).toMatch(/\.\.\/evil/);
    // absolute member name
    const absFile = join(tmp, "abs-target");
    await writeFile(absFile, "x\n");
    const abs = join(tmp, "abs.tar.gz");
    await run("tar", ["-P", "--numeric-owner", "-czf", abs, "-C", rootfs, ".", absFile]);
    const e2 = await expectCode(store.importTarball(abs, { name: "abs" }), "TEMPLATE_INVALID");
    expect(e2.message).toContain(absFile);
    expect(await storeFiles()).toEqual(before);
    expect((await readdir(storage.root)).sort()).toEqual(volsBefore);
    expect(await readFile(absFile, "utf8")).toBe("x\n");
  });

  it("refuses tarballs without an init, without /bin/sh, or that are not tar at all", async () => {
    const before = await storeFiles();
    const noInit = join(tmp, "noinit-rootfs");
    await mkdir(join(noInit, "bin"), { recursive: true });
    await mkdir(join(noInit, "etc"), { recursive: true });
    await writeFile(join(noInit, "bin/sh"), "#!/nothing\n", { mode: 0o755 });
    const f1 = join(tmp, "noinit.tar.gz");
    await run("tar", ["--numeric-owner", "-czf", f1, "-C", noInit, "."]);
    const e1 = await expectCode(store.importTarball(f1), "TEMPLATE_INVALID");
    expect(e1.message).toMatch(/no init/);

    const noSh = join(tmp, "nosh-rootfs");
    await mkdir(join(noSh, "sbin"), { recursive: true });
    await writeFile(join(noSh, "sbin/init"), "x", { mode: 0o755 });
    const f2 = join(tmp, "nosh.tar.gz");
    await run("tar", ["--numeric-owner", "-czf", f2, "-C", noSh, "."]);
    const e2 = await expectCode(store.importTarball(f2), "TEMPLATE_INVALID");
    expect(e2.message).toMatch(/bin\/sh/);

    const junk = join(tmp, "junk.tar.gz");
    await writeFile(junk, Buffer.from("this is not a tarball at all, not even close".repeat(20)));
    await expectCode(store.importTarball(junk), "TEMPLATE_INVALID");
    const truncated = join(tmp, "trunc.tar.gz");
    const whole = await readFile(join(tmp, "bb-imported.tar.gz"));
    await writeFile(truncated, whole.subarray(0, 4000));
    await expectCode(store.importTarball(truncated), "TEMPLATE_INVALID");
    await expectCode(store.importTarball(join(tmp, "does-not-exist.tar.gz")), "TEMPLATE_INVALID");
    expect(await storeFiles()).toEqual(before);
  });

  it("refuses bad names with a message that states the rule", async () => {
    for (const bad of ["Debian", "../x", "", "-x", ".hidden", "a/b", "a b", "a".repeat(65), "deb\n"]) {
      const e = await expectCode(store.get(bad), "TEMPLATE_INVALID");
      expect(e.message).toMatch(/lower-case letters, digits/);
      await expectCode(store.buildBusybox(bad), "TEMPLATE_INVALID");
      await expectCode(store.ensureVolume(bad), "TEMPLATE_INVALID");
      await expectCode(store.delete(bad, []), "TEMPLATE_INVALID");
      await expectCode(store.importTarball(join(tmp, "bb-imported.tar.gz"), { name: bad }), "TEMPLATE_INVALID");
    }
    await expectCode(store.importTarball(join(tmp, "bad+name.tar.gz")), "TEMPLATE_INVALID");
    expect("a".repeat(64)).toMatch(/^[a-z0-9][a-z0-9._-]{0,63}$/);
  });

  it("delete with users → TEMPLATE_IN_USE listing them, nothing deleted", async () => {
    const e = await expectCode(store.delete("bb-imported", [102, 101]), "TEMPLATE_IN_USE");
    expect(e.message).toBe("template bb-imported is used by containers 101, 102; destroy or reinstall them first");
    const e1 = await expectCode(store.delete("bb-imported", [101]), "TEMPLATE_IN_USE");
    expect(e1.message).toMatch(/container 101\b/);
    expect(await exists(join(tplDir, "bb-imported.tar.gz"))).toBe(true);
    expect(await exists(join(tplDir, "bb-imported.json"))).toBe(true);
    expect(await storage.templateVolumeExists("bb-imported")).toBe(true);
  });

  it("delete with no users removes tarball, metadata and volume (idempotent)", async () => {
    await store.delete("bb-imported", []);
    expect(await exists(join(tplDir, "bb-imported.tar.gz"))).toBe(false);
    expect(await exists(join(tplDir, "bb-imported.json"))).toBe(false);
    expect(await exists(storage.templatePath("bb-imported"))).toBe(false);
    await expectCode(store.get("bb-imported"), "TEMPLATE_NOT_FOUND");
    await store.delete("bb-imported", []);
    expect(await storeFiles()).toEqual(["busybox.json", "busybox.tar.zst"]);
  });

  it("a failed unpack deletes the half-made volume and throws", async () => {
    const file = join(tmp, "tobreak.tar.gz");
    await run("tar", ["--numeric-owner", "-czf", file, "-C", rootfs, "."]);
    await store.importTarball(file);
    await truncate(join(tplDir, "tobreak.tar.gz"), 300_000); // corrupt the stored copy
    const e = await expectCode(store.ensureVolume("tobreak"), "HOST_TOOL_FAILED");
    expect(e.message).toMatch(/tobreak/);
    expect(await exists(storage.templatePath("tobreak"))).toBe(false);
    await store.delete("tobreak", []);
  });

  it("cleans up a crashed run's leftovers: temp files, build trees with mounts, half volumes, orphan tarballs", async () => {
    const tarTmp = join(tplDir, `.tmp.${DEAD_PID}.abcd1234.tar.busybox`);
    const jsonTmp = join(tplDir, `.tmp.${DEAD_PID}.abcd1234.json.busybox.json`);
    const build = join(tplDir, `.tmp.${DEAD_PID}.abcd1234.build.debian-12`);
    const marker = join(tplDir, `.tmp.${DEAD_PID}.abcd1234.unpack.busybox`);
    const orphan = join(tplDir, "orphan.tar.zst");
    const live = join(tplDir, `.tmp.${process.ppid}.abcd1234.tar.other`); // a live process's temp: kept
    await writeFile(tarTmp, "half");
    await writeFile(jsonTmp, "{");
    await writeFile(marker, "busybox");
    await writeFile(orphan, "x");
    await writeFile(live, "x");
    await mkdir(join(build, "proc"), { recursive: true });
    await writeFile(join(build, "file"), "x");
    await run("mount", ["-t", "tmpfs", "tmpfs", join(build, "proc")]);
    await writeFile(join(build, "proc", "inside-mount"), "x");
    // the crashed unpack left a half volume: its content must go
    await storage.deleteTemplateVolume("busybox");
    await mkdir(join(storage.templatePath("busybox"), "half"), { recursive: true });

    const removed = await store.cleanupTemp();
    expect(removed.sort()).toEqual([build, jsonTmp, marker, orphan, tarTmp].sort());
    expect(await mountsUnder(build)).toEqual([]);
    expect(await exists(storage.templatePath("busybox"))).toBe(false);
    expect(await exists(live)).toBe(true);
    await rm(live);
    expect(await storeFiles()).toEqual(["busybox.json", "busybox.tar.zst"]);
    // and the template still works
    await store.ensureVolume("busybox");
    expect(await exists(join(storage.templatePath("busybox"), "bin/busybox"))).toBe(true);
  });

  it("a failed debootstrap leaves no build tree, temp file or metadata behind", async () => {
    const before = await storeFiles();
    const lines: string[] = [];
    // port 9 on loopback: connection refused at once (nothing leaves the machine)
    const e = await expectCode(
      store.buildDebian({ name: "deb-fail", mirror: "http://127.0.0.1:9/debian" }, (l) => lines.push(l)),
      "HOST_TOOL_FAILED",
    );
    expect(e.message).toMatch(/debootstrap/);
    expect(lines.length).toBeGreaterThan(0); // debootstrap's own output was streamed
    expect(await storeFiles()).toEqual(before);
    expect((await readdir(tplDir)).filter((f) => f.startsWith(".tmp."))).toEqual([]);
    expect(await mountsUnder(tplDir)).toEqual([]);
    await expectCode(store.buildDebian({ name: "deb-fail", mirror: "not a url; rm -rf /" }), "BAD_REQUEST");
  }, 120_000);

  it("a leftover is also cleaned at the next ordinary operation", async () => {
    const tarTmp = join(tplDir, `.tmp.${DEAD_PID}.beef.tar.busybox`);
    await writeFile(tarTmp, "half");
    await symlink("/etc/passwd", join(tplDir, `.tmp.${DEAD_PID}.beef.build.x`)); // never followed
    await store.list();
    expect(await storeFiles()).toEqual(["busybox.json", "busybox.tar.zst"]);
    expect(await exists("/etc/passwd")).toBe(true);
  });
});
