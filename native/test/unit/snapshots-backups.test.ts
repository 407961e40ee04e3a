/**
 * Pure parts of snapshots and backups: name and id validation, default names, the backup manifest
 * schema, tar output parsing, and the volume swap (rollback/restore) from every state a crash can leave.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../src/errors.js";
import {
  checkDescription,
  checkSnapshotName,
  defaultSnapshotName,
  SNAPSHOT_NAME_RE,
} from "../../src/snapshot-names.js";
import { checkSnapshotPathName } from "../../src/drivers/storage/common.js";
import * as swap from "../../src/drivers/storage/swap.js";
import {
  backupManifestSchema,
  checkBackupId,
  newBackupId,
  parseManifest,
  parseTarCheckpoint,
  parseTarTotals,
  type BackupManifest,
} from "../../src/backup/manifest.js";
import { methods } from "../../src/protocol/schema.js";

const code = (f: () => unknown): string | null => {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof EngineError ? e.code : "not an EngineError";
  }
};

describe("snapshot names", () => {
  it("accepts letters, digits, . _ - up to 64, starting with a letter or digit", () => {
    for (const ok of ["a", "Before-Upgrade", "v1.2_3", "2026-11-23", "x".repeat(64)]) {
      expect(
        code(() => checkSnapshotName(ok)),
        ok,
      ).toBeNull();
      expect(methods["snapshot.create"].params.safeParse({ ctid: 1, name: ok }).success, ok).toBe(true);
    }
    for (const bad of ["", ".", "..", ".hidden", "-x", "_x", "a/b", "../x", "a b", "x".repeat(65), "ä", "a\nb"]) {
      expect(
        code(() => checkSnapshotName(bad)),
        bad,
      ).toBe("BAD_REQUEST");
      expect(methods["snapshot.create"].params.safeParse({ ctid: 1, name: bad }).success, bad).toBe(false);
    }
  });

  it("lets the storage drivers build paths only from user names or the engine's dot-names", () => {
    expect(checkSnapshotPathName("before")).toBe("before");
    expect(checkSnapshotPathName(".backup-101-20261123T191615Z-a3f9c2")).toBe(".backup-101-20261123T191615Z-a3f9c2");
    for (const bad of ["..", ".", "../x", ".backup-../x", ".Backup-x", "a/b", ""]) {
      expect(
        code(() => checkSnapshotPathName(bad)),
        bad,
      ).toBe("BAD_REQUEST");
    }
  });

  it("defaults to the UTC time, suffixed when taken", () => {
    const t = new Date("2026-11-23T19:16:15.489Z");
    expect(defaultSnapshotName(t, [])).toBe("20261123-191615");
    expect(defaultSnapshotName(t, ["20261123-191615"])).toBe("20261123-191615-2");
    expect(defaultSnapshotName(t, ["20261123-191615", "20261123-191615-2"])).toBe("20261123-191615-3");
    expect(SNAPSHOT_NAME_RE.test(defaultSnapshotName(t, []))).toBe(true);
  });

  it("limits descriptions", () => {
    expect(checkDescription("before the upgrade to 2.0 — ok")).toBe("before the upgrade to 2.0 — ok");
    expect(code(() => checkDescription("x".repeat(501)))).toBe("BAD_REQUEST");
    expect(code(() => checkDescription("bell\u0007"))).toBe("BAD_REQUEST");
  });
});

const sample = (): BackupManifest => ({
  format: "ovz-backup",
  version: 1,
  id: "101-20261123T191615Z-a3f9c2",
  ctid: 101,
  createdAt: "2026-11-23T19:16:15.489Z",
  engineVersion: "0.1.0",
  container: {
    name: "web",
    hostname: "web.example",
    template: "busybox",
    limits: { ram: 268435456, diskspace: 1073741824, cpumask: null },
    net: backupManifestSchema.shape.container.shape.net.parse({ venet: ["198.18.0.5"] }),
    onboot: false,
    init: "/sbin/init",
    haltSignal: "SIGUSR2",
    createdAt: "2026-11-01T00:00:00.000Z",
  },
  archive: { compression: "zstd", format: "posix-tar", sizeBytes: 4160760, sha256: "a".repeat(64), dataBytes: 5539840 },
});

describe("backup manifest", () => {
  it("makes and checks backup ids; paths never come from anything else", () => {
    const id = newBackupId(101, new Date("2026-11-23T19:16:15.489Z"), "a3f9c2");
    expect(id).toBe("101-20261123T191615Z-a3f9c2");
    expect(checkBackupId(id)).toBe(id);
    for (const bad of [
      "",
      "101",
      "../101-20261123T191615Z-a3f9c2",
      "101-20261123T191615Z-a3f9c2/..",
      "0-20261123T191615Z-a3f9c2",
      "101-20261123T191615Z-A3F9C2",
    ]) {
      expect(
        code(() => checkBackupId(bad)),
        bad,
      ).toBe("BAD_REQUEST");
    }
  });

  it("round-trips a manifest and fills network defaults", () => {
    const m = sample();
    const back = parseManifest(JSON.stringify(m), m.id);
    expect(back).toEqual(m);
    expect(back.container.net).toMatchObject({
      venet: ["198.18.0.5"],
      nics: [],
      nameservers: [],
      firewall: { enabled: false },
    });
  });

  it("ignores keys a newer engine may add", () => {
    const m = { ...sample(), future: { x: 1 }, archive: { ...sample().archive, chunking: "none" } };
    const back = parseManifest(JSON.stringify(m));
    expect(back).not.toHaveProperty("future");
    expect(back.archive).not.toHaveProperty("chunking");
  });

  it("refuses manifests that are not ours, broken, or for another id", () => {
    const bad: Array<[string, unknown]> = [
      ["not json", "{"],
      ["format", { ...sample(), format: "vzdump" }],
      ["version", { ...sample(), version: 2 }],
      ["sha256", { ...sample(), archive: { ...sample().archive, sha256: "xyz" } }],
      ["size", { ...sample(), archive: { ...sample().archive, sizeBytes: -1 } }],
      ["compression", { ...sample(), archive: { ...sample().archive, compression: "gzip" } }],
      ["id", { ...sample(), id: "../x" }],
      ["ctid", { ...sample(), ctid: 0 }],
      ["net", { ...sample(), container: { ...sample().container, net: { venet: ["not-an-ip"] } } }],
      ["missing container", { ...sample(), container: undefined }],
    ];
    for (const [what, v] of bad)
      expect(
        code(() => parseManifest(typeof v === "string" ? v : JSON.stringify(v))),
        what,
      ).toBe("BAD_REQUEST");
    expect(code(() => parseManifest(JSON.stringify(sample()), "102-20261123T191615Z-a3f9c2"))).toBe("BAD_REQUEST");
  });

  it("is what backup.list returns, plus the archive path", () => {
    const r = methods["backup.list"].result.safeParse([
      { ...sample(), path: "/var/lib/ovz/backups/101-20261123T191615Z-a3f9c2.tar.zst" },
    ]);
    expect(r.success).toBe(true);
    expect(methods["backup.restore"].params.safeParse({ id: "../../etc/shadow", ctid: 101 }).success).toBe(false);
  });

  it("parses tar's totals and checkpoint lines", () => {
    expect(parseTarTotals("Total bytes written: 5539840 (5.3MiB, 45MiB/s)")).toBe(5539840);
    expect(parseTarTotals("Total bytes read: 10240 (10KiB, 3.3MiB/s)")).toBe(10240);
    expect(parseTarTotals("tar: ./x: file changed as we read it")).toBeNull();
    expect(parseTarCheckpoint("tar: Write checkpoint 300")).toBe(300);
    expect(parseTarCheckpoint("tar: Read checkpoint 7")).toBe(7);
    expect(parseTarCheckpoint("Total bytes written: 1")).toBeNull();
  });
});

describe("volume swap (rollback/restore) from every crash state", () => {
  let dir: string;
  let p: swap.SwapPaths;
  const content = async (name: string) => readFile(path.join(dir, name, "id"), "utf8").catch(() => null);
  const vol = async (name: string, id: string) => {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, "id"), id);
  };
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ovz-swap-"));
    p = {
      ctid: 7,
      current: path.join(dir, "7"),
      staging: path.join(dir, ".staging-7"),
      previous: path.join(dir, ".previous-7"),
      remove: (x) => rm(x, { recursive: true, force: true }),
    };
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  // the states between the steps: [current, staging, previous]
  const states: Array<[string, [string | null, string | null, string | null]]> = [
    ["staging being built", ["old", "new", null]],
    ["after current → previous", [null, "new", "old"]],
    ["after staging → current", ["new", null, "old"]],
  ];

  for (const [what, [cur, stg, prev]] of states) {
    it(`revert from "${what}" gives back the old volume; again is a no-op`, async () => {
      if (cur) await vol("7", cur);
      if (stg) await vol(".staging-7", stg);
      if (prev) await vol(".previous-7", prev);
      await swap.revertStaging(p);
      expect(await content("7")).toBe("old");
      expect((await readdir(dir)).sort()).toEqual(["7"]);
      await swap.revertStaging(p);
      expect(await content("7")).toBe("old");
    });

    it(`promote + discard from "${what}" ends with the new volume only; again is a no-op`, async () => {
      if (cur) await vol("7", cur);
      if (stg) await vol(".staging-7", stg);
      if (prev) await vol(".previous-7", prev);
      await swap.promoteStaging(p);
      await swap.promoteStaging(p);
      expect(await content("7")).toBe("new");
      await swap.discardStaging(p);
      expect((await readdir(dir)).sort()).toEqual(["7"]);
    });
  }

  it("never overwrites a previous volume it did not make", async () => {
    await vol("7", "current");
    await vol(".previous-7", "unknown");
    await expect(swap.retireCurrent(p)).rejects.toMatchObject({ code: "INTERNAL" });
    expect(await content(".previous-7")).toBe("unknown");
  });

  it("retire is a no-op without a current volume (restore into a new ctid)", async () => {
    await vol(".staging-7", "new");
    await swap.promoteStaging(p);
    expect(await content("7")).toBe("new");
    expect((await readdir(dir)).sort()).toEqual(["7"]);
  });
});
