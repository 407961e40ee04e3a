import { appendFile, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Journal } from "../../src/journal.js";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), "ovz-journal-"));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("Journal", () => {
  it("reports an unclosed entry with its steps and commit state", async () => {
    const j = new Journal(dir);
    const e = await j.begin("create", 101, { slot: 3 });
    await e.step("volume");
    await e.step("quota");
    const p = await j.pending();
    expect(p).toHaveLength(1);
    expect(p[0]!.header).toMatchObject({ op: "create", ctid: 101, data: { slot: 3 } });
    expect(p[0]!.steps).toEqual(["volume", "quota"]);
    expect(p[0]!.committed).toBe(false);
    await e.commit();
    expect((await j.pending())[0]!.committed).toBe(true);
  });

  it("forgets closed entries", async () => {
    const j = new Journal(dir);
    const e = await j.begin("destroy", 7);
    await e.close();
    expect(await j.pending()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("survives a torn last line (crash mid-append)", async () => {
    const j = new Journal(dir);
    await j.begin("create", 5);
    const [name] = await readdir(dir);
    await appendFile(path.join(dir, name!), '{"step":"volume"}\n{"step":"quo');
    const p = await j.pending();
    expect(p[0]!.steps).toEqual(["volume"]);
  });

  it("drops an entry whose header never made it to disk", async () => {
    await writeFile(path.join(dir, "1-create-9-1.jsonl"), "");
    const j = new Journal(dir);
    expect(await j.pending()).toEqual([]);
    expect(await readdir(dir)).toEqual([]);
  });

  it("removes an entry by id", async () => {
    const j = new Journal(dir);
    await j.begin("create", 1);
    const [p] = await j.pending();
    await j.remove(p!.id);
    expect(await j.pending()).toEqual([]);
  });
});
