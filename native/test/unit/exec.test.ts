import { describe, expect, it } from "vitest";
import { run } from "../../src/exec.js";

describe("run (argument arrays, no shell)", () => {
  it("passes arguments verbatim: shell metacharacters are not interpreted", async () => {
    const r = await run("printf", ["%s|", "a b", "$(id)", ";rm -rf /"]);
    expect(r.stdout).toBe("a b|$(id)|;rm -rf /|");
  });

  it("streams every non-empty output line, including a last line without newline", async () => {
    const lines: string[] = [];
    await run("sh", ["-c", "echo one; echo two >&2; echo; printf three"], { onLine: (l) => lines.push(l) });
    expect(lines.sort()).toEqual(["one", "three", "two"]);
  });

  it("throws HOST_TOOL_FAILED naming the command and its stderr", async () => {
    await expect(run("sh", ["-c", "echo bad thing >&2; exit 4"])).rejects.toMatchObject({
      code: "HOST_TOOL_FAILED",
      message: expect.stringMatching(/exit 4.*bad thing/s),
    });
  });

  it("kills on timeout with a TIMEOUT error", async () => {
    await expect(run("sleep", ["5"], { timeoutMs: 100 })).rejects.toMatchObject({ code: "TIMEOUT" });
  });

  it("reports a missing tool clearly", async () => {
    await expect(run("no-such-tool-ovz", [])).rejects.toMatchObject({
      code: "HOST_TOOL_FAILED",
      message: expect.stringMatching(/installed/),
    });
  });
});
