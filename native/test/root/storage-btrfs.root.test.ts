/**
 * btrfs storage driver against a real 2 GiB sparse loop image in a temp dir. afterAll unmounts, detaches
 * the loop device and removes the dir even if a test failed.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BtrfsStorage, parseQgroupShow } from "../../src/drivers/storage/btrfs.js";
import { createStorage } from "../../src/drivers/storage/index.js";
import { EngineError, type ErrorCode } from "../../src/errors.js";
import { run } from "../../src/exec.js";
import { describeRoot } from "../helpers/root.js";

const MiB = 1024 * 1024;

async function expectCode(p: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<EngineError> {
  let err: unknown;
  try {
    await (typeof p === "function" ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, `expected EngineError ${code}`).toBeInstanceOf(EngineError);
  expect((err as EngineError).code).toBe(code);
  return err as EngineError;
}

async function mountsAt(p: string): Promise<string[]> {
  const text = await fs.readFile("/proc/mounts", "utf8");
  return text.split("\n").filter((l) => l.split(" ")[1] === p);
}

async function loopDevs(image: string): Promise<string[]> {
  const r = await run("losetup", ["-j", image], { allowFailure: true });
  return r.stdout
    .split("\n")
    .map((l) => l.split(":")[0] ?? "")
    .filter((d) => d.startsWith("/dev/"));
}

async function qgroupIds(root: string): Promise<string[]> {
  const r = await run("btrfs", ["qgroup", "show", "--raw", root]);
  return [...parseQgroupShow(r.stdout).keys()];
}

async function subvolId(p: string): Promise<number> {
  return Number((await run("btrfs", ["inspect-internal", "rootid", p])).stdout.trim());
}

async function subvolList(root: string): Promise<string> {
  return (await run("btrfs", ["subvolume", "list", root])).stdout;
}

describeRoot("btrfs storage driver (loop image)", () => {
  let dir = "";
  let root = "";
  let image = "";
  let st: BtrfsStorage;

  beforeAll(async () => {
    dir = await fs.mkdtemp("/var/tmp/ovz-btrfs-test-");
    root = path.join(dir, "pool");
    image = path.join(dir, "pool.img");
    st = new BtrfsStorage({ root, image: { path: image, sizeBytes: 2048 * MiB }, usageSyncIntervalMs: 0 });
  });

  afterAll(async () => {
    if (!dir) return;
    // Independent of the driver: unmount everything at root, detach the image's loop devices, remove the dir.
    for (let i = 0; i < 5 && (await mountsAt(root)).length > 0; i++) {
      const r = await run("umount", [root], { allowFailure: true });
      if (r.code !== 0) await run("umount", ["-l", root], { allowFailure: true });
    }
    for (let i = 0; i < 5; i++) {
      const devs = await loopDevs(image);
      if (devs.length === 0) break;
      for (const d of devs) await run("losetup", ["-d", d], { allowFailure: true });
      await new Promise((r) => setTimeout(r, 100));
    }
    await fs.rm(dir, { recursive: true, force: true });
  });

  it("refuses a pool image larger than the free space of the filesystem under it, and leaves no file", async () => {
    // a 64 MiB tmpfs holds the image: 20 GiB of sparse image could never be written there
    const small = await fs.mkdtemp("/var/tmp/ovz-btrfs-small-");
    await run("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", small]);
    try {
      const big = new BtrfsStorage({
        root: path.join(small, "pool"),
        image: { path: path.join(small, "pool.img"), sizeBytes: 20 * 1024 * MiB },
      });
      const e = await big.init().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(EngineError);
      expect((e as EngineError).code).toBe("NO_SPACE");
      expect((e as EngineError).message).toMatch(
        /would be 20\.0 GiB, but .* has only 6\d\.\d MiB free: set OVZ_POOL_SIZE to at most 6\dM/,
      );
      expect(await fs.readdir(small)).not.toContain("pool.img");
      expect(await mountsAt(path.join(small, "pool"))).toEqual([]);
    } finally {
      await run("umount", [small], { allowFailure: true });
      await fs.rm(small, { recursive: true, force: true });
    }
  });

  it("without OVZ_POOL_SIZE a new image takes 80% of the free space when the default would not fit", async () => {
    const small = await fs.mkdtemp("/var/tmp/ovz-btrfs-default-");
    await run("mount", ["-t", "tmpfs", "-o", "size=2g", "tmpfs", small]);
    const poolRoot = path.join(small, "pool");
    const img = path.join(small, "pool.img");
    try {
      const dflt = new BtrfsStorage({
        root: poolRoot,
        image: { path: img, sizeBytes: 20 * 1024 * MiB, sizeIsDefault: true },
        usageSyncIntervalMs: 0,
      });
      await dflt.init();
      // 80% of ~2 GiB, in whole GiB
      expect((await fs.stat(img)).size).toBe(1024 * MiB);
      expect(await mountsAt(poolRoot)).toHaveLength(1);
    } finally {
      await run("umount", [poolRoot], { allowFailure: true });
      for (const d of await loopDevs(img)) await run("losetup", ["-d", d], { allowFailure: true });
      await run("umount", [small], { allowFailure: true });
      await fs.rm(small, { recursive: true, force: true });
    }
    // a default that cannot even make 1 GiB is refused like an explicit size
    const tiny = await fs.mkdtemp("/var/tmp/ovz-btrfs-tiny-");
    await run("mount", ["-t", "tmpfs", "-o", "size=64m", "tmpfs", tiny]);
    try {
      const t = new BtrfsStorage({
        root: path.join(tiny, "pool"),
        image: { path: path.join(tiny, "pool.img"), sizeBytes: 20 * 1024 * MiB, sizeIsDefault: true },
      });
      expect(((await t.init().catch((x: unknown) => x)) as EngineError).code).toBe("NO_SPACE");
    } finally {
      await run("umount", [tiny], { allowFailure: true });
      await fs.rm(tiny, { recursive: true, force: true });
    }
  });

  it("init creates, formats and mounts the image, enables quotas, and is idempotent", async () => {
    const t0 = performance.now();
    await st.init();
    const tInit = performance.now() - t0;
    await st.init();
    expect((await mountsAt(root)).length).toBe(1);
    expect((await mountsAt(root))[0]).toMatch(/ btrfs /);
    expect(await loopDevs(image)).toHaveLength(1);
    expect((await fs.stat(image)).blocks * 512).toBeLessThan(64 * MiB); // sparse
    // Another instance (engine restart) on the already mounted pool; and one without an image.
    await new BtrfsStorage({ root, image: { path: image, sizeBytes: 2048 * MiB } }).init();
    await createStorage({ driver: "btrfs", root }).init();
    expect((await mountsAt(root)).length).toBe(1);
    expect(await loopDevs(image)).toHaveLength(1);
    expect(await qgroupIds(root)).toContain("0/5"); // quotas on
    expect((await fs.stat(path.join(root, "templates"))).isDirectory()).toBe(true);
    expect((await fs.stat(path.join(root, "containers"))).isDirectory()).toBe(true);
    console.log(`btrfs init (truncate+mkfs+mount+quota enable): ${tInit.toFixed(0)} ms`);
  });

  it("validates names before building paths", async () => {
    for (const bad of ["../etc", "A", "", ".hidden", "a/b", "x".repeat(65)]) {
      await expectCode(() => st.templatePath(bad), "BAD_REQUEST");
    }
    for (const bad of [0, -1, 1.5, Number.NaN, "101" as unknown as number]) {
      await expectCode(() => st.containerPath(bad), "BAD_REQUEST");
    }
    await expectCode(st.createContainerVolume(101, "../templates"), "BAD_REQUEST");
    expect(st.templatePath("debian-12.1_x")).toBe(path.join(root, "templates", "debian-12.1_x"));
  });

  it("template volume: create, fill, seal → read-only (EROFS)", async () => {
    expect(await st.templateVolumeExists("base")).toBe(false);
    const p = await st.createTemplateVolume("base");
    expect(p).toBe(st.templatePath("base"));
    await fs.mkdir(path.join(p, "etc"));
    await fs.writeFile(path.join(p, "etc", "hostname"), "template\n");
    for (let i = 0; i < 200; i++) await fs.writeFile(path.join(p, "etc", `f${i}`), `file ${i}\n`);
    await run("dd", ["if=/dev/urandom", `of=${path.join(p, "big")}`, "bs=1M", "count=8", "status=none"]);
    expect(await st.templateVolumeExists("base")).toBe(false); // not sealed yet = not usable
    await expectCode(st.createTemplateVolume("base"), "TEMPLATE_EXISTS");
    await st.sealTemplateVolume("base");
    expect(await st.templateVolumeExists("base")).toBe(true);
    const err = await fs.writeFile(path.join(p, "new"), "x").catch((e: NodeJS.ErrnoException) => e);
    expect((err as NodeJS.ErrnoException).code).toBe("EROFS");
    const err2 = await fs.writeFile(path.join(p, "etc", "hostname"), "x").catch((e: NodeJS.ErrnoException) => e);
    expect((err2 as NodeJS.ErrnoException).code).toBe("EROFS");
    expect(await st.listTemplateVolumes()).toEqual(["base"]);
    await expectCode(st.sealTemplateVolume("nope"), "TEMPLATE_NOT_FOUND");
  });

  it("container volume is a writable CoW snapshot of the template", async () => {
    const t0 = performance.now();
    const p = await st.createContainerVolume(101, "base");
    const tSnap = performance.now() - t0;
    expect(p).toBe(st.containerPath(101));
    expect(await st.containerVolumeExists(101)).toBe(true);
    expect(await fs.readFile(path.join(p, "etc", "hostname"), "utf8")).toBe("template\n");
    // (Buffer.equals: vitest's deep equality takes a minute on 8 MiB)
    const same = (await fs.readFile(path.join(p, "big"))).equals(
      await fs.readFile(path.join(st.templatePath("base"), "big")),
    );
    expect(same).toBe(true);
    await fs.writeFile(path.join(p, "etc", "hostname"), "ct101\n");
    await fs.writeFile(path.join(p, "only-in-ct"), "x");
    await fs.rm(path.join(p, "etc", "f1"));
    const tpl = st.templatePath("base");
    expect(await fs.readFile(path.join(tpl, "etc", "hostname"), "utf8")).toBe("template\n");
    await expect(fs.access(path.join(tpl, "only-in-ct"))).rejects.toThrow();
    await fs.access(path.join(tpl, "etc", "f1"));

    await expectCode(st.createContainerVolume(101, "base"), "CTID_IN_USE");
    await expectCode(st.createContainerVolume(150, "missing"), "TEMPLATE_NOT_FOUND");
    await st.createTemplateVolume("unsealed");
    await expectCode(st.createContainerVolume(150, "unsealed"), "TEMPLATE_INVALID");
    expect(await st.containerVolumeExists(150)).toBe(false);
    await st.deleteTemplateVolume("unsealed");

    // CoW: a fresh snapshot owns (almost) nothing exclusively, while the template references > 8 MiB.
    await st.createContainerVolume(102, "base");
    const u = await st.usage(102);
    const tplRow = parseQgroupShow((await run("btrfs", ["qgroup", "show", "--raw", "--sync", "-f", tpl])).stdout).get(
      `0/${await subvolId(tpl)}`,
    );
    expect(tplRow?.referenced ?? 0).toBeGreaterThan(8 * MiB);
    expect(u.bytes).toBeLessThan(1 * MiB);
    expect(u.limitBytes).toBeNull();
    expect(u.inodes).toBeNull();
    expect(await st.listContainerVolumes()).toEqual([101, 102]);
    console.log(
      `snapshot of template (8 MiB + 201 files): ${tSnap.toFixed(1)} ms; fresh snapshot exclusive ${u.bytes} B, template referenced ${tplRow?.referenced} B`,
    );
  });

  it("exclusive quota stops writes with EDQUOT, can be raised live, usage() reports bytes", async () => {
    const p = st.containerPath(101);
    await st.setQuota(101, { bytes: 64 * MiB, inodes: null });
    expect((await st.usage(101)).limitBytes).toBe(64 * MiB);

    const dd1 = await run("dd", ["if=/dev/zero", `of=${path.join(p, "fill1")}`, "bs=1M", "count=100", "conv=fsync"], {
      allowFailure: true,
    });
    expect(dd1.code).not.toBe(0);
    expect(dd1.stderr).toMatch(/Disk quota exceeded/);
    const size1 = (await fs.stat(path.join(p, "fill1"))).size;
    expect(size1).toBeLessThanOrEqual(64 * MiB);
    const u1 = await st.usage(101);
    expect(u1.bytes).toBeGreaterThan(48 * MiB);
    expect(u1.bytes).toBeLessThanOrEqual(65 * MiB);

    // Raise live; the same container can now write 100 MiB more.
    await st.setQuota(101, { bytes: 256 * MiB, inodes: null });
    const dd2 = await run("dd", ["if=/dev/zero", `of=${path.join(p, "fill2")}`, "bs=1M", "count=100", "conv=fsync"], {
      allowFailure: true,
    });
    expect(dd2.stderr).not.toMatch(/quota/);
    expect(dd2.code).toBe(0);
    const u2 = await st.usage(101);
    expect(u2.limitBytes).toBe(256 * MiB);
    expect(u2.bytes).toBeGreaterThan(size1 + 100 * MiB - 1 * MiB);
    expect(u2.bytes).toBeLessThan(size1 + 100 * MiB + 2 * MiB);

    // Deleting the data gives the space back to the qgroup.
    await fs.rm(path.join(p, "fill2"));
    const u3 = await st.usage(101);
    expect(u3.bytes).toBeLessThan(u2.bytes - 90 * MiB);

    await st.setQuota(101, { bytes: null, inodes: 0 });
    expect((await st.usage(101)).limitBytes).toBeNull();
    console.log(
      `quota 64 MiB: dd of 100 MiB stopped at ${size1} B with "${dd1.stderr.split("\n")[0]}"; usage ${u1.bytes} B; ` +
        `after raising to 256 MiB: +100 MiB ok, usage ${u2.bytes} B`,
    );
  });

  it("setQuota/usage refuse what btrfs cannot do", async () => {
    const e = await expectCode(st.setQuota(101, { bytes: 64 * MiB, inodes: 1000 }), "UNSUPPORTED");
    expect(e.message).toMatch(/inode/);
    await expectCode(st.setQuota(101, { bytes: -5, inodes: null }), "LIMIT_OUT_OF_RANGE");
    await expectCode(st.setQuota(101, { bytes: 1.5, inodes: null }), "LIMIT_OUT_OF_RANGE");
    await expectCode(st.setQuota(999, { bytes: 64 * MiB, inodes: null }), "NOT_FOUND");
    await expectCode(st.usage(999), "NOT_FOUND");
  });

  it("deleteContainerVolume removes the subvolume (with nested ones), the directory and the qgroup; idempotent", async () => {
    const p = st.containerPath(101);
    await st.setQuota(101, { bytes: 128 * MiB, inodes: null });
    // A container may create subvolumes itself (no privilege needed); they must not block the delete.
    await run("btrfs", ["subvolume", "create", path.join(p, "nested")]);
    await fs.writeFile(path.join(p, "nested", "f"), "x");
    const id = await subvolId(p);
    const nestedId = await subvolId(path.join(p, "nested"));
    expect(await qgroupIds(root)).toEqual(expect.arrayContaining([`0/${id}`, `0/${nestedId}`]));

    const t0 = performance.now();
    await st.deleteContainerVolume(101);
    const tDel = performance.now() - t0;
    expect(await st.containerVolumeExists(101)).toBe(false);
    await expect(fs.lstat(p)).rejects.toThrow(/ENOENT/);
    expect(await subvolList(root)).not.toMatch(/containers\/101\b/);
    const ids = await qgroupIds(root);
    expect(ids).not.toContain(`0/${id}`);
    expect(ids).not.toContain(`0/${nestedId}`);

    await st.deleteContainerVolume(101); // twice
    await st.deleteContainerVolume(4242); // never existed
    expect(await st.listContainerVolumes()).toEqual([102]);
    console.log(`delete container volume incl. qgroup cleanup: ${tDel.toFixed(0)} ms`);
  });

  it("deleteContainerVolume cleans a half-made plain directory (even with a subvolume inside)", async () => {
    const p = st.containerPath(103);
    await fs.mkdir(path.join(p, "etc"), { recursive: true });
    await fs.writeFile(path.join(p, "etc", "x"), "half");
    await run("btrfs", ["subvolume", "create", path.join(p, "sub")]);
    const subId = await subvolId(path.join(p, "sub"));
    expect(await st.containerVolumeExists(103)).toBe(true);
    expect(await st.listContainerVolumes()).toEqual([102, 103]);
    await expectCode(st.usage(103), "NOT_FOUND");
    await st.deleteContainerVolume(103);
    await expect(fs.lstat(p)).rejects.toThrow(/ENOENT/);
    expect(await qgroupIds(root)).not.toContain(`0/${subId}`);
    expect(await subvolList(root)).not.toMatch(/containers\/103\b/);
  });

  it("deleteTemplateVolume clears ro, removes the subvolume and its qgroup; containers survive", async () => {
    const tpl = st.templatePath("base");
    const id = await subvolId(tpl);
    await st.deleteTemplateVolume("base");
    await expect(fs.lstat(tpl)).rejects.toThrow(/ENOENT/);
    expect(await qgroupIds(root)).not.toContain(`0/${id}`);
    expect(await st.templateVolumeExists("base")).toBe(false);
    await st.deleteTemplateVolume("base");
    expect(await st.listTemplateVolumes()).toEqual([]);
    // The snapshot is independent of the deleted template.
    expect(await fs.readFile(path.join(st.containerPath(102), "etc", "hostname"), "utf8")).toBe("template\n");
    // …and now owns the formerly shared data exclusively (pitfall: it counts against its quota from now on).
    expect((await st.usage(102)).bytes).toBeGreaterThan(8 * MiB);
    const id102 = await subvolId(st.containerPath(102));
    await st.deleteContainerVolume(102);
    expect(await qgroupIds(root)).not.toContain(`0/${id102}`);
    expect(await st.listContainerVolumes()).toEqual([]);
  });

  it("space() and blockDevice() describe the loop-backed pool", async () => {
    const s = await st.space();
    expect(s.totalBytes).toBeGreaterThan(1900 * MiB);
    expect(s.totalBytes).toBeLessThanOrEqual(2048 * MiB);
    expect(s.freeBytes).toBeGreaterThan(1500 * MiB);
    expect(s.freeBytes).toBeLessThan(s.totalBytes);
    const [loop] = await loopDevs(image);
    expect(loop).toBeDefined();
    const want = (await fs.readFile(`/sys/class/block/${path.basename(loop ?? "")}/dev`, "utf8")).trim();
    expect(await st.blockDevice()).toBe(want);
    expect(want).toMatch(/^7:\d+$/);
  });

  it("teardown unmounts and detaches (idempotent); init again reuses the image without reformatting", async () => {
    await st.createTemplateVolume("keep");
    await fs.writeFile(path.join(st.templatePath("keep"), "marker"), "kept");
    await st.sealTemplateVolume("keep");

    await st.teardown();
    expect(await mountsAt(root)).toEqual([]);
    expect(await loopDevs(image)).toEqual([]);
    await st.teardown();

    const again = new BtrfsStorage({ root, image: { path: image, sizeBytes: 2048 * MiB } });
    await again.init();
    expect(await again.templateVolumeExists("keep")).toBe(true);
    expect(await fs.readFile(path.join(again.templatePath("keep"), "marker"), "utf8")).toBe("kept");
    // A driver without an image never unmounts a pool it did not mount.
    await new BtrfsStorage({ root }).teardown();
    expect((await mountsAt(root)).length).toBe(1);
    await again.teardown();
    expect(await mountsAt(root)).toEqual([]);
    expect(await loopDevs(image)).toEqual([]);
  });

  it("parses qgroup show output of old and new btrfs-progs", () => {
    const v4 = [
      "qgroupid         rfer         excl     max_rfer     max_excl ",
      "--------         ----         ----     --------     -------- ",
      "0/5             16384        16384         none         none ",
      "0/257         5259264        16384         none     67108864 ",
    ].join("\n");
    expect(parseQgroupShow(v4).get("0/257")).toEqual({
      qgroupid: "0/257",
      referenced: 5259264,
      exclusive: 16384,
      maxReferenced: null,
      maxExclusive: 67108864,
    });
    const v6 = [
      "Qgroupid    Referenced    Exclusive  Max exclusive   Path ",
      "--------    ----------    ---------  -------------   ---- ",
      "0/258         5259264        16384        1048576   containers/my dir ",
    ].join("\n");
    expect(parseQgroupShow(v6).get("0/258")).toMatchObject({
      exclusive: 16384,
      maxExclusive: 1048576,
      maxReferenced: null,
    });
  });
});
