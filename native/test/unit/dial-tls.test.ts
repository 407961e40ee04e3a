/**
 * The engine transport (protocol/dial.ts) and the node's mutual-TLS listener (protocol/tls-server.ts) on
 * 127.0.0.1 with real certificates made by openssl (pki.ts): endpoint parsing; calls and a raw-stream
 * method (backup.download) over tls://; and every refusal — a client without a certificate, with one
 * from another CA, with a server certificate of the right CA; a node certificate from another CA or for
 * another host; nothing listening; no panel PKI; a node without its TLS files. The real engine behind
 * it, in its own netns with a token join: native/test/root/node-join.root.test.ts.
 */
import { createHash } from "node:crypto";
import { chmod, mkdtemp, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import type tls from "node:tls";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError } from "../../src/errors.js";
import { createCa, createCsr, fingerprint256, generateKey, signCsr } from "../../src/pki.js";
import { EngineClient } from "../../src/protocol/client.js";
import {
  dialEngine,
  formatEndpoint,
  loadPanelCredentials,
  parseEndpoint,
  parseHostPort,
  PANEL_PKI_FILES,
  type TlsCredentials,
} from "../../src/protocol/dial.js";
import { openBackupDownload } from "../../src/protocol/download-client.js";
import type { Handlers } from "../../src/protocol/handlers.js";
import { listenTls, readNodeTls, NODE_TLS_FILES } from "../../src/protocol/tls-server.js";

describe("endpoints", () => {
  it("parses Unix socket paths and tls://HOST:PORT, and says what is wrong otherwise", () => {
    expect(parseEndpoint("/run/ovz/engine.sock")).toEqual({ kind: "unix", path: "/run/ovz/engine.sock" });
    expect(parseEndpoint("tls://198.18.250.2:7443")).toEqual({ kind: "tls", host: "198.18.250.2", port: 7443 });
    expect(parseEndpoint("tls://[2001:DB8::2]:7443")).toEqual({ kind: "tls", host: "2001:db8::2", port: 7443 });
    expect(parseEndpoint("tls://node-2.example.com:1")).toEqual({ kind: "tls", host: "node-2.example.com", port: 1 });
    expect(formatEndpoint({ kind: "tls", host: "2001:db8::2", port: 7443 })).toBe("tls://[2001:db8::2]:7443");
    expect(formatEndpoint(parseEndpoint("tls://198.18.250.2:7443"))).toBe("tls://198.18.250.2:7443");
    for (const [bad, msg] of [
      ["relative.sock", /neither an absolute Unix socket path nor tls:\/\/HOST:PORT/],
      ["/run/../etc/x.sock", /not a clean absolute socket path/],
      ["tcp://1.2.3.4:5", /neither/],
      ["tls://198.18.250.2", /not HOST:PORT/],
      ["tls://198.18.250.2:0", /out of range/],
      ["tls://198.18.250.2:65536", /out of range/],
      ["tls://2001:db8::2:7443", /not HOST:PORT/],
      ["tls://[198.18.250.2]:7443", /not an IP address or host name/],
      ["tls://999.1.1.1:7443", /not an IP address or host name/],
      ["tls://under_score:7443", /not an IP address or host name/],
      ["tls://198.18.250.2:7443/path", /not HOST:PORT/],
    ] as const) {
      expect(() => parseEndpoint(bad), bad).toThrow(msg);
      try {
        parseEndpoint(bad);
      } catch (e) {
        expect(e).toBeInstanceOf(EngineError);
        expect((e as EngineError).code).toBe("BAD_REQUEST");
      }
    }
    expect(parseHostPort("[::1]:7443")).toEqual({ host: "::1", port: 7443 });
  });
});

describe("dial: Unix sockets", () => {
  it("names the endpoint and says to check the engine when nothing listens", async () => {
    const e = await dialEngine("/nonexistent-ovz-dir/engine.sock").catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EngineError);
    expect((e as EngineError).message).toMatch(
      /^cannot reach the host engine at \/nonexistent-ovz-dir\/engine\.sock: .*ENOENT.*is it running\?$/,
    );
  });
});

