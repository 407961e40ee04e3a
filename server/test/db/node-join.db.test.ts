/**
 * Joining a node with a one-time token (services/nodes.ts, POST /api/nodes/join) on a real database:
 * the token is shown once and stored as its sha256, expires after an hour, works exactly once (also under
 * concurrent joins), can be revoked; a bad CSR or another listen address changes nothing; the certificate
 * is the panel CA's, for the node's address and key, usable for TLS server authentication only. On SQLite
 * a second node is refused with what to do (PostgreSQL). The real engine over the result: the root test
 * native/test/root/node-join.root.test.ts.
 */
import { X509Certificate } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createCsr, fingerprint256, generateKey } from "../../../native/src/pki.js";
import { PANEL_PKI_FILES, panelPkiDir } from "../../../native/src/protocol/dial.js";
import { sha256Hex } from "../../auth/crypto.js";
import { PanelError } from "../../errors.js";
import { handleJoinRequest } from "../../http/node-join.js";
import { joinNode, JOIN_TOKEN_TTL_MS } from "../../services/nodes.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, type World, useWorld } from "../helpers/world.js";

const LISTEN = "198.18.250.2:7443";
const PANEL = "http://198.18.250.1:3000";
let tmp: string;
let keys = 0;

/** A key + CSR as ovz-node join makes them. */
async function newCsr(): Promise<{ csr: string; key: string }> {
  const keyFile = path.join(tmp, `k${++keys}.key`);
  const key = await generateKey();
  await writeFile(keyFile, key, { mode: 0o600 });
  return { csr: await createCsr(keyFile, "198.18.250.2"), key };
}

const ctx = (w: World) => ({ db: w.db, ip: "198.18.250.2", userAgent: "ovz-node join" });

