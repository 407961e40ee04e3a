/**
 * Snapshots on real containers (busybox, btrfs pool): rollback restores the tree byte for byte (contents,
 * owners, modes, hard links, symlinks, xattrs and ACLs) and keeps the disk quota; a running container is
 * snapshotted without being stopped; bad input changes nothing; destroy removes every snapshot, subvolume
 * and qgroup.
 */
import { access, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import type { OpEvent } from "../../src/protocol/schema.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, staleQgroups, startTestEngine, type TestEngine } from "../helpers/engine.js";
import { aclHex, setXattrs, treeListing } from "../helpers/tree.js";

let te: TestEngine;
const A = 201;
const B = 202;
const MiB = 1024 * 1024;

const sh = (ctid: number, script: string) =>
  te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script] });
const snapPath = (ctid: number, name: string) => path.join(te.stateDir, "pool", "snapshots", String(ctid), name);

describeRoot("snapshots (real LXC, btrfs)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  let rootfs = "";
  let before: string[] = [];

  it("rolls back exactly: contents, owners, modes, links and xattrs as at snapshot time; the quota still applies", async () => {
    const c = await te.client.call("container.create", { ctid: A, template: "busybox", limits: { diskspace: "256M" } });
    rootfs = c.rootfs;
    await te.client.call("container.start", { ctid: A });
    const w = await sh(
      A,
      "mkdir -p /data/sub /data/dir && echo hello > /data/a.txt && dd if=/dev/urandom of=/data/rand bs=1k count=512 2>/dev/null && " +
        "chown 1000:1001 /data/a.txt && chmod 4750 /data/rand && ln /data/a.txt /data/hard && ln -s a.txt /data/link && " +
        "chmod 1777 /data/dir && echo x > /data/sub/del && echo y > /data/sub/mod && chown -h 7:8 /data/link",
    );
    expect(w.code, w.stderr).toBe(0);
    await te.client.call("container.stop", { ctid: A });
    await setXattrs({
      [path.join(rootfs, "data/a.txt")]: { "user.note": Buffer.from("kept").toString("hex"), "trusted.t": "0102" },
      [path.join(rootfs, "data/sub/mod")]: { "system.posix_acl_access": aclHex([{ uid: 4242, perm: 4 }]) },
    });
    before = await treeListing(rootfs);
    expect(before.find((l) => l.startsWith("data/a.txt "))).toMatch(/ f 0644 1000:1001 .*user\.note:6b657074/);

    const t0 = performance.now();
    const s = await te.client.call("snapshot.create", { ctid: A, name: "before", description: "before the changes" });
    const tSnap = performance.now() - t0;
    expect(s).toMatchObject({ name: "before", description: "before the changes" });
    expect(await treeListing(snapPath(A, "before"))).toEqual(before);

    await te.client.call("container.start", { ctid: A });
    const m = await sh(
      A,
      "echo changed > /data/sub/mod && rm /data/sub/del /data/link && echo new > /data/new && chmod 600 /data/a.txt && " +
        "chown 5:5 /data/rand && dd if=/dev/zero of=/data/zero bs=1M count=20 2>/dev/null",
    );
    expect(m.code, m.stderr).toBe(0);
    // a running container is refused, and nothing changes
    const e = await te.client.call("snapshot.rollback", { ctid: A, name: "before" }).catch((x) => x);
    expect(e.code).toBe("RUNNING");
    expect(e.message).toMatch(/stop it first/);
    expect((await te.client.call("container.status", { ctid: A })).state).toBe("running");
    await te.client.call("container.stop", { ctid: A });
    const changed = await treeListing(rootfs);
    expect(changed).not.toEqual(before);

    const events: OpEvent[] = [];
    const t1 = performance.now();
    const r = await te.client.call(
      "snapshot.rollback",
      { ctid: A, name: "before" },
      { onEvent: (ev) => events.push(ev) },
    );
    const tRollback = performance.now() - t1;
    expect(r.state).toBe("stopped");
    expect(events.at(-1)).toMatchObject({ kind: "progress", percent: 100 });
    expect(await treeListing(rootfs)).toEqual(before);
    // the snapshot stays, unchanged, and can be rolled back to again
    expect((await te.client.call("snapshot.list", { ctid: A })).map((x) => x.name)).toEqual(["before"]);
    expect(await treeListing(snapPath(A, "before"))).toEqual(before);

    // the disk limit is on the new volume: read back and enforced
    const lim = await te.client.call("container.limits", { ctid: A });
    expect(lim.disk.limitBytes).toBe(256 * MiB);
    await te.client.call("container.start", { ctid: A });
    const dd = await sh(A, "dd if=/dev/zero of=/fill bs=1M count=300; sync");
    expect(dd.stderr).toMatch(/Disk quota exceeded/);
    await sh(A, "rm -f /fill");
    for (const p of [".staging-201", ".previous-201"]) {
      await expect(access(path.join(te.stateDir, "pool", "containers", p))).rejects.toThrow();
    }
    expect(await staleQgroups(te)).toEqual([]);
    console.log(
      `snapshot of a stopped busybox container: ${tSnap.toFixed(0)} ms; rollback: ${tRollback.toFixed(0)} ms`,
    );
  });

  it("snapshots a running container without stopping it (frozen for an instant), read-only", async () => {
    const { initPid } = await te.client.call("container.status", { ctid: A });
    await sh(A, "echo m1 > /marker");
    const events: OpEvent[] = [];
    const t0 = performance.now();
    const s = await te.client.call("snapshot.create", { ctid: A }, { onEvent: (e) => events.push(e) });
    const took = performance.now() - t0;
    expect(s.name).toMatch(/^\d{8}-\d{6}$/); // default name: UTC time
    expect(s.sizeBytes).toEqual(expect.any(Number));
    const st = await te.client.call("container.status", { ctid: A });
    expect(st.state).toBe("running");
    expect(st.initPid).toBe(initPid);
    expect((await sh(A, "cat /marker")).stdout).toBe("m1\n");
    const done = events.find((e) => e.kind === "progress" && e.percent === 100);
    expect(done && "message" in done ? done.message : "").toMatch(/frozen for \d+ ms/);
    const { readFile } = await import("node:fs/promises");
    expect(await readFile(path.join(snapPath(A, s.name), "marker"), "utf8")).toBe("m1\n");
    const err = await writeFile(path.join(snapPath(A, s.name), "x"), "x").catch((x: NodeJS.ErrnoException) => x);
    expect((err as NodeJS.ErrnoException).code).toBe("EROFS");
    // a second default-named snapshot in the same second gets a suffix
    const s2 = await te.client.call("snapshot.create", { ctid: A });
    expect(s2.name).not.toBe(s.name);
    // a suspended container stays suspended
    await te.client.call("container.suspend", { ctid: A });
    await te.client.call("snapshot.create", { ctid: A, name: "while-suspended" });
    expect((await te.client.call("container.status", { ctid: A })).state).toBe("suspended");
    await te.client.call("container.resume", { ctid: A });
    const names = (await te.client.call("snapshot.list", { ctid: A })).map((x) => x.name);
    expect(names).toEqual(["before", s.name, s2.name, "while-suspended"]);
    console.log(
      `snapshot of a running busybox container (freeze + snapshot + thaw): ${took.toFixed(0)} ms round trip; engine: ${done && "message" in done ? done.message : ""}`,
    );
  });

  it("lists with metadata and deletes one snapshot with its subvolume and qgroup", async () => {
    const list = await te.client.call("snapshot.list", { ctid: A });
    const b = list.find((x) => x.name === "before")!;
    expect(b.description).toBe("before the changes");
    expect(Date.parse(b.createdAt)).toBeGreaterThan(Date.now() - 10 * 60_000);
    // "before" holds the data the container changed since (the 20 MiB written after it was rolled away are not in it)
    expect(b.sizeBytes).toBeGreaterThan(0);
    await te.client.call("snapshot.delete", { ctid: A, name: "while-suspended" });
    await expect(access(snapPath(A, "while-suspended"))).rejects.toThrow();
    expect((await te.client.call("snapshot.list", { ctid: A })).map((x) => x.name)).not.toContain("while-suspended");
    expect(await staleQgroups(te)).toEqual([]);
  });

  it("refuses bad input with the right codes and changes nothing", async () => {
    const list0 = await te.client.call("snapshot.list", { ctid: A });
    await expect(te.client.call("snapshot.create", { ctid: 999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(te.client.call("snapshot.list", { ctid: 999 })).rejects.toMatchObject({ code: "NOT_FOUND" });
    await expect(te.client.call("snapshot.rollback", { ctid: 999, name: "before" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    await expect(te.client.call("snapshot.delete", { ctid: 999, name: "before" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    const nf = await te.client.call("snapshot.delete", { ctid: A, name: "nosuch" }).catch((x) => x);
    expect(nf.code).toBe("NOT_FOUND");
    expect(nf.message).toMatch(/before/); // says which exist
    await expect(te.client.call("snapshot.rollback", { ctid: A, name: "nosuch" })).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
    for (const bad of ["../x", "", ".hidden", "a/b", "x".repeat(65), "with space", "-dash"]) {
      await expect(te.client.call("snapshot.create", { ctid: A, name: bad }), bad).rejects.toMatchObject({
        code: "BAD_REQUEST",
      });
    }
    await expect(te.client.call("snapshot.create", { ctid: A, name: "before" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(
      te.client.call("snapshot.create", { ctid: A, name: "d", description: "x".repeat(501) }),
    ).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(te.client.call("snapshot.rollback", { ctid: A, name: "before" })).rejects.toMatchObject({
      code: "RUNNING",
    });
    expect(await te.client.call("snapshot.list", { ctid: A })).toEqual(list0);
    expect((await te.client.call("container.status", { ctid: A })).state).toBe("running");
  });

  it("caps the number of snapshots per container (OVZ_MAX_SNAPSHOTS)", async () => {
    await te.kill9();
    await te.start({ OVZ_MAX_SNAPSHOTS: "3" });
    const n = (await te.client.call("snapshot.list", { ctid: A })).length;
    expect(n).toBe(3);
    const e = await te.client.call("snapshot.create", { ctid: A, name: "one-too-many" }).catch((x) => x);
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toMatch(/OVZ_MAX_SNAPSHOTS/);
    await te.kill9();
    await te.start();
  });

  it("destroy removes every snapshot: no subvolume, directory, metadata or qgroup left", async () => {
    await te.client.call("container.create", { ctid: B, template: "busybox" });
    await te.client.call("snapshot.create", { ctid: B, name: "s1" });
    await te.client.call("snapshot.create", { ctid: B, name: "s2" });
    await te.client.call("container.destroy", { ctid: A, force: true });
    await te.client.call("container.destroy", { ctid: B });
    expect(await leftovers(te, A)).toEqual([]);
    expect(await leftovers(te, B)).toEqual([]);
    expect(await staleQgroups(te)).toEqual([]);
    // the ctid is free again, without the old snapshots
    await te.client.call("container.create", { ctid: B, template: "busybox" });
    expect(await te.client.call("snapshot.list", { ctid: B })).toEqual([]);
    await te.client.call("container.destroy", { ctid: B });
    expect(await leftovers(te, B)).toEqual([]);
  });
});
