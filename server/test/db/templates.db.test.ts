/**
 * The Templates page's procedures (templates.onNode, .build, .delete: admins only) and the upload route
 * (server/http/template-upload.ts) on a loopback HTTP server, with an uploader that stands in for the engine's
 * template.upload (the real channel has its root test: native/test/root/template-upload.root.test.ts).
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import type { TemplateUploader } from "../../engine/index.js";
import { handleTemplateUpload } from "../../http/template-upload.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, caller, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("templates per node on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  let server: Server | null = null;
  afterEach(async () => {
    await new Promise((r) => (server ? server.close(r) : r(null)));
    server = null;
    delete process.env.OVZ_TEMPLATE_UPLOAD_MAX_MB;
  });

  const names = async () => (await as(w, "admin").templates.onNode({ nodeId: w.node.id })).map((t) => t.name);

  it("onNode lists one node's templates, for admins only", async () => {
    expect(await names()).toEqual(expect.arrayContaining(["busybox", "debian-12"]));
    for (const who of ["resellerA", "customerA1"] as const)
      await expectCode(as(w, who).templates.onNode({ nodeId: w.node.id }), "FORBIDDEN");
    await expectCode(caller(w.db, null).templates.onNode({ nodeId: w.node.id }), "UNAUTHORIZED");
    await expectCode(as(w, "admin").templates.onNode({ nodeId: "nope" }), "NOT_FOUND");
  });

  it("build runs template.build as an operation; a taken name and other roles are refused", async () => {
    const { operationId } = await as(w, "admin").templates.build({ nodeId: w.node.id, kind: "busybox", name: "bb2" });
    await waitForAllOperations();
    const op = await w.db.operation.findUniqueOrThrow({ where: { id: operationId }, include: { lines: true } });
    expect([op.type, op.status, op.containerId]).toEqual(["template", "succeeded", null]);
    expect(op.lines.map((l) => l.line)).toContain("building template bb2 (busybox) on node local");
    expect(await names()).toContain("bb2");
    const taken = await expectCode(
      as(w, "admin").templates.build({ nodeId: w.node.id, kind: "busybox", name: "bb2" }),
      "CONFLICT",
    );
    expect(taken.message).toBe("Template bb2 already exists on node local; delete it first or choose another name.");
    for (const who of ["resellerA", "customerA1"] as const)
      await expectCode(as(w, who).templates.build({ nodeId: w.node.id, kind: "busybox" }), "FORBIDDEN");
    expect(
      await w.db.auditLog.count({ where: { action: "template.build", target: "template bb2 on node local" } }),
    ).toBe(1);
  });

  it("delete is refused while containers or plans use the template, and removes an unused one", async () => {
    const admin = as(w, "admin");
    const before = await names();
    const used = await expectCode(admin.templates.delete({ nodeId: w.node.id, name: "busybox" }), "CONFLICT");
    expect(used.message).toMatch(/^Template busybox is used by containers [\d, ]+ on node local; destroy or reinstall/);
    const planned = await expectCode(admin.templates.delete({ nodeId: w.node.id, name: "debian-12" }), "CONFLICT");
    expect(planned.message).toMatch(/^Template debian-12 is offered by plans? "[^"]+".*; remove it from the plan/);
    expect(await names()).toEqual(before);
    await admin.templates.build({ nodeId: w.node.id, kind: "busybox", name: "spare" });
    await waitForAllOperations();
    await expectCode(as(w, "customerA1").templates.delete({ nodeId: w.node.id, name: "spare" }), "FORBIDDEN");
    await expectCode(as(w, "resellerA").templates.delete({ nodeId: w.node.id, name: "spare" }), "FORBIDDEN");
    expect(await names()).toContain("spare");
    await admin.templates.delete({ nodeId: w.node.id, name: "spare" });
    expect(await names()).not.toContain("spare");
    expect(
      await w.db.auditLog.count({ where: { action: "template.delete", target: "template spare on node local" } }),
    ).toBe(1);
    await expectCode(admin.templates.delete({ nodeId: w.node.id, name: "spare" }), "NOT_FOUND");
  });

  /** A loopback server with the upload route; `uploader` stands in for the engine. */
  async function serve(uploader: TemplateUploader): Promise<string> {
    server = createServer((req, res) => void handleTemplateUpload(req, res, w.db, uploader));
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", r));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/api/templates/upload`;
  }
  const received: Buffer[] = [];
  /** Reads the body as the engine would and "imports" it into the fake node. */
  const fakeUploader: TemplateUploader = async (_endpoint, params, body, cb = {}) => {
    const chunks: Buffer[] = [];
    for await (const c of body) {
      chunks.push(c as Buffer);
      cb.onSent?.((c as Buffer).length);
    }
    received.push(Buffer.concat(chunks));
    cb.onEvent?.({ kind: "log", line: `received ${params.sizeBytes} bytes` });
    if (Buffer.concat(chunks).subarray(0, 4).toString() !== "tar!")
      throw new EngineError("TEMPLATE_INVALID", "The upload is not a container root filesystem: no init");
    fakeEngine().templates.push(params.name);
    const [meta] = (await as(w, "admin").templates.onNode({ nodeId: w.node.id })).filter((t) => t.name === params.name);
    return meta!;
  };

  it("the upload route streams the body to the engine as an operation; refusals say why", async () => {
    const url = await serve(fakeUploader);
    const token = async (who: "admin" | "customerA1" | "resellerA") =>
      (await as(w, who).tokens.create({ name: `up-${who}` })).token;
    const admin = { authorization: `Bearer ${await token("admin")}` };
    const post = (query: string, body: Buffer, headers: Record<string, string> = admin) =>
      fetch(`${url}?${query}`, { method: "POST", body: new Uint8Array(body), headers });
    const tarball = Buffer.concat([Buffer.from("tar!"), Buffer.alloc(300_000, 7)]);

    const ops = () => w.db.operation.count({ where: { type: "template" } });
    const audits = () => w.db.auditLog.count({ where: { action: "template.upload" } });
    const [opsBefore, auditsBefore] = [await ops(), await audits()];
    const ok = await post(`nodeId=${w.node.id}&name=uploaded`, tarball);
    expect(ok.status).toBe(202);
    const { operationId } = (await ok.json()) as { operationId: string };
    await waitForAllOperations();
    const op = await w.db.operation.findUniqueOrThrow({ where: { id: operationId }, include: { lines: true } });
    expect([op.type, op.status, op.progress]).toEqual(["template", "succeeded", 100]);
    expect(op.lines.map((l) => l.line)).toContain("received 300004 bytes");
    expect(received.at(-1)!.equals(tarball)).toBe(true);
    expect(await names()).toContain("uploaded");
    expect(await audits()).toBe(auditsBefore + 1);

    const refused = async (r: Response, status: number, error: RegExp) => {
      expect(r.status).toBe(status);
      expect(((await r.json()) as { error: string }).error).toMatch(error);
    };
    await refused(await post(`nodeId=${w.node.id}&name=x`, tarball, {}), 401, /not logged in/);
    for (const who of ["customerA1", "resellerA"] as const)
      await refused(
        await post(`nodeId=${w.node.id}&name=x`, tarball, { authorization: `Bearer ${await token(who)}` }),
        403,
        /Only administrators manage templates/,
      );
    await refused(await post(`nodeId=${w.node.id}&name=../etc`, tarball), 400, /^Give the template a name: /);
    await refused(await post(`nodeId=${w.node.id}&name=uploaded`, tarball), 409, /already exists on node local/);
    await refused(await post(`nodeId=nope&name=y`, tarball), 404, /No such node/);
    process.env.OVZ_TEMPLATE_UPLOAD_MAX_MB = "0.1";
    await refused(await post(`nodeId=${w.node.id}&name=big`, tarball), 400, /at most 0\.1 MiB/);
    delete process.env.OVZ_TEMPLATE_UPLOAD_MAX_MB;
    expect(await ops()).toBe(opsBefore + 1);

    // what is not a rootfs: the engine refuses after the bytes arrived, and the operation says why
    const bad = await post(`nodeId=${w.node.id}&name=junk`, Buffer.from("just some bytes"));
    expect(bad.status).toBe(202);
    await waitForAllOperations();
    const failed = await w.db.operation.findUniqueOrThrow({
      where: { id: ((await bad.json()) as { operationId: string }).operationId },
    });
    expect([failed.status, failed.error]).toEqual(["failed", "The upload is not a container root filesystem: no init"]);
    expect(await names()).not.toContain("junk");
  });
});
