/** Reading the console log: the end across the rotated and the current file, bounded, as plain text. */
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { consoleText, readConsoleTail } from "../../src/drivers/runtime/console-log.js";

describe("console log", () => {
  const dirs: string[] = [];
  const dir = () => {
    const d = mkdtempSync(path.join(os.tmpdir(), "ovz-console-"));
    dirs.push(d);
    return d;
  };
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("reads nothing when there is no log yet", async () => {
    expect(await readConsoleTail(path.join(dir(), "console.log"), 4096)).toEqual({
      text: "",
      bytes: 0,
      truncated: false,
    });
  });

  it("joins the rotated file and the current one, oldest first", async () => {
    const f = path.join(dir(), "console.log");
    writeFileSync(`${f}.1`, "first boot\r\n");
    writeFileSync(f, "second boot\r\n");
    expect(await readConsoleTail(f, 4096)).toEqual({
      text: "first boot\nsecond boot\n",
      bytes: 25,
      truncated: false,
    });
  });

  it("keeps the end within maxBytes, from the next whole line", async () => {
    const f = path.join(dir(), "console.log");
    writeFileSync(`${f}.1`, "old ".repeat(500) + "\n");
    writeFileSync(f, "line one\nline two\n");
    const r = await readConsoleTail(f, 24);
    expect(r).toEqual({ text: "line one\nline two\n", bytes: 2001 + 18, truncated: true });
  });

  it("strips colours and other terminal controls", () => {
    expect(consoleText("[\x1b[0;32m  OK  \x1b[0m] Started\r\n\x07bell\x1b]0;title\x07")).toBe("[  OK  ] Started\nbell");
  });

  it("does not follow a symlink put in the log's place", async () => {
    const d = dir();
    writeFileSync(path.join(d, "secret"), "secret");
    symlinkSync(path.join(d, "secret"), path.join(d, "console.log"));
    await expect(readConsoleTail(path.join(d, "console.log"), 4096)).rejects.toThrow(/ELOOP|symbolic link/);
  });
});
