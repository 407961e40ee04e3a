/**
 * dir storage driver: plain directories in a temp dir, full copies, no quotas.
 */
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { DirStorage } from "../../src/drivers/storage/dir.js";
import { createStorage } from "../../src/drivers/storage/index.js";
import { EngineError, type ErrorCode } from "../../src/errors.js";
import { describeRoot } from "../helpers/root.js";

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

describeRoot("dir storage driver", () => {
  let dir = "";
  let st: DirStorage;

  beforeAll(async () => {
    dir = await fs.mkdtemp("/var/tmp/ovz-dir-test-");
    st = new DirStorage({ root: path.join(dir, "pool") });
  });

  afterAll(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it("init is idempotent; createStorage picks the driver", async () => {
    await st.init();
    await st.init();
    expect(st.name).toBe("dir");
    expect(st.caps).toEqual({ quota: false, inodeQuota: false, cow: false });
    const viaFactory = createStorage({ driver: "dir", root: path.join(dir, "pool") });
    expect(viaFactory).toBeInstanceOf(DirStorage);
    await viaFactory.init();
    expect((await fs.stat(path.join(dir, "pool", "templates"))).isDirectory()).toBe(true);
    expect((await fs.stat(path.join(dir, "pool", "containers"))).isDirectory()).toBe(true);
    await st.teardown();
    await expectCode(() => st.templatePath("../x"), "BAD_REQUEST");
    await expectCode(() => st.containerPath(0), "BAD_REQUEST");
  });

  it("template: create, fill, seal; containers are full copies", async () => {
    expect(await st.templateVolumeExists("base")).toBe(false);
    const tpl = await st.createTemplateVolume("base");
    await fs.mkdir(path.join(tpl, "etc"));
    await fs.writeFile(path.join(tpl, "etc", "hostname"), "template\n");
    await fs.writeFile(path.join(tpl, "data"), Buffer.alloc(2 * 1024 * 1024, 1));
    await fs.symlink("etc/hostname", path.join(tpl, "link"));
    await fs.chmod(path.join(tpl, "etc", "hostname"), 0o640);
    await fs.chown(path.join(tpl, "etc", "hostname"), 100000, 100000);
    await expectCode(st.createTemplateVolume("base"), "TEMPLATE_EXISTS");
    expect(await st.templateVolumeExists("base")).toBe(false); // not sealed yet
    await expectCode(st.createContainerVolume(101, "base"), "TEMPLATE_INVALID");
    await st.sealTemplateVolume("base");
    expect(await st.templateVolumeExists("base")).toBe(true);
    expect(await st.listTemplateVolumes()).toEqual(["base"]);

    const ct = await st.createContainerVolume(101, "base");
    expect(ct).toBe(st.containerPath(101));
    const h = await fs.stat(path.join(ct, "etc", "hostname"));
    expect(h.mode & 0o777).toBe(0o640);
    expect(h.uid).toBe(100000); // cp -a keeps owners
    expect(await fs.readlink(path.join(ct, "link"))).toBe("etc/hostname");
    expect(h.ino).not.toBe((await fs.stat(path.join(tpl, "etc", "hostname"))).ino); // a copy, not a hard link
    await fs.writeFile(path.join(ct, "etc", "hostname"), "ct101\n");
    expect(await fs.readFile(path.join(tpl, "etc", "hostname"), "utf8")).toBe("template\n");
    await fs.writeFile(path.join(tpl, "later"), "x");
    await expect(fs.access(path.join(ct, "later"))).rejects.toThrow();

    await expectCode(st.createContainerVolume(101, "base"), "CTID_IN_USE");
    await expectCode(st.createContainerVolume(102, "missing"), "TEMPLATE_NOT_FOUND");
    expect(await st.listContainerVolumes()).toEqual([101]);
  });

  it("no quotas: setQuota UNSUPPORTED unless null/null; usage() is du bytes", async () => {
    const e = await expectCode(st.setQuota(101, { bytes: 64 * 1024 * 1024, inodes: null }), "UNSUPPORTED");
    expect(e.message).toMatch(/dir storage driver/);
    await expectCode(st.setQuota(101, { bytes: null, inodes: 10 }), "UNSUPPORTED");
    await st.setQuota(101, { bytes: null, inodes: null });
    const u = await st.usage(101);
    expect(u.bytes).toBeGreaterThanOrEqual(2 * 1024 * 1024);
    expect(u.bytes).toBeLessThan(3 * 1024 * 1024);
    expect(u.limitBytes).toBeNull();
    await expectCode(st.usage(999), "NOT_FOUND");
  });

  it("delete is idempotent and cleans half-made copies", async () => {
    await st.deleteContainerVolume(101);
    await st.deleteContainerVolume(101);
    expect(await st.containerVolumeExists(101)).toBe(false);
    // Crash mid-copy leaves containers/.tmp-<ctid>; a plain leftover dir at containers/<ctid> too.
    const tmp = path.join(dir, "pool", "containers", ".tmp-103");
    await fs.mkdir(path.join(tmp, "etc"), { recursive: true });
    await fs.mkdir(path.join(st.containerPath(104), "etc"), { recursive: true });
    expect(await st.listContainerVolumes()).toEqual([104]);
    await st.deleteContainerVolume(103);
    await st.deleteContainerVolume(104);
    await expect(fs.lstat(tmp)).rejects.toThrow(/ENOENT/);
    expect(await st.listContainerVolumes()).toEqual([]);
    // A stale temp copy does not block a new create.
    await fs.mkdir(path.join(tmp, "junk"), { recursive: true });
    await st.createContainerVolume(103, "base");
    await expect(fs.lstat(path.join(st.containerPath(103), "junk"))).rejects.toThrow(/ENOENT/);
    await st.deleteContainerVolume(103);

    await st.deleteTemplateVolume("base");
    await st.deleteTemplateVolume("base");
    expect(await st.templateVolumeExists("base")).toBe(false);
    expect(await st.listTemplateVolumes()).toEqual([]);
    expect(await fs.readdir(path.join(dir, "pool", "templates"))).toEqual([]);
  });

  it("space() and blockDevice()", async () => {
    const s = await st.space();
    expect(s.totalBytes).toBeGreaterThan(0);
    expect(s.freeBytes).toBeGreaterThan(0);
    expect(s.freeBytes).toBeLessThanOrEqual(s.totalBytes);
    const dev = await st.blockDevice();
    expect(dev === null || /^\d+:\d+$/.test(dev)).toBe(true);
    console.log(`dir pool on ${dev ?? "unknown device"}: ${s.freeBytes} of ${s.totalBytes} bytes free`);
  });
});
