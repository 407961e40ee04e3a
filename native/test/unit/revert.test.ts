import { describe, expect, it } from "vitest";
import { Revert } from "../../src/revert.js";

function setup() {
  const log: string[] = [];
  const done: string[] = [];
  const r = new Revert((l) => log.push(l));
  return { r, log, done };
}

describe("Revert", () => {
  it("runs the undo steps in reverse order on failure, awaiting each", async () => {
    const { r, done } = setup();
    r.add("a", () => done.push("a"));
    r.add("b", async () => {
      await new Promise((res) => setTimeout(res, 5));
      done.push("b");
    });
    r.add("c", () => done.push("c"));
    await r.fail();
    expect(done).toEqual(["c", "b", "a"]);
  });

  it("success() drops the steps: a later fail() undoes nothing", async () => {
    const { r, done } = setup();
    r.add("a", () => done.push("a"));
    r.success();
    await r.fail();
    expect(done).toEqual([]);
  });

  it("runs each step once: a second fail() does nothing", async () => {
    const { r, done } = setup();
    r.add("a", () => done.push("a"));
    await r.fail();
    await r.fail();
    expect(done).toEqual(["a"]);
  });

  it("logs a failing undo with its cause and still runs the others", async () => {
    const { r, log, done } = setup();
    r.add("first", () => done.push("first"));
    r.add("remove the volume", () => {
      throw new Error("device busy");
    });
    r.add("last", async () => {
      done.push("last");
      throw "not an Error";
    });
    await expect(r.fail()).resolves.toBeUndefined();
    expect(done).toEqual(["last", "first"]);
    expect(log).toEqual(["undo failed: last: not an Error", "undo failed: remove the volume: device busy"]);
  });

  it("keeps the operation's own error: the caller rethrows it after fail()", async () => {
    const { r, log } = setup();
    const op = async () => {
      try {
        r.add("undo that fails too", () => Promise.reject(new Error("undo error")));
        throw new Error("original error");
      } catch (e) {
        await r.fail();
        throw e;
      }
    };
    await expect(op()).rejects.toThrow("original error");
    expect(log).toEqual(["undo failed: undo that fails too: undo error"]);
  });
});
