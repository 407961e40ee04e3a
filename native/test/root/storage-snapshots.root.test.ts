/**
 * The storage drivers' snapshot and volume-swap contract, run against both drivers (btrfs on a loop
 * image, dir in a temp directory): the same calls must give the same results; only speed and sharing
 * differ (btrfs: CoW subvolumes; dir: full copies).
 */
import fs from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { BtrfsStorage } from "../../src/drivers/storage/btrfs.js";
import { DirStorage } from "../../src/drivers/storage/dir.js";
import type { StorageDriver } from "../../src/drivers/storage/types.js";
import { EngineError } from "../../src/errors.js";
import { run } from "../../src/exec.js";
import { describeRoot } from "../helpers/root.js";
import { treeListing } from "../helpers/tree.js";

const MiB = 1024 * 1024;

async function expectCode(p: Promise<unknown>, code: string): Promise<void> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, `expected ${code}`).toBeInstanceOf(EngineError);
  expect((e as EngineError).code).toBe(code);
}

for (const kind of ["btrfs", "dir"] as const) {
  describeRoot(`${kind} storage: snapshots and volume swap`, () => {
    let dir = "";
    let st: StorageDriver;
    const read = (p: string) => fs.readFile(p, "utf8");

    beforeAll(async () => {
      dir = await fs.mkdtemp(`/var/tmp/ovz-snap-${kind}-`);
      const root = path.join(dir, "pool");
      st =
        kind === "btrfs"
          ? new BtrfsStorage({
              root,
              image: { path: path.join(dir, "pool.img"), sizeBytes: 512 * MiB },
              usageSyncIntervalMs: 0,
            })
          : new DirStorage({ root });
      await st.init();
      const t = await st.createTemplateVolume("base");
      await fs.mkdir(path.join(t, "etc"));
      await fs.writeFile(path.join(t, "etc", "v"), "template\n");
      await st.sealTemplateVolume("base");
      await st.createContainerVolume(11, "base");
    });
    afterAll(async () => {
      if (!dir) return;
      await st?.teardown().catch(() => {});
      await run("umount", [path.join(dir, "pool")], { allowFailure: true });
      await fs.rm(dir, { recursive: true, force: true });
    });

    it("creates, lists and deletes snapshots; they are independent of the container", async () => {
      const ct = st.containerPath(11);
      await fs.writeFile(path.join(ct, "etc", "v"), "one\n");
      await fs.chown(path.join(ct, "etc", "v"), 1234, 5678);
      const before = await treeListing(ct);
      await st.createSnapshot(11, "s1");
      await expectCode(st.createSnapshot(11, "s1"), "BAD_REQUEST");
      await expectCode(st.createSnapshot(99, "s1"), "NOT_FOUND");
      await expectCode(st.createSnapshot(11, "../evil"), "BAD_REQUEST");
      await fs.writeFile(path.join(ct, "etc", "v"), "two\n");
      expect(await read(path.join(st.snapshotPath(11, "s1"), "etc", "v"))).toBe("one\n");
      expect(await treeListing(st.snapshotPath(11, "s1"))).toEqual(before);
      await st.createSnapshot(11, ".backup-tmp"); // engine-internal: not listed
      await st.createSnapshot(11, "s2");
      expect(await st.listSnapshots(11)).toEqual(["s1", "s2"]);
      expect(await st.listSnapshots(12)).toEqual([]);
      const sizes = await st.snapshotSizes(11);
      expect([...sizes.keys()]).toEqual(["s1", "s2"]);
      for (const v of sizes.values()) expect(kind === "btrfs" ? typeof v : v).toBe(kind === "btrfs" ? "number" : null);
      await st.deleteSnapshot(11, ".backup-tmp");
      await st.deleteSnapshot(11, "s2");
      await st.deleteSnapshot(11, "s2"); // idempotent
      expect(await st.listSnapshots(11)).toEqual(["s1"]);
    });

    it("rolls back through staging: the container gets the snapshot's tree, the snapshot stays", async () => {
      const ct = st.containerPath(11);
      const snap = await treeListing(st.snapshotPath(11, "s1"));
      const staging = await st.createStagingVolume(11, { snapshot: "s1" });
      expect(staging).toBe(st.stagingPath(11));
      await expectCode(st.createStagingVolume(11, { snapshot: "nope" }), "NOT_FOUND");
      await st.createStagingVolume(11, { snapshot: "s1" }); // replaces a stale one
      await st.retireCurrent(11);
      expect(await st.containerVolumeExists(11)).toBe(false);
      await st.promoteStaging(11);
      await st.promoteStaging(11);
      expect(await treeListing(ct)).toEqual(snap);
      // the new volume is writable and the snapshot is not affected
      await fs.writeFile(path.join(ct, "etc", "v"), "three\n");
      expect(await read(path.join(st.snapshotPath(11, "s1"), "etc", "v"))).toBe("one\n");
      await st.discardStaging(11);
      expect((await fs.readdir(path.dirname(ct))).filter((n) => n.startsWith("."))).toEqual([]);
      if (kind === "btrfs") {
        await st.setQuota(11, { bytes: 64 * MiB, inodes: null });
        expect((await st.usage(11)).limitBytes).toBe(64 * MiB);
      }
    });

    it("reverts an interrupted swap, and restores into an empty staging volume", async () => {
      const ct = st.containerPath(11);
      await st.createStagingVolume(11, { snapshot: "s1" });
      await st.retireCurrent(11);
      await st.promoteStaging(11);
      await st.revertStaging(11);
      expect(await read(path.join(ct, "etc", "v"))).toBe("three\n");
      // a restore target: empty, filled, promoted
      const p = await st.createStagingVolume(12, { empty: true });
      expect(await fs.readdir(p)).toEqual([]);
      await fs.writeFile(path.join(p, "restored"), "x");
      await st.promoteStaging(12);
      expect(await read(path.join(st.containerPath(12), "restored"))).toBe("x");
    });

    it("copies another container's volume through staging (clone): the same tree and owners, independent after", async () => {
      const src = st.containerPath(11);
      const before = await treeListing(src);
      await expectCode(st.createStagingVolume(13, { container: 99 }), "NOT_FOUND");
      await st.createStagingVolume(13, { container: 11 });
      await st.createStagingVolume(13, { container: 11 }); // replaces a stale one
      expect(await st.containerVolumeExists(13)).toBe(false);
      await st.promoteStaging(13);
      expect(await treeListing(st.containerPath(13))).toEqual(before);
      expect(await treeListing(src)).toEqual(before);
      if (kind === "btrfs") {
        // a writable snapshot: it shares every extent with the source, so it holds almost nothing of its own
        await st.setQuota(13, { bytes: 64 * MiB, inodes: null });
        expect((await st.usage(13)).bytes).toBeLessThan(MiB);
      }
      await fs.writeFile(path.join(st.containerPath(13), "etc", "v"), "clone\n");
      expect(await read(path.join(src, "etc", "v"))).toBe("three\n");
      expect((await fs.readdir(path.dirname(src))).filter((n) => n.startsWith("."))).toEqual([]);
    });

    it("deleteSnapshots and deleteContainerVolume remove everything, leftovers of a swap included", async () => {
      await st.createSnapshot(12, "a");
      await st.createStagingVolume(12, { snapshot: "a" });
      await st.deleteSnapshots(11);
      await st.deleteSnapshots(12);
      await st.deleteSnapshots(12);
      await st.deleteContainerVolume(11);
      await st.deleteContainerVolume(12);
      await st.deleteContainerVolume(13);
      expect(await fs.readdir(path.join(st.root, "snapshots"))).toEqual([]);
      expect(await fs.readdir(path.join(st.root, "containers"))).toEqual([]);
      if (kind === "btrfs") {
        const list = (await run("btrfs", ["subvolume", "list", st.root])).stdout;
        expect(list.trim().split("\n")).toHaveLength(1); // only the template
        const q = (await run("btrfs", ["qgroup", "show", "--raw", st.root])).stdout;
        expect([...q.matchAll(/^0\/(\d+)/gm)].length).toBe(2); // 0/5 and the template
      }
    });
  });
}
