/**
 * "One operation at a time per container" is enforced in one place: startOperation (operations.ts) checks
 * and records under the container's lock. Any other code that inserted Operation rows would bypass it,
 * so no other module of the panel may.
 */
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../../..");

function sources(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return ["test", "generated", "node_modules"].includes(d.name) ? [] : sources(p);
    return /\.tsx?$/.test(d.name) ? [p] : [];
  });
}

describe("operations are recorded in one place", () => {
  it("only server/services/operations.ts inserts Operation rows", () => {
    const files = [...sources(path.join(ROOT, "server")), ...sources(path.join(ROOT, "app"))];
    expect(files.length).toBeGreaterThan(50);
    const inserting = files
      .filter((f) =>
        /\boperation\s*\.\s*(create|createMany|createManyAndReturn|upsert)\s*\(/.test(fs.readFileSync(f, "utf8")),
      )
      .map((f) => path.relative(ROOT, f));
    expect(inserting).toEqual(["server/services/operations.ts"]);
  });
});
