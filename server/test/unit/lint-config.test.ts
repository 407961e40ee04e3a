/**
 * The lint the test command runs (eslint.config.mjs) refuses an import cycle: two fixture files that
 * import each other fail, a file that only imports them passes. The fixtures are ignored by the tree's lint.
 */
import path from "node:path";
import { ESLint } from "eslint";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../../..");
const fixtures = path.join(root, "server/test/fixtures/lint-cycle");

describe("eslint.config.mjs", () => {
  it("reports an import cycle as an error, and nothing for files outside one", async () => {
    const eslint = new ESLint({ cwd: root, ignore: false });
    const results = await eslint.lintFiles([fixtures]);
    const byFile = Object.fromEntries(
      results.map((r) => [path.basename(r.filePath), r.messages.map((m) => `${m.ruleId}:${m.severity}`)]),
    );
    expect(byFile["a.ts"]).toEqual(["import-x/no-cycle:2"]);
    expect(byFile["b.ts"]).toEqual(["import-x/no-cycle:2"]);
    expect(byFile["leaf.ts"]).toEqual([]);
  }, 60_000);

  it("the tree's own lint leaves the fixtures out", async () => {
    const eslint = new ESLint({ cwd: root });
    expect(await eslint.isPathIgnored(path.join(fixtures, "a.ts"))).toBe(true);
  });
});
