/**
 * debian-12 template: a real debootstrap from Debian's archive (~60 MB download, 1-2 min), then the same
 * tarball booted with systemd in an unprivileged LXC container (no network). The built tarball seeds the
 * cache ($OVZ_TEMPLATE_CACHE, default /var/cache/ovz/templates) that other tests reuse through
 * cachedDebianTarball().
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import { chmod, lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { run } from "../../src/exec.js";
import type { StorageDriver } from "../../src/drivers/storage/types.js";
import {
  cachedDebianTarball,
  cachedDebianTarballPath,
  DEBIAN_MASKED_UNITS,
  mountsUnder,
  seedDebianCache,
} from "../../src/templates/debian.js";
import { listTarball } from "../../src/templates/import.js";
import { TemplateStore } from "../../src/templates/store.js";
import type { TemplateMeta } from "../../src/templates/types.js";
import { describeRoot } from "../helpers/root.js";

class FakeDirStorage {
  readonly name = "dir" as const;
  readonly caps = { quota: false, inodeQuota: false, cow: false };
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
    await mkdir(this.templatePath(n));
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

describeRoot("debian-12 template (debootstrap from deb.debian.org)", () => {
  let tmp: string;
  let store: TemplateStore;
  let storage: FakeDirStorage;
  let meta: TemplateMeta | undefined;
  const ctName = `tpldeb-${process.pid}`;
  const lxcPath = () => join(tmp, "lxc");

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "ovz-tpldeb-"));
    await chmod(tmp, 0o755);
    storage = new FakeDirStorage(join(tmp, "vols"));
    await mkdir(storage.root, { mode: 0o755 });
    store = new TemplateStore({ dir: join(tmp, "templates"), storage: storage as unknown as StorageDriver });
  });

  afterAll(async () => {
    if (!tmp) return;
    await run("lxc-stop", ["-P", lxcPath(), "-n", ctName, "-k"], { allowFailure: true, cwd: "/" });
    for (const m of await mountsUnder(tmp)) await run("umount", ["-l", m], { allowFailure: true });
    await run("rm", ["-rf", "--one-file-system", "--", tmp]);
  });

  it("buildDebian produces debian-12 (systemd, SIGRTMIN+3) with ip, an empty machine-id and masked units", async () => {
    const lines: string[] = [];
    const t0 = Date.now();
    meta = await store.buildDebian({}, (l) => lines.push(l));
    const secs = (Date.now() - t0) / 1000;
    expect(meta).toMatchObject({
      name: "debian-12",
      distro: "debian",
      release: "12",
      init: "systemd",
      haltSignal: "SIGRTMIN+3",
      source: "built",
      arch: "amd64",
    });
    expect(lines.some((l) => /Base system installed successfully/.test(l))).toBe(true); // debootstrap output was streamed
    const tar = await store.tarballPath("debian-12");
    expect(tar.endsWith("debian-12.tar.zst")).toBe(true);

    const listing = await listTarball(tar);
    expect(listing.exists("lib/systemd/systemd")).toBe(true);
    expect(listing.exists("sbin/ip") || listing.exists("bin/ip")).toBe(true);
    expect(listing.resolve("sbin/init")?.chain.some((p) => p.endsWith("lib/systemd/systemd"))).toBe(true);
    expect(listing.exists("bin/ps")).toBe(true);
    for (const u of DEBIAN_MASKED_UNITS) {
      const e = listing.entries.get(`etc/systemd/system/${u}`);
      if (e) expect(e.target).toBe("/dev/null");
    }
    expect(listing.entries.get("etc/systemd/system/dev-hugepages.mount")?.target).toBe("/dev/null");
    const paths = listing.paths();
    expect(paths.filter((p) => p.startsWith("dev/"))).toEqual([]);
    expect(paths.filter((p) => p.endsWith(".deb"))).toEqual([]);
    expect(paths.filter((p) => p.startsWith("var/lib/apt/lists/") && !/\/(partial|lock)$/.test(p))).toEqual([]);
    expect(paths.some((p) => p.startsWith("debootstrap"))).toBe(false);
    for (const e of listing.entries.values()) expect(e.uid <= 65535 && e.gid <= 65535, e.raw).toBe(true);
    // the build tree and temp files are gone, nothing is left mounted
    expect((await readdir(join(tmp, "templates"))).sort()).toEqual(["debian-12.json", "debian-12.tar.zst"]);
    expect(await mountsUnder(tmp)).toEqual([]);
    console.log(
      `buildDebian: ${secs.toFixed(1)} s, tarball ${(meta.sizeBytes / 1024 / 1024).toFixed(1)} MiB, ${listing.entries.size} entries`,
    );

    // seed the shared cache for later runs / other tests
    const cached = await seedDebianCache(tar);
    expect(cached).toBe(cachedDebianTarballPath());
  }, 600_000);

  it("the debian-12 volume is container-clean and boots systemd to 'running' in an unprivileged container", async () => {
    expect(meta).toBeDefined();
    const t0 = Date.now();
    await store.ensureVolume("debian-12");
    const unpackMs = Date.now() - t0;
    const vol = storage.templatePath("debian-12");
    expect((await stat(join(vol, "etc/machine-id"))).size).toBe(0);
    expect((await stat(join(vol, "etc/hostname"))).size).toBe(0);
    expect((await stat(join(vol, "etc/resolv.conf"))).size).toBe(0);

    const ctRoot = join(tmp, "ct-rootfs");
    const ctDir = join(lxcPath(), ctName);
    await mkdir(ctDir, { recursive: true, mode: 0o755 });
    await chmod(lxcPath(), 0o755);
    await run("cp", ["-a", "--reflink=auto", "-T", vol, ctRoot]);
    await writeFile(join(ctRoot, "etc/hostname"), `${ctName}\n`);
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
        "lxc.net.0.type = empty",
        `lxc.signal.halt = ${meta!.haltSignal}`,
        `lxc.log.file = ${join(ctDir, "lxc.log")}`,
        `lxc.console.logfile = ${join(ctDir, "console.log")}`,
        "",
      ].join("\n"),
    );
    const lxc = (cmd: string, args: string[]) =>
      run(cmd, ["-P", lxcPath(), "-n", ctName, ...args], { cwd: "/", timeoutMs: 60_000 });
    const b0 = Date.now();
    await lxc("lxc-start", ["-d"]);
    await lxc("lxc-wait", ["-s", "RUNNING", "-t", "10"]);
    const r = await run(
      "lxc-attach",
      [
        "-P",
        lxcPath(),
        "-n",
        ctName,
        "--",
        "/bin/sh",
        "-c", // right after lxc-start, systemd's socket may not exist yet ("Failed to connect to bus"): retry until a state
        'i=0; while [ $i -lt 300 ]; do s=$(timeout 30 systemctl is-system-running --wait 2>/dev/null); [ -n "$s" ] && break; sleep 0.1; i=$((i+1)); done; echo $s; ' +
          "systemctl --failed --no-legend; hostname; test -s /etc/machine-id && echo has-id",
      ],
      { cwd: "/", timeoutMs: 60_000, allowFailure: true },
    );
    const bootMs = Date.now() - b0;
    expect(r.stdout.trim().split("\n"), r.stdout + r.stderr).toEqual(["running", ctName, "has-id"]);
    const s0 = Date.now();
    await lxc("lxc-stop", ["-t", "30"]);
    const stopMs = Date.now() - s0;
    expect((await lxc("lxc-info", ["-s"])).stdout).toMatch(/STOPPED/);
    expect(stopMs).toBeLessThan(20_000);
    console.log(
      `debian-12: unpack ${unpackMs} ms, boot to running ${bootMs} ms, clean halt on ${meta!.haltSignal} ${stopMs} ms`,
    );
    // the template volume itself was never touched by the container
    expect((await stat(join(vol, "etc/machine-id"))).size).toBe(0);
    await run("rm", ["-rf", "--one-file-system", "--", ctRoot]);
  }, 180_000);

  it("cachedDebianTarball() returns the cached tarball, which imports as debian 12 / systemd", async () => {
    const t0 = Date.now();
    const cached = await cachedDebianTarball();
    expect(cached).toBe(cachedDebianTarballPath());
    expect(Date.now() - t0).toBeLessThan(5_000); // seeded above: no rebuild
    const m = await store.importTarball(cached, { name: "debian-12-cached" });
    expect(m).toMatchObject({
      distro: "debian",
      release: "12",
      init: "systemd",
      haltSignal: "SIGRTMIN+3",
      source: "imported",
      arch: "amd64",
    });
    await store.delete("debian-12-cached", []);
    await store.delete("debian-12", []);
    expect(await readdir(join(tmp, "templates"))).toEqual([]);
  }, 120_000);
});