async function joinError(p: Promise<unknown>, code: PanelError["code"], msg: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (x: unknown) => x,
  );
  expect(e, "the join should have been refused").toBeInstanceOf(PanelError);
  expect((e as PanelError).code).toBe(code);
  expect((e as PanelError).message).toMatch(msg);
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), "ovz-join-"));
});
afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.each(PROVIDERS)("node join tokens on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  if (provider === "sqlite") {
    it("a second node is refused on SQLite, with what to do: a join token, a join, nodes.create", async () => {
      const e = await expectCode(
        as(w, "admin").nodes.createJoinToken({ nodeName: "node-2", listen: LISTEN, panelUrl: PANEL }),
        "CONFLICT",
        "CONFLICT",
      );
      expect(e.message).toMatch(
        /A join token would make a second node, and the panel's database is SQLite, which serves a single node\. Move the control plane to PostgreSQL first \(DATABASE_URL=postgresql:\/\/…/,
      );
      expect(await w.db.nodeJoinToken.count()).toBe(0);
      const c = await expectCode(
        as(w, "admin").nodes.create({ name: "node-2", endpoint: "/run/ovz/node-2.sock" }),
        "CONFLICT",
      );
      expect(c.message).toMatch(/Adding this node would make a second node.*PostgreSQL/);
      // a token made while there was no node (SQLite allows a single one) cannot add a second
      const token = "A".repeat(43);
      await w.db.nodeJoinToken.create({
        data: {
          nodeName: "node-2",
          listen: LISTEN,
          tokenHash: sha256Hex(token),
          expiresAt: new Date(Date.now() + 60_000),
          createdBy: "test",
        },
      });
      await joinError(
        joinNode(ctx(w), { token, csr: (await newCsr()).csr, listen: LISTEN }),
        "CONFLICT",
        /This join would make a second node.*PostgreSQL/,
      );
      expect(await w.db.node.count()).toBe(1);
      expect((await w.db.nodeJoinToken.findFirstOrThrow()).usedAt).toBeNull();
    });
    return;
  }

  it("creates a token shown once (stored as sha256, 1 h) and the exact command; lists and validates", async () => {
    const before = Date.now();
    const r = await as(w, "admin").nodes.createJoinToken({
      nodeName: "node-2",
      listen: ` ${LISTEN} `,
      panelUrl: `${PANEL}/`,
    });
    expect(r.token).toMatch(/^[A-Za-z0-9_-]{43}$/); // 32 random bytes, base64url
    const ca = await readFile(path.join(panelPkiDir(), PANEL_PKI_FILES.caCert), "utf8");
    expect(r.caSha256).toBe(fingerprint256(ca));
    expect(r.command).toBe(
      `OVZ_JOIN_TOKEN=${r.token} ovz-node join --panel ${PANEL} --ca-sha256 ${r.caSha256} --listen ${LISTEN}`,
    );
    const row = await w.db.nodeJoinToken.findUniqueOrThrow({ where: { id: r.id } });
    expect(row).toMatchObject({
      nodeName: "node-2",
      listen: LISTEN,
      tokenHash: sha256Hex(r.token),
      usedAt: null,
      revokedAt: null,
      createdBy: "admin@test.example",
    });
    expect(JSON.stringify(row)).not.toContain(r.token);
    expect(row.expiresAt.getTime() - before).toBeGreaterThanOrEqual(JOIN_TOKEN_TTL_MS - 5000);
    expect(row.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(JOIN_TOKEN_TTL_MS);
    expect(await w.db.auditLog.findFirstOrThrow({ where: { action: "node.joinToken.create" } })).toMatchObject({
      target: "node node-2",
      userId: w.admin.id,
    });
    const list = await as(w, "admin").nodes.joinTokens();
    expect(list).toEqual([
      {
        id: r.id,
        nodeName: "node-2",
        listen: LISTEN,
        expiresAt: row.expiresAt,
        createdAt: row.createdAt,
        createdBy: "admin@test.example",
      },
    ]);

    await expectCode(
      as(w, "admin").nodes.createJoinToken({ nodeName: "node-2", listen: "198.18.250.6:7443", panelUrl: PANEL }),
      "CONFLICT",
    ); // pending for that name
    await expectCode(
      as(w, "admin").nodes.createJoinToken({ nodeName: "local", listen: "198.18.250.6:7443", panelUrl: PANEL }),
      "CONFLICT",
    ); // a node has the name
    for (const listen of ["198.18.250.2", "198.18.250.2:0", "node_2:7443", "[::1:7443"]) {
      await expectCode(
        as(w, "admin").nodes.createJoinToken({ nodeName: "node-3", listen, panelUrl: PANEL }),
        "BAD_REQUEST",
      );
    }
    for (const panelUrl of ["ftp://x:1", "http://u:p@x:1", "http://x:1/panel", "not a url"]) {
      await expectCode(
        as(w, "admin").nodes.createJoinToken({ nodeName: "node-3", listen: LISTEN, panelUrl }),
        "BAD_REQUEST",
      );
    }
    await expectCode(
      as(w, "resellerA").nodes.createJoinToken({ nodeName: "node-3", listen: LISTEN, panelUrl: PANEL }),
      "FORBIDDEN",
    );
    await expectCode(as(w, "customerA1").nodes.joinTokens(), "FORBIDDEN");
    expect(await w.db.nodeJoinToken.count()).toBe(1);
  });

  it("a join with the token creates the node (tls://listen) and returns a server certificate of the panel's CA for the node's key and address", async () => {
    const r = await as(w, "admin").nodes.createJoinToken({
      nodeName: "node-3",
      listen: "198.18.250.6:7443",
      panelUrl: PANEL,
    });
    const { csr, key } = await newCsr();
    // a CSR whose key does not match its signature, and another listen address, change nothing
    await joinError(
      joinNode(ctx(w), {
        token: r.token,
        csr: csr.replace(/\n(.{10})(.)/, (_m, a: string, b: string) => `\n${a}${b === "A" ? "B" : "A"}`),
        listen: "198.18.250.6:7443",
      }),
      "BAD_REQUEST",
      /Certificate request refused/,
    );
    await joinError(
      joinNode(ctx(w), {
        token: r.token,
        csr: "-----BEGIN CERTIFICATE REQUEST-----\nnot base64!\n-----END CERTIFICATE REQUEST-----",
        listen: "198.18.250.6:7443",
      }),
      "BAD_REQUEST",
      /not one PEM block/,
    );
    await joinError(
      joinNode(ctx(w), { token: r.token, csr, listen: "198.18.250.10:7443" }),
      "BAD_REQUEST",
      /is for a node listening on 198\.18\.250\.6:7443, not 198\.18\.250\.10:7443/,
    );
    await joinError(
      joinNode(ctx(w), { token: "B".repeat(43), csr, listen: "198.18.250.6:7443" }),
      "UNAUTHORIZED",
      /not known to this panel; create a new one on the panel's Nodes page/,
    );
    await joinError(
      joinNode(ctx(w), { token: "short", csr, listen: "198.18.250.6:7443" }),
      "UNAUTHORIZED",
      /That is not a join token/,
    );
    await joinError(joinNode(ctx(w), { nope: 1 }), "BAD_REQUEST", /JSON \{token, csr, listen\}/);
    expect(await w.db.node.count({ where: { name: "node-3" } })).toBe(0);
    expect((await w.db.nodeJoinToken.findUniqueOrThrow({ where: { id: r.id } })).usedAt).toBeNull();

    const j = await joinNode(ctx(w), { token: r.token, csr, listen: "198.18.250.6:7443" });
    expect(j).toMatchObject({ nodeName: "node-3", endpoint: "tls://198.18.250.6:7443" });
    const ca = new X509Certificate(j.caCert);
    const cert = new X509Certificate(j.cert);
    expect(fingerprint256(j.caCert)).toBe(r.caSha256);
    expect(ca.ca).toBe(true);
    expect(cert.ca).toBe(false);
    expect(cert.verify(ca.publicKey)).toBe(true);
    expect(cert.checkIP("198.18.250.6")).toBe("198.18.250.6");
    expect(cert.checkIP("198.18.250.2")).toBeUndefined();
    expect(cert.subject).toContain("CN=node-3");
    expect(cert.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth only: never a client of another node
    const { createPrivateKey } = await import("node:crypto");
    expect(cert.checkPrivateKey(createPrivateKey(key))).toBe(true);
    expect(await w.db.node.findUniqueOrThrow({ where: { name: "node-3" } })).toMatchObject({
      endpoint: "tls://198.18.250.6:7443",
    });
    expect((await w.db.nodeJoinToken.findUniqueOrThrow({ where: { id: r.id } })).usedAt).toBeInstanceOf(Date);
    expect(await w.db.auditLog.findFirstOrThrow({ where: { action: "node.join" } })).toMatchObject({
      target: "node node-3",
      actor: "ovz-node join (token by admin@test.example)",
      userId: null,
      ip: "198.18.250.2",
    });
    const listed = await as(w, "admin").nodes.list();
    expect(listed.find((n) => n.name === "node-3")).toMatchObject({ kind: "tls", endpoint: "tls://198.18.250.6:7443" });
    expect(listed.find((n) => n.name === "local")).toMatchObject({ kind: "socket" });
    expect((await as(w, "admin").nodes.joinTokens()).map((x) => x.nodeName)).not.toContain("node-3");

    // once only
    await joinError(
      joinNode(ctx(w), { token: r.token, csr: (await newCsr()).csr, listen: "198.18.250.6:7443" }),
      "UNAUTHORIZED",
      /was used already \(at .*\); a token works once/,
    );
    expect(await w.db.node.count({ where: { name: "node-3" } })).toBe(1);
  });

  it("a token works once even when joins race; it expires after an hour; a revoked one never works", async () => {
    const r = await as(w, "admin").nodes.createJoinToken({
      nodeName: "node-4",
      listen: "198.18.250.10:7443",
      panelUrl: PANEL,
    });
    const race = await Promise.allSettled(
      [0, 1, 2].map(async () =>
        joinNode(ctx(w), { token: r.token, csr: (await newCsr()).csr, listen: "198.18.250.10:7443" }),
      ),
    );
    expect(race.filter((x) => x.status === "fulfilled")).toHaveLength(1);
    for (const x of race)
      if (x.status === "rejected") expect((x.reason as PanelError).code, String(x.reason)).toBe("UNAUTHORIZED");
    expect(await w.db.node.count({ where: { name: "node-4" } })).toBe(1);

    const e = await as(w, "admin").nodes.createJoinToken({
      nodeName: "node-5",
      listen: "198.18.250.14:7443",
      panelUrl: PANEL,
    });
    const later = new Date(Date.now() + JOIN_TOKEN_TTL_MS + 1000);
    await joinError(
      joinNode(ctx(w), { token: e.token, csr: (await newCsr()).csr, listen: "198.18.250.14:7443" }, later),
      "UNAUTHORIZED",
      /This join token expired at/,
    );
    expect(await w.db.node.count({ where: { name: "node-5" } })).toBe(0);

    const v = await as(w, "admin").nodes.createJoinToken({
      nodeName: "node-6",
      listen: "198.18.250.18:7443",
      panelUrl: PANEL,
    });
    expect(await as(w, "admin").nodes.revokeJoinToken({ id: v.id })).toEqual({ ok: true });
    await expectCode(as(w, "admin").nodes.revokeJoinToken({ id: v.id }), "NOT_FOUND");
    await joinError(
      joinNode(ctx(w), { token: v.token, csr: (await newCsr()).csr, listen: "198.18.250.18:7443" }),
      "UNAUTHORIZED",
      /was revoked/,
    );
    expect(await w.db.node.count({ where: { name: "node-6" } })).toBe(0);
    expect(await w.db.auditLog.count({ where: { action: "node.joinToken.revoke" } })).toBe(1);
    // a revoked name may get a new token
    await as(w, "admin").nodes.createJoinToken({ nodeName: "node-6", listen: "198.18.250.18:7443", panelUrl: PANEL });
  });

  it("POST /api/nodes/join answers JSON: 200 with the certificate, 4xx with a sentence", async () => {
    const r = await as(w, "admin").nodes.createJoinToken({
      nodeName: "node-7",
      listen: "198.18.250.22:7443",
      panelUrl: PANEL,
    });
    const post = (body: string) =>
      handleJoinRequest(
        new Request("http://panel.test/api/nodes/join", {
          method: "POST",
          body,
          headers: { "content-type": "application/json" },
        }),
        w.db,
      );
    const bad = await post("{not json");
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: "The join request must be JSON {token, csr, listen}." });
    const csr = (await newCsr()).csr;
    const unknown = await post(JSON.stringify({ token: "C".repeat(43), csr, listen: "198.18.250.22:7443" }));
    expect(unknown.status).toBe(401);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/not known to this panel/);
    expect((await post("x".repeat(70_000))).status).toBe(413);
    const ok = await post(JSON.stringify({ token: r.token, csr, listen: "198.18.250.22:7443" }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({
      nodeName: "node-7",
      endpoint: "tls://198.18.250.22:7443",
      cert: expect.stringContaining("BEGIN CERTIFICATE"),
      caCert: expect.stringContaining("BEGIN CERTIFICATE"),
    });
    const again = await post(JSON.stringify({ token: r.token, csr, listen: "198.18.250.22:7443" }));
    expect(again.status).toBe(401);
    expect(((await again.json()) as { error: string }).error).toMatch(/used already/);
  });

  it("nodes.delete removes an unused node and refuses one with containers", async () => {
    const n = await w.db.node.findUniqueOrThrow({ where: { name: "node-7" } });
    expect(await as(w, "admin").nodes.delete({ nodeId: n.id })).toEqual({ ok: true });
    expect(await w.db.node.count({ where: { name: "node-7" } })).toBe(0);
    expect(await w.db.auditLog.findFirstOrThrow({ where: { action: "node.delete" } })).toMatchObject({
      target: "node node-7",
    });
    const e = await expectCode(as(w, "admin").nodes.delete({ nodeId: w.node.id }), "CONFLICT");
    expect(e.message).toMatch(/^Node local still has 5 container\(s\), 1 IP pool\(s\); remove them first\.$/);
    await expectCode(as(w, "admin").nodes.delete({ nodeId: "missing" }), "NOT_FOUND");
    await expectCode(as(w, "resellerA").nodes.delete({ nodeId: w.node.id }), "FORBIDDEN");
  });
});
