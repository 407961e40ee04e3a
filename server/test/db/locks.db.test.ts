/**
 * Locks hold across processes (the panel and each vzctl run share the database): a second process's
 * holding is waited for; a holder whose process is gone, or whose lease ran out, is taken over.
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ownerAlive, PROCESS_ID, withLock } from "../../services/locks.js";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";

const HOLDER = path.resolve(import.meta.dirname, "../helpers/lock-holder.ts");

describe.each(PROVIDERS)("locks across processes on %s", (provider) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await freshDb(provider);
  });
  afterAll(async () => {
    await t.drop();
  });

  it("waits for another process's holding, then runs", async () => {
    const events: string[] = [];
    const child = spawn(process.execPath, ["--import", "tsx", HOLDER, t.url, "k1", "800"], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<number | null>((r) => child.on("exit", r));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (b: Buffer) => {
        for (const line of b.toString().trim().split("\n")) {
          events.push(`child ${line}`);
          if (line === "held") resolve();
        }
      });
      child.on("exit", () => reject(new Error("lock holder exited before holding")));
    });
    await withLock(t.db, "k1", async () => {
      events.push("parent ran");
    });
    expect(await exited).toBe(0);
    expect(events).toEqual(["child held", "child released", "parent ran"]);
    expect(await t.db.lock.count()).toBe(0);
  });

  it("takes over the holding of a process that is gone, at once", async () => {
    await t.db.lock.create({
      data: { key: "k2", owner: `${os.hostname()}:1:1:dead`, expiresAt: new Date(Date.now() + 3600_000) },
    });
    expect(ownerAlive(`${os.hostname()}:1:1`)).toBe(false);
    let ran = false;
    await withLock(t.db, "k2", async () => {
      ran = true;
      expect((await t.db.lock.findUniqueOrThrow({ where: { key: "k2" } })).owner.startsWith(PROCESS_ID)).toBe(true);
    });
    expect(ran).toBe(true);
    expect(await t.db.lock.count()).toBe(0);
  });

  it("waits for a live holder until its lease runs out", async () => {
    // pid 1 is alive: its holding is respected until it expires
    const init = `${os.hostname()}:1:${fs.readFileSync("/proc/1/stat", "utf8").split(") ")[1]!.split(" ")[19]}`;
    expect(ownerAlive(init)).toBe(true);
    const expiresAt = new Date(Date.now() + 700);
    await t.db.lock.create({ data: { key: "k3", owner: `${init}:live`, expiresAt } });
    let ranAt = 0;
    await withLock(t.db, "k3", async () => {
      ranAt = Date.now();
    });
    expect(ranAt).toBeGreaterThanOrEqual(expiresAt.getTime());
  });

  it("an error inside releases the key", async () => {
    await expect(withLock(t.db, "k4", async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await t.db.lock.count({ where: { key: "k4" } })).toBe(0);
  });
});
