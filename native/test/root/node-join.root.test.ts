/**
 * A node on "another host", end to end with real pieces: a real engine in its own network namespace,
 * linked to this one by a veth pair on a /30 of 198.18.250.0/24 only; the panel's services on a private
 * PostgreSQL cluster (more than one node needs it) behind the real join route (POST /api/nodes/join on a
 * loopback HTTP server); the real `ovz-node join` tool writing the node's TLS files; the engine restarted
 * with OVZ_LISTEN. Then the panel side reaches the engine only over tls:// through the veth: engine.info
 * via tRPC nodes.info, a container created, listed and entered (console raw stream) over mutual TLS.
 * Refused: clients without a certificate, with another CA's, with the node's own server certificate; a
 * reused token; an engine told to listen before it joined.
 */
import { X509Certificate } from "node:crypto";
import { createServer, type Server } from "node:http";
import { mkdtemp, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { REPO, startTestEngine, type TestEngine } from "../helpers/engine.js";
import { run } from "../../src/exec.js";
import { createCa, createCsr, generateKey, signCsr } from "../../src/pki.js";
import { EngineClient } from "../../src/protocol/client.js";
import { openConsole } from "../../src/protocol/console-client.js";
import { dialEngine, PANEL_PKI_FILES } from "../../src/protocol/dial.js";
import { NODE_TLS_FILES } from "../../src/protocol/tls-server.js";
import type { Actor } from "../../../server/auth/roles.js";
import { createDb, type Db } from "../../../server/db/client.js";
import { migrate } from "../../../server/db/migrate.js";
import { resetEngines } from "../../../server/engine/index.js";
import { appRouter } from "../../../server/routers/index.js";
import { seed } from "../../../server/seed.js";
import { handleJoinRequest } from "../../../server/http/node-join.js";
import { startPgCluster, type PgCluster } from "../../../server/test/helpers/pg-cluster.js";
import { makeContext } from "../../../server/trpc/context.js";
import { createCallerFactory } from "../../../server/trpc/init.js";

const CT = 141;
const PORT = 7443;
let te: TestEngine;
let pg: PgCluster | null = null;
let db: Db | null = null;
let http: Server | null = null;
let panelUrl = "";
let pki = "";
let tmp = "";
let admin: Actor;
const savedPki = process.env.OVZ_PANEL_PKI;

const caller = () => createCallerFactory(appRouter)(makeContext({ db: db!, actor: admin }));

/** ovz-node join as the admin would paste it from the Nodes page, pointed at the test engine's state dir. */
function joinTool(command: string, stateDir: string) {
  const [assignment, tool, ...args] = command.split(" ");
  const token = /^OVZ_JOIN_TOKEN=(\S+)$/.exec(assignment!)?.[1];
  expect(token, "the token goes in the environment, not in ovz-node's arguments").toHaveLength(43);
  expect(tool).toBe("ovz-node");
  return run(process.execPath, ["--import", "tsx", "native/src/tools/node-join.ts", ...args, "--state-dir", stateDir], {
    cwd: REPO,
    allowFailure: true,
    timeoutMs: 60_000,
    env: { ...process.env, OVZ_JOIN_TOKEN: token },
  });
}

describeRoot("a node joined with a token, reached over mutual TLS", () => {
  let endpoint = "";
  let token = "";
  let command = "";

  beforeAll(async () => {
    tmp = await mkdtemp(path.join(os.tmpdir(), "ovz-nodejoin-"));
    pki = path.join(tmp, "panel-pki");
    process.env.OVZ_PANEL_PKI = pki;
    te = await startTestEngine({ link: { subnet: 250 } });
    await te.client.call("template.build", { kind: "busybox" });

    pg = await startPgCluster();
    pg.createDatabase("panel");
    await migrate(pg.url("panel"));
    db = createDb(pg.url("panel"));
    await seed(db, {
      email: "admin@node-join.test",
      password: "node-join-password",
      socket: "/run/ovz-test/not-used.sock",
      defaultPool: false,
    });
    const u = await db.user.findUniqueOrThrow({ where: { email: "admin@node-join.test" } });
    admin = { userId: u.id, role: "admin", tenantId: u.tenantId, label: u.email, via: "session" };

    // the panel's join route on loopback (the node's tool reaches it like a browser would)
    http = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const request = new Request(`http://127.0.0.1${req.url}`, {
          method: req.method,
          headers: req.headers as Record<string, string>,
          body: req.method === "POST" ? Buffer.concat(chunks) : undefined,
        });
        const routed =
          req.method === "POST" && req.url === "/api/nodes/join"
            ? handleJoinRequest(request, db!)
            : Promise.resolve(new Response("not found", { status: 404 }));
        void routed.then(async (r) => {
          res.writeHead(r.status, Object.fromEntries(r.headers));
          res.end(Buffer.from(await r.arrayBuffer()));
        });
      });
    });
    await new Promise<void>((r) => http!.listen(0, "127.0.0.1", r));
    panelUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    resetEngines();
    await new Promise((r) => (http ? http.close(r) : r(null)));
    await db?.$disconnect();
    pg?.stop();
    await te?.cleanup();
    if (tmp) await rm(tmp, { recursive: true, force: true });
    if (savedPki === undefined) delete process.env.OVZ_PANEL_PKI;
    else process.env.OVZ_PANEL_PKI = savedPki;
  });

  it("ovz-node join with the admin's token writes the node's TLS files; with OVZ_LISTEN the panel reaches the engine over tls://", async () => {
    const listen = `${te.link!.nodeIp}:${PORT}`;
    const t = await caller().nodes.createJoinToken({ nodeName: "node-2", listen, panelUrl });
    token = t.token;
    command = t.command;
    const out = await joinTool(command, te.stateDir);
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toContain(`Joined the panel at ${panelUrl} as node "node-2" (tls://${listen}).`);
    expect(out.stdout).toContain(`OVZ_LISTEN=${listen}`);
    expect(out.stdout).not.toContain("warning"); // --ca-sha256 was checked

    const dir = path.join(te.stateDir, "tls");
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    expect((await stat(path.join(dir, NODE_TLS_FILES.key))).mode & 0o777).toBe(0o600);
    expect(await readFile(path.join(dir, NODE_TLS_FILES.ca), "utf8")).toBe(
      await readFile(path.join(pki, PANEL_PKI_FILES.caCert), "utf8"),
    );
    expect(new X509Certificate(await readFile(path.join(dir, NODE_TLS_FILES.cert))).checkIP(te.link!.nodeIp)).toBe(
      te.link!.nodeIp,
    );
    expect((await stat(path.join(pki, PANEL_PKI_FILES.caKey))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(pki, PANEL_PKI_FILES.clientKey))).mode & 0o777).toBe(0o600);

    const node = await db!.node.findUniqueOrThrow({ where: { name: "node-2" } });
    endpoint = await te.serveTls(PORT);
    expect(node.endpoint).toBe(endpoint);
    expect(await te.log()).toContain(`and tls://${listen} (mutual TLS)`);

    // the panel's own path: tRPC nodes.info → engineFor(tls://…) → the engine in the other namespace
    const info = await caller().nodes.info({ nodeId: node.id });
    expect(info).toMatchObject({ protocol: 1, containers: 0, hostname: os.hostname() });
    expect((await caller().nodes.list()).find((n) => n.name === "node-2")).toMatchObject({ kind: "tls", endpoint });

    // a container over TLS: create, start, list, and a console session (a raw stream) into it
    const c = new EngineClient(endpoint);
    try {
      await c.call("container.create", { ctid: CT, template: "busybox", hostname: "over-tls.test" });
      await c.call("container.start", { ctid: CT });
      expect((await c.call("container.list", {})).map((x) => [x.ctid, x.state])).toEqual([[CT, "running"]]);
      const con = await openConsole(endpoint, {
        ctid: CT,
        cols: 80,
        rows: 24,
        command: ["/bin/sh", "-c", "echo hello-$(hostname); exit 3"],
      });
      let screen = "";
      con.onData((d) => (screen += d.toString()));
      expect((await con.exited).code).toBe(3);
      expect(screen).toContain("hello-over-tls.test");
      await c.call("container.destroy", { ctid: CT, force: true });
      expect(await c.call("container.list", {})).toEqual([]);
    } finally {
      c.close();
    }
  });

  it("the node refuses clients without the panel's client certificate; the token works only once", async () => {
    expect(endpoint).not.toBe("");
    const panelCa = await readFile(path.join(pki, PANEL_PKI_FILES.caCert), "utf8");
    // another CA and a client certificate it signed
    await writeFile(path.join(tmp, "other.key"), await generateKey(), { mode: 0o600 });
    await writeFile(path.join(tmp, "other.crt"), await createCa(path.join(tmp, "other.key"), "other CA"));
    const clientKey = await generateKey();
    await writeFile(path.join(tmp, "client.key"), clientKey, { mode: 0o600 });
    const otherCert = await signCsr({
      csrPem: await createCsr(path.join(tmp, "client.key"), "intruder"),
      caCertFile: path.join(tmp, "other.crt"),
      caKeyFile: path.join(tmp, "other.key"),
      subject: { O: "x", CN: "intruder" },
      usage: "client",
    });
    const nodeKey = await readFile(path.join(te.stateDir, "tls", NODE_TLS_FILES.key), "utf8");
    const nodeCert = await readFile(path.join(te.stateDir, "tls", NODE_TLS_FILES.cert), "utf8");
    for (const [what, creds] of [
      [
        "no client certificate",
        { ca: panelCa, cert: undefined as unknown as string, key: undefined as unknown as string },
      ],
      ["another CA's client certificate", { ca: panelCa, cert: otherCert, key: clientKey }],
      ["the node's own server certificate", { ca: panelCa, cert: nodeCert, key: nodeKey }],
    ] as const) {
      const e = await dialEngine(endpoint, { tls: creds }).catch((x: unknown) => x);
      expect((e as Error).message, what).toMatch(
        /the node (refused|closed the connection during the TLS handshake: it did not accept) the panel's client certificate/,
      );
      const c = new EngineClient(endpoint, { tls: creds });
      await expect(c.call("container.list", {}), what).rejects.toThrow(/cannot reach the host engine/);
      c.close();
    }
    expect(await te.log()).toMatch(/TLS client \S+ refused during the handshake/);

    // the same token again (another host trying it): refused, nothing written, no node added
    const other = path.join(tmp, "second-node-state");
    const again = await joinTool(command, other);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/the panel refused the join \(HTTP 401\): This join token was used already/);
    expect(await stat(path.join(other, "tls", NODE_TLS_FILES.cert)).catch(() => null)).toBeNull();
    expect(await db!.node.count()).toBe(2);
    expect(token).toHaveLength(43);
  });

  it("an engine told to listen before it joined refuses to start and says to run ovz-node join", async () => {
    await te.stop();
    const dir = path.join(te.stateDir, "tls");
    await rename(dir, `${dir}.away`);
    try {
      const e = await te.start({ OVZ_LISTEN: `${te.link!.nodeIp}:${PORT}` }).catch((x: unknown) => x);
      expect(String(e)).toMatch(/engine exited during start-up/);
      expect(await te.log()).toMatch(
        /fatal: OVZ_LISTEN=198\.18\.250\.\d+:7443 needs this node's TLS files in .*\/tls \(node\.key, node\.crt, ca\.crt\); missing: node\.key, node\.crt, ca\.crt\. Run ovz-node join first/,
      );
    } finally {
      await rename(`${dir}.away`, dir);
    }
    await te.start(); // Unix socket only, for the clean-up
  });
});
