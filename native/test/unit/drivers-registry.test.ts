/**
 * Driver tables: the storage names the engine's config accepts are exactly the rows of STORAGE_DRIVERS,
 * each row builds the driver it is named after, and an unknown name fails with the same sentence as ever.
 * Pure: building a driver object touches no disk (init() is never called).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.js";
import { createStorage, STORAGE_DRIVERS } from "../../src/drivers/storage/index.js";
import { EngineError } from "../../src/errors.js";

const stateDir = "/nonexistent/ovz-state";
const config = (storage: string | undefined) => loadConfig({ OVZ_STATE_DIR: stateDir, OVZ_STORAGE: storage });
const names = Object.keys(STORAGE_DRIVERS);

describe("storage driver table and OVZ_STORAGE", () => {
  it("names the drivers the README documents for OVZ_STORAGE", () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, "../../../README.md"), "utf8");
    // | `OVZ_STORAGE` | `btrfs` | `btrfs` or `dir` (plain directories: …) |
    const row = readme.split("\n").find((l) => l.startsWith("| `OVZ_STORAGE`"));
    const values = (row?.split("|")[3] ?? "").split("(")[0] ?? "";
    const documented = [...values.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(documented).toEqual(["btrfs", "dir"]);
    expect([...names].sort()).toEqual(documented);
  });

  it("config accepts every driver in the table, and btrfs when OVZ_STORAGE is unset", () => {
    for (const name of names) expect(config(name).storage.driver).toBe(name);
    expect(config(undefined).storage.driver).toBe("btrfs");
  });

  it("config refuses any other name with the same message as before", () => {
    for (const bad of ["zfs", "BTRFS", "dir ", "", "constructor", "toString", "__proto__"]) {
      expect(() => config(bad)).toThrow(new Error(`OVZ_STORAGE must be btrfs or dir, not "${bad}"`));
    }
  });

  it("each row builds the driver named after it, at the configured root", () => {
    for (const name of names) {
      const cfg = config(name);
      const driver = createStorage(cfg.storage);
      expect(driver.name).toBe(name);
      expect(driver.root).toBe(`${stateDir}/pool`);
    }
  });

  it("only btrfs makes its pool in a loop image (OVZ_POOL_IMAGE=none turns it off)", () => {
    expect(config("btrfs").storage.image).toEqual({
      path: `${stateDir}/pool.img`,
      sizeBytes: 20 * 1024 ** 3,
      sizeIsDefault: true,
    });
    const sized = loadConfig({ OVZ_STATE_DIR: stateDir, OVZ_STORAGE: "btrfs", OVZ_POOL_SIZE: "5G" }).storage.image;
    expect(sized).toEqual({ path: `${stateDir}/pool.img`, sizeBytes: 5 * 1024 ** 3, sizeIsDefault: false });
    const noImage = loadConfig({ OVZ_STATE_DIR: stateDir, OVZ_STORAGE: "btrfs", OVZ_POOL_IMAGE: "none" });
    expect(noImage.storage.image).toBeUndefined();
    expect(config("dir").storage.image).toBeUndefined();
  });

  it("createStorage refuses an unknown driver with BAD_REQUEST and the names to use", () => {
    let error: unknown;
    try {
      createStorage({ driver: "zfs" as "dir", root: "/nonexistent/pool" });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(EngineError);
    expect(error).toMatchObject({ code: "BAD_REQUEST", message: 'unknown storage driver "zfs"; use btrfs or dir' });
  });
});
