/**
 * template.upload over a real protocol connection (a Unix socket in a temp dir): the client streams a busybox
 * tarball made with real tar, the engine writes it into the store's own temp file and imports it. Refusals:
 * a tarball that is not a rootfs, bytes that are not a tarball, a taken name, a short upload, a bad name. The
 * store directory holds nothing else afterwards (no temp files). Plain-directory storage, no container.
 */
import { connect, createServer, type Server } from "node:net";
import { createReadStream } from "node:fs";
import { lstat, mkdir, mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, beforeAll, expect, it } from "vitest";
import { isEngineError } from "../../src/errors.js";
import { run } from "../../src/exec.js";
import type { StorageDriver } from "../../src/drivers/storage/types.js";
import type { Handlers } from "../../src/protocol/handlers.js";
import { connectionHandler } from "../../src/protocol/server.js";
import { uploadTemplate } from "../../src/protocol/upload-client.js";
import { buildBusyboxRootfs } from "../../src/templates/busybox.js";
import { sha256File } from "../../src/templates/import.js";
import { TemplateStore } from "../../src/templates/store.js";
import { describeRoot } from "../helpers/root.js";

/** Plain directories: a volume exists once created (the upload never unpacks). */
class DirStorage {
  readonly name = "dir" as const;
  constructor(readonly root: string) {}
  async templateVolumeExists(n: string) {
    return lstat(join(this.root, n)).then(
      () => true,
      () => false,
    );
  }
  async deleteTemplateVolume(n: string) {
    await rm(join(this.root, n), { recursive: true, force: true });
  }
}

async function expectCode(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    if (!isEngineError(e)) throw e;
    expect(e.code, e.message).toBe(code);
    return e;
  }
  throw new Error(`expected ${code}, but it succeeded`);
}

describeRoot("template.upload (the engine's upload channel)", () => {
  let tmp: string;
  let tplDir: string;
  let store: TemplateStore;
  let server: Server;
  let sockPath: string;
  let good: string; // a busybox rootfs as tar.gz
  const events: string[] = [];

  const upload = (name: string, file: string, sizeBytes?: number) =>
    stat(file).then((st) =>
      uploadTemplate(sockPath, { name, sizeBytes: sizeBytes ?? st.size }, createReadStream(file), {
        onEvent: (e) => void (e.kind === "log" && events.push(e.line)),
      }),
    );
  const storeFiles = async () => (await readdir(tplDir)).sort();

  beforeAll(async () => {
    tmp = await mkdtemp(join(tmpdir(), "ovz-tplup-"));
    tplDir = join(tmp, "templates");
    await mkdir(join(tmp, "vols"));
    store = new TemplateStore({ dir: tplDir, storage: new DirStorage(join(tmp, "vols")) as unknown as StorageDriver });
    const rootfs = join(tmp, "rootfs");
    await buildBusyboxRootfs(rootfs);
    good = join(tmp, "bb.tar.gz");
    await run("tar", ["--numeric-owner", "-czf", good, "-C", rootfs, "."]);
    sockPath = join(tmp, "engine.sock");
    server = createServer(
      connectionHandler({} as Handlers, {
        templateUploads: (name, receive, log) => store.importReceived(name, receive, log),
      }),
    );
    await new Promise<void>((resolve) => server.listen(sockPath, resolve));
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    if (tmp) await run("rm", ["-rf", "--one-file-system", "--", tmp]);
  });

  it("streams a busybox tar.gz into the store and imports it as a template", async () => {
    const meta = await upload("bb-up", good);
    expect(meta).toMatchObject({ name: "bb-up", init: "busybox", distro: "busybox", source: "imported" });
    expect(meta.sha256).toBe(await sha256File(good));
    expect(meta.sizeBytes).toBe((await stat(good)).size);
    expect(await sha256File(join(tplDir, "bb-up.tar.gz"))).toBe(meta.sha256);
    expect((await store.list()).map((t) => t.name)).toEqual(["bb-up"]);
    expect(events.some((l) => l.startsWith("received "))).toBe(true);
    expect(await storeFiles()).toEqual(["bb-up.json", "bb-up.tar.gz"]);
  });

  it("refuses a taken name before reading the bytes, and a bad name by the protocol's rule", async () => {
    const e = await expectCode(upload("bb-up", good), "TEMPLATE_EXISTS");
    expect(e.message).toMatch(/already exists/);
    const bad = await expectCode(upload("../etc", good), "BAD_REQUEST");
    expect(bad.message).toMatch(/template names use a-z, 0-9/);
    expect(await storeFiles()).toEqual(["bb-up.json", "bb-up.tar.gz"]);
  });

  it("refuses a tarball that is not a root filesystem, and bytes that are not a tarball", async () => {
    const notRoot = join(tmp, "docs");
    await mkdir(notRoot);
    await writeFile(join(notRoot, "README"), "just a document\n");
    const docs = join(tmp, "docs.tar.xz");
    await run("tar", ["--numeric-owner", "-cJf", docs, "-C", notRoot, "."]);
    const e1 = await expectCode(upload("docs", docs), "TEMPLATE_INVALID");
    expect(e1.message).toMatch(/^The upload is not a container root filesystem: the uploaded file has no init/);
    expect(e1.message).not.toContain(tplDir);
    const junk = join(tmp, "junk.tar.zst");
    await writeFile(junk, Buffer.from("not a tarball at all ".repeat(50)));
    const e2 = await expectCode(upload("junk", junk), "TEMPLATE_INVALID");
    expect(e2.message).toMatch(/the uploaded file is not a tar archive/);
    expect(await storeFiles()).toEqual(["bb-up.json", "bb-up.tar.gz"]);
  });

  it("refuses an upload that sends fewer bytes than it announced, or more", async () => {
    const size = (await stat(good)).size;
    const short = await expectCode(upload("short", good, size + 100), "BAD_REQUEST");
    expect(short.message).toMatch(/ended after \d+ of the \d+ bytes/);
    const long = await expectCode(
      uploadTemplate(sockPath, { name: "long", sizeBytes: 10 }, Readable.from([Buffer.alloc(64)])),
      "BAD_REQUEST",
    );
    expect(long.message).toMatch(/more than the 10 bytes/);
    // the engine's own count, without the client's check: a raw connection that sends too much
    const reply = await new Promise<string>((resolve, reject) => {
      const c = connect(sockPath);
      let got = "";
      c.on("data", (d) => (got += d.toString()));
      c.on("close", () => resolve(got));
      c.on("error", reject);
      const req = { v: 1, id: "1", method: "template.upload", params: { name: "raw", sizeBytes: 10 } };
      c.write(JSON.stringify(req) + "\n" + "x".repeat(64));
    });
    expect(JSON.parse(reply.split("\n")[0]!)).toMatchObject({
      type: "error",
      error: { code: "BAD_REQUEST", message: "the upload sent more than the 10 bytes it announced" },
    });
    // the engine removes its temp file once it sees the connection go
    await expect.poll(storeFiles, { timeout: 20_000 }).toEqual(["bb-up.json", "bb-up.tar.gz"]);
  });
});
