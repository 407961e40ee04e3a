/**
 * Backups on real containers (busybox, btrfs pool): a running container is backed up consistently and
 * keeps running; restores are byte-identical to the original (contents, owners, modes, hard links,
 * xattrs, ACLs) into a new ctid while the original exists (network dropped: its address is taken), into
 * the same ctid after destroy (network kept), and over an existing stopped container with force; a
 * corrupted archive is refused and nothing is created; bad input gives the right codes.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile, open } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OpEvent } from "../../src/protocol/schema.js";
import { parseManifest } from "../../src/backup/manifest.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, staleQgroups, startTestEngine, type TestEngine } from "../helpers/engine.js";
import { aclHex, setXattrs, treeListing, xattrsOf } from "../helpers/tree.js";

let te: TestEngine;
const ORIG = 401;
const COPY = 402;
const MiB = 1024 * 1024;
const ADDR = "198.18.40.1";

const sh = (ctid: number, script: string) =>
  te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script] });

describeRoot("backups (real LXC, btrfs)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  let backupId = "";
  let original: string[] = [];
  let origRootfs = "";

  it("backs up a running container consistently: tar.zst + manifest, 0600 in a 0700 directory; it keeps running", async () => {
    const c = await te.client.call("container.create", {
      ctid: ORIG,
      template: "busybox",
      name: "orig",
      hostname: "orig.test",
      limits: { ram: "128M", diskspace: "256M" },
      net: { venet: [ADDR] },
    });
    origRootfs = c.rootfs;
    // files with owners, modes, hard and symbolic links, a sparse file; xattrs and an ACL set from the host
    await te.client.call("container.start", { ctid: ORIG });
    const w = await sh(
      ORIG,
      "mkdir -p /data/d && echo hello > /data/a && chown 1000:1000 /data/a && chmod 640 /data/a && ln /data/a /data/a-hard && " +
        "ln -s /data/a /data/a-sym && dd if=/dev/urandom of=/data/rand bs=1k count=3000 2>/dev/null && chmod 4755 /data/rand && " +
        "dd if=/dev/zero of=/data/sparse bs=1 count=1 seek=50M 2>/dev/null && chown 65534:65534 /data/d && chmod 3775 /data/d",
    );
    expect(w.code, w.stderr).toBe(0);
    await setXattrs({
      [path.join(origRootfs, "data/a")]: {
        "user.mime": Buffer.from("text/plain").toString("hex"),
        "trusted.overlay.x": "ff00",
      },
      [path.join(origRootfs, "data/d")]: {
        "system.posix_acl_access": aclHex([{ uid: 1000, perm: 7 }]),
        "system.posix_acl_default": aclHex([{ uid: 2000, perm: 5 }]),
      },
    });
    const { initPid } = await te.client.call("container.status", { ctid: ORIG });

    const events: OpEvent[] = [];
    const t0 = performance.now();
    const b = await te.client.call("backup.create", { ctid: ORIG }, { onEvent: (e) => events.push(e) });
    const took = performance.now() - t0;
    backupId = b.id;
    expect(b.id).toMatch(/^401-\d{8}T\d{6}Z-[0-9a-f]{6}$/);
    expect(b.container).toMatchObject({ name: "orig", hostname: "orig.test", template: "busybox" });
    expect(b.container.limits).toMatchObject({ ram: 128 * MiB, diskspace: 256 * MiB });
    expect(b.container.net.venet).toEqual([ADDR]);
    const st = await te.client.call("container.status", { ctid: ORIG });
    expect(st.state).toBe("running");
    expect(st.initPid).toBe(initPid);

    // files: archive + manifest, private
    const dir = path.join(te.stateDir, "backups");
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect(b.path).toBe(path.join(dir, `${b.id}.tar.zst`));
    expect((await stat(b.path)).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, `${b.id}.json`))).mode & 0o777).toBe(0o600);
    expect((await readdir(dir)).sort()).toEqual([`${b.id}.json`, `${b.id}.tar.zst`]);
    const bytes = await readFile(b.path);
    expect(bytes.length).toBe(b.archive.sizeBytes);
    expect(createHash("sha256").update(bytes).digest("hex")).toBe(b.archive.sha256);
    expect(parseManifest(await readFile(path.join(dir, `${b.id}.json`), "utf8"), b.id)).toEqual(
      Object.fromEntries(Object.entries(b).filter(([k]) => k !== "path")),
    );
    // the temporary snapshot is gone
    expect(await readdir(path.join(te.stateDir, "pool", "snapshots", String(ORIG))).catch(() => [])).toEqual([]);
    // progress streamed up to 100
    const pcts = events.flatMap((e) => (e.kind === "progress" ? [e.percent] : []));
    expect(pcts.at(-1)).toBe(100);
    expect([...pcts].sort((x, y) => x - y)).toEqual(pcts);
    console.log(
      `backup of a running busybox container (+3 MiB random, 50 MiB sparse): ${took.toFixed(0)} ms, archive ${b.archive.sizeBytes} B, ` +
        `tar stream ${b.archive.dataBytes} B; ${(events.at(-1) as { message?: string }).message}`,
    );

    await te.client.call("container.stop", { ctid: ORIG });
    original = await treeListing(origRootfs);
    expect(original.find((l) => l.startsWith("data/a "))).toMatch(/ f 0640 1000:1000 .*user\.mime/);
    expect(original.find((l) => l.startsWith("data/d "))).toMatch(/system\.posix_acl_default/);
  });

  it("restores into a new ctid while the original exists: byte-identical; name and taken address dropped, said in the log", async () => {
    const events: OpEvent[] = [];
    const t0 = performance.now();
    const c = await te.client.call("backup.restore", { id: backupId, ctid: COPY }, { onEvent: (e) => events.push(e) });
    const took = performance.now() - t0;
    expect(c).toMatchObject({ ctid: COPY, hostname: "orig.test", name: null, state: "stopped", ips: [] });
    expect(c.limits).toMatchObject({ ram: 128 * MiB, diskspace: 256 * MiB });
    const logs = events.flatMap((e) => (e.kind === "log" ? [e.line] : []));
    expect(logs.join("\n")).toMatch(
      /network settings are not restored .*198\.18\.40\.1.*already used by container 401/,
    );
    expect(logs.join("\n")).toMatch(/name "orig" is used by another container/);
    expect(await treeListing(c.rootfs)).toEqual(original);
    // spot checks, independent of the listing helper
    const a = await stat(path.join(c.rootfs, "data/a"));
    expect([a.uid, a.gid, a.mode & 0o7777, a.nlink]).toEqual([1000, 1000, 0o640, 2]);
    expect((await stat(path.join(c.rootfs, "data/rand"))).mode & 0o7777).toBe(0o4755);
    expect((await stat(path.join(c.rootfs, "data/sparse"))).blocks * 512).toBeLessThan(1 * MiB); // still sparse
    const x = await xattrsOf(path.join(c.rootfs, "data"));
    expect(Buffer.from(x["a"]!["user.mime"]!, "hex").toString()).toBe("text/plain");
    expect(x["d"]!["system.posix_acl_access"]).toBe(aclHex([{ uid: 1000, perm: 7 }]));
    // quota applied, container works with its own hostname
    expect((await te.client.call("container.limits", { ctid: COPY })).disk.limitBytes).toBe(256 * MiB);
    await te.client.call("container.start", { ctid: COPY });
    expect((await sh(COPY, "hostname; cat /data/a")).stdout).toBe("orig.test\nhello\n");
    expect((await sh(COPY, "id -u")).stdout.trim()).toBe("0");
    await te.client.call("container.stop", { ctid: COPY });
    console.log(`restore of that backup into a new ctid: ${took.toFixed(0)} ms`);
  });

  it("restores into the same ctid after destroy, keeping name and network", async () => {
    await te.client.call("container.destroy", { ctid: ORIG });
    expect(await leftovers(te, ORIG)).toEqual([]);
    const c = await te.client.call("backup.restore", { id: backupId, ctid: ORIG });
    expect(c).toMatchObject({ ctid: ORIG, name: "orig", hostname: "orig.test", ips: [ADDR] });
    expect((await te.client.call("container.net.get", { ctid: ORIG })).config.venet).toEqual([ADDR]);
    expect(await treeListing(c.rootfs)).toEqual(original);
    await te.client.call("container.start", { ctid: ORIG });
    expect((await sh(ORIG, "ip -4 addr show venet0")).stdout).toContain(ADDR);
  });

  it("refuses to overwrite an existing container unless forced, and a running one even then; force replaces, snapshots stay", async () => {
    await expect(te.client.call("backup.restore", { id: backupId, ctid: ORIG })).rejects.toMatchObject({
      code: "CTID_IN_USE",
    });
    await expect(te.client.call("backup.restore", { id: backupId, ctid: ORIG, force: true })).rejects.toMatchObject({
      code: "RUNNING",
    });
    await te.client.call("container.stop", { ctid: ORIG });
    // diverge: a snapshot, new data, other settings
    await te.client.call("snapshot.create", { ctid: ORIG, name: "pre-restore" });
    await te.client.call("container.set", {
      ctid: ORIG,
      hostname: "changed.test",
      limits: { ram: "64M" },
      features: ["tun"],
    });
    await writeFile(path.join(origRootfs, "data/new"), "new");
    expect(await treeListing(origRootfs)).not.toEqual(original);
    const c = await te.client.call("backup.restore", { id: backupId, ctid: ORIG, force: true });
    expect(c).toMatchObject({ ctid: ORIG, hostname: "orig.test", name: "orig", ips: [ADDR] });
    expect(c.limits.ram).toBe(128 * MiB);
    // features are the container's (the panel's, within its plan), not the backup's: a restore keeps them
    expect(c.features).toEqual(["tun"]);
    expect(await treeListing(origRootfs)).toEqual(original);
    expect((await te.client.call("snapshot.list", { ctid: ORIG })).map((s) => s.name)).toEqual(["pre-restore"]);
    expect((await te.client.call("container.limits", { ctid: ORIG })).disk.limitBytes).toBe(256 * MiB);
    for (const p of [".staging-401", ".previous-401"]) {
      await expect(stat(path.join(te.stateDir, "pool", "containers", p))).rejects.toThrow();
    }
    expect(await staleQgroups(te)).toEqual([]);
  });

  it("refuses a corrupted archive before touching anything", async () => {
    const b = await te.client.call("backup.create", { ctid: ORIG });
    const fh = await open(b.path, "r+");
    try {
      const mid = Math.floor(b.archive.sizeBytes / 2);
      const one = Buffer.alloc(1);
      await fh.read(one, 0, 1, mid);
      one[0] = one[0]! ^ 0xff;
      await fh.write(one, 0, 1, mid);
    } finally {
      await fh.close();
    }
    const copyRootfs = (await te.client.call("container.status", { ctid: COPY })).rootfs;
    const copyBefore = await treeListing(copyRootfs);
    const e = await te.client.call("backup.restore", { id: b.id, ctid: 403 }).catch((x) => x);
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/corrupted.*sha256.*nothing was changed/);
    expect(await leftovers(te, 403)).toEqual([]);
    // over an existing container with force: also refused, and the container is untouched
    const e2 = await te.client.call("backup.restore", { id: b.id, ctid: COPY, force: true }).catch((x) => x);
    expect(e2.code).toBe("BAD_REQUEST");
    expect(await treeListing(copyRootfs)).toEqual(copyBefore);
    expect((await te.client.call("container.list", {})).map((c) => c.ctid)).toEqual([ORIG, COPY]);
    await te.client.call("backup.delete", { id: b.id });
  });

  it("lists, filters and deletes backups; bad input gives the right codes", async () => {
    const b2 = await te.client.call("backup.create", { ctid: COPY });
    expect((await te.client.call("backup.list", {})).map((b) => b.id)).toEqual([backupId, b2.id]);
    expect((await te.client.call("backup.list", { ctid: COPY })).map((b) => b.id)).toEqual([b2.id]);
    expect(await te.client.call("backup.list", { ctid: 999 })).toEqual([]);
    await te.client.call("backup.delete", { id: b2.id });
    expect((await te.client.call("backup.list", {})).map((b) => b.id)).toEqual([backupId]);
    expect((await readdir(path.join(te.stateDir, "backups"))).sort()).toEqual([
      `${backupId}.json`,
      `${backupId}.tar.zst`,
    ]);

    const unknown = "401-20200101T000000Z-abcdef";
    await expect(te.client.call("backup.delete", { id: b2.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(te.client.call("backup.restore", { id: unknown, ctid: 404 })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(te.client.call("backup.create", { ctid: 999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    for (const bad of ["../etc/passwd", "401", "", "401-20200101T000000Z-abcdef/../x"]) {
      await expect(te.client.call("backup.restore", { id: bad, ctid: 404 }), bad).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
      await expect(te.client.call("backup.delete", { id: bad }), bad).rejects.toMatchObject({ code: "BAD_REQUEST" });
    }
    await expect(te.client.call("backup.restore", { id: backupId, ctid: 0 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    // a manifest that is not one: refused, not listed
    await writeFile(path.join(te.stateDir, "backups", `${unknown}.json`), '{"format":"nope"}');
    await expect(te.client.call("backup.restore", { id: unknown, ctid: 404 })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    expect((await te.client.call("backup.list", {})).map((b) => b.id)).toEqual([backupId]);
    await te.client.call("backup.delete", { id: unknown });
    expect(await leftovers(te, 404)).toEqual([]);
  });

  it("backups outlive their container; destroy leaves nothing behind", async () => {
    await te.client.call("container.destroy", { ctid: ORIG, force: true });
    await te.client.call("container.destroy", { ctid: COPY, force: true });
    expect(await leftovers(te, ORIG)).toEqual([]);
    expect(await leftovers(te, COPY)).toEqual([]);
    expect(await staleQgroups(te)).toEqual([]);
    expect((await te.client.call("backup.list", {})).map((b) => b.id)).toEqual([backupId]);
  });
});
