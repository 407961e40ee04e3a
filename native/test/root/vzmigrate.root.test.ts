/**
 * vzmigrate through the wrappers scripts/install-cli.sh installs, against two real engines registered as
 * two nodes of one panel database: the panel's migration operation moves the container live, and its
 * row and address with it; a target engine that is down fails the move and changes nothing; bad input
 * gets OpenVZ's exit codes.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Db } from "../../../server/db/client.js";
import { describeRoot } from "../helpers/root.js";
import { cliShell, type CliShell } from "../helpers/cli-shell.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let A: TestEngine;
let B: TestEngine;
let cli: CliShell;
let db: Db;

/** A script run on node A (OVZ_SOCKET names the node the commands act on), or on node B. */
const sh = (script: string, on: "A" | "B" = "A") => cli.sh(script, { socket: (on === "A" ? A : B).env.OVZ_SOCKET! });
const ok = (script: string, on: "A" | "B" = "A") => cli.ok(script, { socket: (on === "A" ? A : B).env.OVZ_SOCKET! });

describeRoot("vzmigrate between two nodes of one panel", () => {
  beforeAll(async () => {
    [A, B] = await Promise.all([startTestEngine(), startTestEngine()]);
    await Promise.all([
      A.client.call("template.build", { kind: "busybox" }),
      B.client.call("template.build", { kind: "busybox" }),
    ]);
    cli = await cliShell(A.env.OVZ_SOCKET!, { name: "vzmigrate" });
    db = cli.db;
    await db.node.create({ data: { name: "node-b", endpoint: B.env.OVZ_SOCKET! } });
  }, 180_000);
  afterAll(async () => {
    try {
      await cli?.close();
    } finally {
      await Promise.all([A?.cleanup(), B?.cleanup()]);
    }
  });

  it("vzmigrate --online moves a running container with its address; the panel's rows follow", async () => {
    await ok("vzctl create 101 --ostemplate busybox --config starter --hostname mover");
    await ok("vzctl start 101");
    const row0 = await db.container.findFirstOrThrow({ where: { ctid: 101 }, include: { node: true } });
    expect(row0.node.name).toBe("local");
    const [ip] = await db.ipAddress.findMany({ where: { containerId: row0.id } });
    expect(ip).toBeDefined();

    const out = await ok("vzmigrate --online -v node-b 101");
    expect(out).toContain("Starting online migration of CT 101 to node-b");
    expect(out).toMatch(/frozen for \d+ ms/);
    expect(out).toContain("Migration of CT 101 to node-b completed");

    const row = await db.container.findFirstOrThrow({ where: { ctid: 101 }, include: { node: true } });
    expect(row.node.name).toBe("node-b");
    expect(row.state).toBe("running");
    expect((await db.ipAddress.findUniqueOrThrow({ where: { id: ip!.id } })).nodeId).toBe(row.nodeId);
    const onB = await B.client.call("container.status", { ctid: 101 });
    expect(onB.state).toBe("running");
    expect(onB.hostname).toBe("mover");
    expect(onB.ips).toEqual([ip!.address]);
    expect((await A.client.call("container.list", {})).map((c) => c.ctid)).not.toContain(101);
    expect(await leftovers(A, 101)).toEqual([]);
    // vzctl acts on its own node's containers: on B it finds 101, on A no more
    expect((await ok("vzctl exec 101 hostname", "B")).trim()).toBe("mover");
    expect((await sh("vzctl exec 101 hostname", "A")).code).toBe(14);
    const op = await db.operation.findFirstOrThrow({ where: { containerId: row.id, type: "migrate" } });
    expect(op.status).toBe("succeeded");
    expect((await db.auditLog.findMany({ where: { action: "container.migrated" } })).length).toBe(1);
  }, 180_000);

  it("a destination whose engine is down: the move fails, the container keeps running where it was, nothing changes", async () => {
    await A.kill9();
    const r = await sh("vzmigrate --online local 101", "B");
    expect(r.code).toBe(6);
    expect(r.stderr).toMatch(/Migration of container 101 to local failed: .*it stays on node-b/);
    await A.start();
    const row = await db.container.findFirstOrThrow({ where: { ctid: 101 }, include: { node: true } });
    expect(row.node.name).toBe("node-b");
    expect((await B.client.call("container.status", { ctid: 101 })).state).toBe("running");
    expect((await A.client.call("container.list", {})).map((c) => c.ctid)).not.toContain(101);
    expect(await B.client.call("snapshot.list", { ctid: 101 })).toEqual([]); // the .mig snapshots are gone
  }, 120_000);

  it("a vzmigrate killed after the destination runs the container: the next command completes the move", async () => {
    const killed = await sh("OVZ_PANEL_CRASH_AT=migrate:finished vzmigrate --online local 101", "B");
    expect(killed.code).not.toBe(0); // SIGKILL
    // the container already runs on A, its old copy is still on B, the database still says B
    expect((await A.client.call("container.status", { ctid: 101 })).state).toBe("running");
    expect((await db.container.findFirstOrThrow({ where: { ctid: 101 }, include: { node: true } })).node.name).toBe(
      "node-b",
    );
    // any next command repairs it (as a panel restart would)
    await ok("vzlist -a >/dev/null; vzctl status 101", "A");
    const row = await db.container.findFirstOrThrow({ where: { ctid: 101 }, include: { node: true } });
    expect(row.node.name).toBe("local");
    expect((await B.client.call("container.list", {})).map((c) => c.ctid)).not.toContain(101);
    expect(await leftovers(B, 101)).toEqual([]);
    const op = await db.operation.findFirstOrThrow({
      where: { containerId: row.id, type: "migrate" },
      orderBy: { createdAt: "desc" },
      include: { lines: true },
    });
    expect(op.status).toBe("succeeded");
    expect(op.lines.map((l) => l.line).join("\n")).toMatch(/recovery: .* the move was completed/);
  }, 180_000);

  it("a vzmigrate killed right after the freeze: the next command undoes it, the container runs on the source again", async () => {
    const killed = await sh("OVZ_PANEL_CRASH_AT=migrate:frozen vzmigrate --online node-b 101", "A");
    expect(killed.code).not.toBe(0);
    expect((await A.client.call("container.status", { ctid: 101 })).state).toBe("suspended"); // dumped, waiting
    await ok("vzctl status 101", "A");
    expect((await A.client.call("container.status", { ctid: 101 })).state).toBe("running");
    const row = await db.container.findFirstOrThrow({ where: { ctid: 101 }, include: { node: true } });
    expect(row.node.name).toBe("local");
    expect((await B.client.call("container.list", {})).map((c) => c.ctid)).not.toContain(101);
    expect(await leftovers(B, 101)).toEqual([]);
    expect(await A.client.call("snapshot.list", { ctid: 101 })).toEqual([]);
    const op = await db.operation.findFirstOrThrow({
      where: { containerId: row.id, type: "migrate" },
      orderBy: { createdAt: "desc" },
    });
    expect(op.status).toBe("failed");
    expect(op.error).toMatch(/interrupted and undone; container 101 is running on local/);
    // and it can move again afterwards
    expect(await ok("vzmigrate --online node-b 101", "A")).toContain("completed");
  }, 180_000);

  it("bad input: unknown node, unknown CT, a stopped CT with --online, the node it is on", async () => {
    const unknownNode = await sh("vzmigrate node-x 101", "B");
    expect(unknownNode.code).toBe(1);
    expect(unknownNode.stderr).toMatch(/Unknown destination node node-x; registered nodes: local, node-b/);
    expect((await sh("vzmigrate local 999", "B")).code).toBe(10);
    const same = await sh("vzmigrate node-b 101", "B");
    expect(same.code).toBe(1);
    expect(same.stderr).toMatch(/already runs on node-b/);
    await ok("vzctl stop 101", "B");
    const stopped = await sh("vzmigrate --online local 101", "B");
    expect(stopped.code).toBe(2);
    expect(stopped.stderr).toMatch(/not running; migrate it without --online/);
    // offline back to the first node
    expect(await ok("vzmigrate local 101", "B")).toContain("completed");
    expect((await db.container.findFirstOrThrow({ where: { ctid: 101 }, include: { node: true } })).node.name).toBe(
      "local",
    );
    expect((await A.client.call("container.status", { ctid: 101 })).state).toBe("stopped");
    await ok("vzctl destroy 101");
    expect(await leftovers(A, 101)).toEqual([]);
    expect(await leftovers(B, 101)).toEqual([]);
  }, 180_000);
});
