/**
 * template.import reads only from the node's template cache (templates/import-path.ts): a file there, by name or
 * by path; never a path outside it, a `..` out of it, a symlink in it that points out, or a directory.
 */
import { mkdtempSync, mkdirSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importablePath } from "../../src/templates/import-path.js";
import { EngineError } from "../../src/errors.js";

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, `expected ${code}`).toBeInstanceOf(EngineError);
  expect((e as EngineError).code).toBe(code);
  return e as Error;
}

const base = mkdtempSync(path.join(tmpdir(), "ovz-import-"));
const cache = path.join(base, "template-cache");
const outside = path.join(base, "secret.tar.gz");
writeFileSync(outside, "not for templates");

describe("importablePath", () => {
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it("creates the cache (0700) and accepts a regular file in it, by name or by its path", async () => {
    await expectCode(importablePath("deb.tar.zst", cache), "TEMPLATE_INVALID"); // not there yet
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    writeFileSync(path.join(cache, "deb.tar.zst"), "x");
    expect(await importablePath("deb.tar.zst", cache)).toBe(path.join(cache, "deb.tar.zst"));
    expect(await importablePath(path.join(cache, "deb.tar.zst"), cache)).toBe(path.join(cache, "deb.tar.zst"));
  });

  it("refuses any path outside it, with where to put the file instead", async () => {
    for (const p of [outside, "/etc/passwd", "../secret.tar.gz", path.join(cache, "..", "secret.tar.gz"), cache]) {
      const e = await expectCode(importablePath(p, cache), "TEMPLATE_INVALID");
      expect(e.message, p).toMatch(/reads tarballs only from the node's template cache .*Copy the tarball into/);
    }
  });

  it("refuses a symlink in it that points out, and a directory in it", async () => {
    symlinkSync(outside, path.join(cache, "link.tar.gz"));
    await expectCode(importablePath("link.tar.gz", cache), "TEMPLATE_INVALID");
    mkdirSync(path.join(cache, "sub.tar"));
    await expectCode(importablePath("sub.tar", cache), "TEMPLATE_INVALID");
    // a symlink that stays inside is the file it names
    symlinkSync(path.join(cache, "deb.tar.zst"), path.join(cache, "alias.tar.zst"));
    expect(await importablePath("alias.tar.zst", cache)).toBe(path.join(cache, "deb.tar.zst"));
  });
});
