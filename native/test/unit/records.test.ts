/**
 * The record store's cache (records.ts): the files are read once, every write goes to the file first and then to
 * the cache, a new store (an engine restart) sees exactly what was written, and callers get copies.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeEach, expect, it } from "vitest";
import { RecordStore, type ContainerRecord } from "../../src/records.js";
import { defaultLimits } from "../../src/settings.js";

const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

let dir = "";
let traceFile = "";
beforeEach(() => {
  const root = mkdtempSync(path.join(tmpdir(), "ovz-records-"));
  tmp.push(root);
  dir = path.join(root, "containers");
  traceFile = path.join(root, "trace");
  process.env.OVZ_TRACE = traceFile;
});
afterEach(() => {
  delete process.env.OVZ_TRACE;
});

const reads = () =>
  existsSync(traceFile)
    ? readFileSync(traceFile, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("record "))
    : [];

function rec(ctid: number): ContainerRecord {
  return {
    ctid,
    name: null,
    hostname: `ct${ctid}`,
    template: "busybox",
    limits: defaultLimits(),
    idmapSlot: ctid,
    init: "/sbin/init",
    haltSignal: "SIGPWR",
    onboot: false,
    createdAt: "2025-01-01T00:00:00.000Z",
  };
}

it("reads each file once, then answers from memory; writes reach the files and the cache", async () => {
  const first = new RecordStore(dir);
  for (const c of [103, 101, 102]) await first.put(rec(c));
  expect(reads()).toEqual([]); // nothing to load in an empty directory

  const store = new RecordStore(dir);
  expect((await store.list()).map((r) => r.ctid)).toEqual([101, 102, 103]);
  expect(reads().sort()).toEqual(["record 101", "record 102", "record 103"]);
  for (let i = 0; i < 5; i++) {
    await store.list();
    await store.get(102);
  }
  await store.put({ ...rec(104), hostname: "new" });
  await store.put({ ...rec(101), hostname: "changed" });
  await store.remove(103);
  expect(await store.get(103)).toBeNull();
  expect((await store.get(101))?.hostname).toBe("changed");
  expect((await store.list()).map((r) => r.ctid)).toEqual([101, 102, 104]);
  expect(reads()).toHaveLength(3); // still only the first load

  // the files are the durable copy: a new store (an engine restart) sees the same
  const restarted = new RecordStore(dir);
  expect(await restarted.list()).toEqual(await store.list());
  expect(JSON.parse(readFileSync(path.join(dir, "101.json"), "utf8")).hostname).toBe("changed");
  expect(existsSync(path.join(dir, "103.json"))).toBe(false);
});

it("callers get copies: changing a returned record changes neither the cache nor the next answer", async () => {
  const store = new RecordStore(dir);
  await store.put(rec(101));
  const a = (await store.get(101))!;
  a.hostname = "mutated";
  a.limits.ram = 1;
  (await store.list())[0]!.name = "mutated";
  expect(await store.get(101)).toMatchObject({ hostname: "ct101", name: null, limits: { ram: defaultLimits().ram } });
});

it("limits added after a record was written get their defaults; files that are not records are ignored", async () => {
  const store = new RecordStore(dir);
  await store.put(rec(101)); // makes the directory
  const old = { ...rec(102), limits: { ram: 123 } };
  writeFileSync(path.join(dir, "102.json"), JSON.stringify(old));
  writeFileSync(path.join(dir, "notes.txt"), "x");
  const fresh = new RecordStore(dir);
  expect((await fresh.get(102))?.limits).toEqual({ ...defaultLimits(), ram: 123 });
  expect((await fresh.list()).map((r) => r.ctid)).toEqual([101, 102]);
});