interface Leaf {
  key: string;
  cert: string;
}

describe("dial + TLS listener: mutual TLS", () => {
  let dir: string;
  let panel: TlsCredentials; // the panel: client certificate of CA "ours"
  let nodeTls: { key: Buffer; cert: Buffer; ca: Buffer };
  let foreign: { clientCert: string; serverCert: string }; // the same keys, signed by another CA
  let serverLeaf: Leaf;
  let server: tls.Server;
  let foreignServer: tls.Server;
  let port: number;
  let foreignPort: number;
  let archive: Buffer;
  const logs: string[] = [];

  const handlers = {
    "container.status": async (p: { ctid: number }) => {
      if (p.ctid === 404) throw new EngineError("NOT_FOUND", "container 404 does not exist");
      return {
        ctid: p.ctid,
        name: null,
        hostname: `ct${p.ctid}`,
        template: "busybox",
        state: "running",
        initPid: 42,
        limits: {
          ram: 1,
          swap: 0,
          cpuunits: 1000,
          cpulimit: 0,
          cpumask: null,
          cpus: 0,
          numproc: 10,
          numfile: 100,
          numpty: 1024,
          diskspace: 1,
          diskinodes: 0,
          ioweight: 500,
          iolimit: 0,
          iopslimit: 0,
        },
        onboot: false,
        bootorder: null,
        features: [],
        idmap: { hostId: 1000000, size: 65536 },
        rootfs: "/x",
        root: "/var/lib/ovz/root/101",
        createdAt: "now",
        ips: [],
        checkpoint: null,
      };
    },
  } as unknown as Handlers;

  async function ca(name: string): Promise<{ keyFile: string; certFile: string; cert: string }> {
    const keyFile = path.join(dir, `${name}.key`);
    await writeFile(keyFile, await generateKey(), { mode: 0o600 });
    const cert = await createCa(keyFile, name);
    const certFile = path.join(dir, `${name}.crt`);
    await writeFile(certFile, cert);
    return { keyFile, certFile, cert };
  }

  async function leaf(
    name: string,
    signer: { keyFile: string; certFile: string },
    usage: "server" | "client",
    hosts?: string[],
    keyPem?: string,
  ): Promise<Leaf> {
    const key = keyPem ?? (await generateKey());
    const keyFile = path.join(dir, `${name}.key`);
    await writeFile(keyFile, key, { mode: 0o600 });
    const csr = await createCsr(keyFile, name);
    const cert = await signCsr({
      csrPem: csr,
      caCertFile: signer.certFile,
      caKeyFile: signer.keyFile,
      subject: { O: "test", CN: name },
      usage,
      hosts,
    });
    return { key, cert };
  }

  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "ovz-dial-"));
    const ours = await ca("ours");
    const other = await ca("other");
    serverLeaf = await leaf("node", ours, "server", ["127.0.0.1"]);
    const client = await leaf("panel", ours, "client");
    panel = { ca: ours.cert, cert: client.cert, key: client.key };
    foreign = {
      clientCert: (await leaf("panel-other", other, "client", undefined, client.key)).cert,
      serverCert: (await leaf("node-other", other, "server", ["127.0.0.1"], serverLeaf.key)).cert,
    };
    nodeTls = { key: Buffer.from(serverLeaf.key), cert: Buffer.from(serverLeaf.cert), ca: Buffer.from(ours.cert) };
    archive = Buffer.alloc(300_000, 7);
    const archiveFile = path.join(dir, "b1.tar.zst");
    await writeFile(archiveFile, archive);
    const sha256 = createHash("sha256").update(archive).digest("hex");
    server = await listenTls(handlers, {
      host: "127.0.0.1",
      port: 0,
      tls: nodeTls,
      log: (l) => logs.push(l),
      backupFiles: async (id) => {
        if (id !== "101-20261123T191615Z-a3f9c2") throw new EngineError("NOT_FOUND", `backup ${id} does not exist`);
        return { path: archiveFile, sizeBytes: archive.length, sha256 };
      },
    });
    port = (server.address() as net.AddressInfo).port;
    // a node whose certificate another CA signed (for the same key and address)
    foreignServer = await listenTls(handlers, {
      host: "127.0.0.1",
      port: 0,
      tls: { ...nodeTls, cert: Buffer.from(foreign.serverCert) },
    });
    foreignPort = (foreignServer.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    await new Promise((r) => server?.close(r));
    await new Promise((r) => foreignServer?.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it("carries typed calls and engine errors over tls://", async () => {
    const c = new EngineClient(`tls://127.0.0.1:${port}`, { tls: panel });
    try {
      expect(await c.call("container.status", { ctid: 101 })).toMatchObject({ ctid: 101, hostname: "ct101" });
      await expect(c.call("container.status", { ctid: 404 })).rejects.toMatchObject({
        code: "NOT_FOUND",
        message: "container 404 does not exist",
      });
      // many calls on the one connection
      const all = await Promise.all([102, 103, 104].map((ctid) => c.call("container.status", { ctid })));
      expect(all.map((x) => x.hostname)).toEqual(["ct102", "ct103", "ct104"]);
    } finally {
      c.close();
    }
  });

  it("reads the panel's credentials from its PKI directory (OVZ_PANEL_PKI)", async () => {
    const pki = path.join(dir, "pki");
    await rm(pki, { recursive: true, force: true });
    const none = await dialEngine(`tls://127.0.0.1:${port}`, { pkiDir: pki }).catch((x: unknown) => x);
    expect((none as Error).message).toMatch(
      new RegExp(
        `^cannot reach the host engine at tls://127\\.0\\.0\\.1:${port}: the panel has no client certificate in ${pki} \\(OVZ_PANEL_PKI\\)`,
      ),
    );
    const { mkdir } = await import("node:fs/promises");
    await mkdir(pki, { mode: 0o700 });
    await writeFile(path.join(pki, PANEL_PKI_FILES.caCert), panel.ca);
    await writeFile(path.join(pki, PANEL_PKI_FILES.clientCert), panel.cert);
    await writeFile(path.join(pki, PANEL_PKI_FILES.clientKey), panel.key, { mode: 0o600 });
    expect((await loadPanelCredentials(pki)).cert.toString()).toBe(panel.cert);
    const c = new EngineClient(`tls://127.0.0.1:${port}`, { pkiDir: pki });
    try {
      expect(await c.call("container.status", { ctid: 7 })).toMatchObject({ ctid: 7 });
    } finally {
      c.close();
    }
  });

  it("streams a raw method (backup.download) over tls:// byte for byte", async () => {
    const { info, body } = await openBackupDownload(`tls://127.0.0.1:${port}`, "101-20261123T191615Z-a3f9c2", {
      tls: panel,
    });
    expect(info.sizeBytes).toBe(archive.length);
    const chunks: Buffer[] = [];
    for await (const ch of body) chunks.push(ch as Buffer);
    expect(Buffer.concat(chunks).equals(archive)).toBe(true);
    await expect(
      openBackupDownload(`tls://127.0.0.1:${port}`, "101-20200101T000000Z-abcdef", { tls: panel }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
  });

  it("the node refuses a client without a certificate, with another CA's, or with a server certificate", async () => {
    const cases: [string, TlsCredentials][] = [
      ["no certificate", { ca: panel.ca, cert: undefined as unknown as string, key: undefined as unknown as string }],
      ["another CA's client certificate", { ...panel, cert: foreign.clientCert }],
      ["the node's own server certificate", { ca: panel.ca, cert: serverLeaf.cert, key: serverLeaf.key }],
    ];
    for (const [what, creds] of cases) {
      logs.length = 0;
      const e = await dialEngine(`tls://127.0.0.1:${port}`, { tls: creds }).catch((x: unknown) => x);
      expect(e, what).toBeInstanceOf(EngineError);
      expect((e as EngineError).message, what).toMatch(
        new RegExp(
          `^cannot reach the host engine at tls://127\\.0\\.0\\.1:${port}: the node (refused|closed the connection during the TLS handshake: it did not accept) the panel's client certificate`,
        ),
      );
      // and nothing gets through: a client that ignores the refusal gets no answer to a call either
      const c = new EngineClient(`tls://127.0.0.1:${port}`, { tls: creds });
      await expect(c.call("container.status", { ctid: 1 }), what).rejects.toThrow(/cannot reach the host engine/);
      c.close();
      await new Promise((r) => setTimeout(r, 50));
      expect(logs.join("\n"), what).toMatch(/TLS client \S+ refused/);
    }
  });

  it("the panel refuses a node whose certificate another CA signed, or one made for another host", async () => {
    const wrongCa = await dialEngine(`tls://127.0.0.1:${foreignPort}`, { tls: panel }).catch((x: unknown) => x);
    expect((wrongCa as Error).message).toMatch(
      /the node's certificate was not issued by this panel's CA \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\); join the node to this panel again/,
    );
    const wrongHost = await dialEngine(`tls://localhost:${port}`, { tls: panel }).catch((x: unknown) => x);
    expect((wrongHost as Error).message).toMatch(
      /^cannot reach the host engine at tls:\/\/localhost:\d+: the node's certificate is not for localhost/,
    );
  });

  it("says what to check when nothing listens or nothing answers", async () => {
    const free = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const refused = await dialEngine(`tls://127.0.0.1:${free}`, { tls: panel }).catch((x: unknown) => x);
    expect((refused as Error).message).toBe(
      `cannot reach the host engine at tls://127.0.0.1:${free}: connection refused; is the node's engine running with OVZ_LISTEN=127.0.0.1:${free}?`,
    );
    // a TCP server that never speaks TLS
    const silent = net.createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, "127.0.0.1", r));
    try {
      const p = (silent.address() as net.AddressInfo).port;
      const t0 = Date.now();
      const e = await dialEngine(`tls://127.0.0.1:${p}`, { tls: panel, timeoutMs: 500 }).catch((x: unknown) => x);
      expect((e as Error).message).toMatch(/no TLS answer within 0\.5 s; check the address, the port and any firewall/);
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      silent.close();
    }
  });

  it("a node without its TLS files (or with a readable key) refuses to listen and says to join first", async () => {
    const tdir = path.join(dir, "node-tls");
    const { mkdir } = await import("node:fs/promises");
    await mkdir(tdir, { recursive: true });
    await writeFile(path.join(tdir, NODE_TLS_FILES.cert), serverLeaf.cert);
    await expect(readNodeTls(tdir, "198.18.250.2:7443")).rejects.toThrow(
      new RegExp(
        `^OVZ_LISTEN=198\\.18\\.250\\.2:7443 needs this node's TLS files in ${tdir} \\(node\\.key, node\\.crt, ca\\.crt\\); missing: node\\.key, ca\\.crt\\. Run ovz-node join first`,
      ),
    );
    await writeFile(path.join(tdir, NODE_TLS_FILES.ca), nodeTls.ca);
    await writeFile(path.join(tdir, NODE_TLS_FILES.key), serverLeaf.key, { mode: 0o644 });
    await chmod(path.join(tdir, NODE_TLS_FILES.key), 0o644);
    await expect(readNodeTls(tdir, "198.18.250.2:7443")).rejects.toThrow(
      /is readable by others \(mode 644\); chmod 600 it/,
    );
    await chmod(path.join(tdir, NODE_TLS_FILES.key), 0o600);
    const ok = await readNodeTls(tdir, "198.18.250.2:7443");
    expect(fingerprint256(ok.ca)).toBe(fingerprint256(nodeTls.ca));
  });
});
