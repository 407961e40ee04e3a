/**
 * Migration between two real engines (two nodes: own state dir, btrfs pool, netns), driven the way the
 * panel drives it (protocol/migrate-run.ts; bytes relayed by this process). Both nodes sit on one LAN
 * (a bridge in a third netns this test creates; addresses from 198.18.60.0/24) through their uplink
 * `upl0`; a client on the LAN holds a TCP connection to a venet container.
 *
 * - live: the counter under the container's init continues on the target, the SAME TCP connection
 *   carries data afterwards (the target answers ARP for the address and announces it), nothing stays on
 *   the source;
 * - a target engine killed in the middle: the container keeps running on the source (same connection),
 *   the restarted target holds nothing of it;
 * - offline: a stopped container moves with its files;
 * - refusals: a CTID in use on the target, a live move of a stopped container.
 */
import { existsSync } from "node:fs";
import { appendFile, readFile, readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { run } from "../../src/exec.js";
import { dialEngine } from "../../src/protocol/dial.js";
import { migrate, type MigrateEnd } from "../../src/protocol/migrate-run.js";
import { EchoClient, until } from "../helpers/echo-client.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

const CT = 261;
const OFF = 262;
const IP = "198.18.60.50";
const PORT = 7000;
let A: TestEngine;
let B: TestEngine;
let lan = "";

const inNs = (ns: string, cmd: string, args: string[]) =>
  run("ip", ["netns", "exec", ns, cmd, ...args], { allowFailure: true });
const end = (te: TestEngine, name: string): MigrateEnd => ({ name, endpoint: te.env.OVZ_SOCKET!, engine: te.client });

async function counterOf(te: TestEngine, ctid: number): Promise<number[]> {
  const r = await te.client.call("container.exec", { ctid, argv: ["cat", "/root/counter"] });
  return r.stdout.trim().split("\n").filter(Boolean).map(Number);
}

/** A busybox container on A with a counter and a TCP echo server under its init. */
async function makeServiceContainer(): Promise<void> {
  const c = await A.client.call("container.create", { ctid: CT, template: "busybox", net: { venet: [IP] } });
  await appendFile(
    path.join(c.rootfs, "etc/inittab"),
    [
      `::respawn:/bin/sh -c 'exec </dev/null >/dev/null 2>&1; i=0; while :; do i=$((i+1)); echo $i >> /root/counter; sleep 0.1; done'`,
      `::respawn:/bin/sh -c 'exec </dev/null >/dev/null 2>&1; exec nc -ll -p ${PORT} -e /bin/cat'`,
      "",
    ].join("\n"),
  );
  await A.client.call("container.start", { ctid: CT });
  await until(async () => (await counterOf(A, CT).catch(() => [])).length >= 5, 10_000, "the counter");
}

describeRoot("migration between two nodes (real engines, CRIU, a LAN in test netns)", () => {
  beforeAll(async () => {
    [A, B] = await Promise.all([
      startTestEngine({ env: { OVZ_NET_UPLINKS: "upl0" } }),
      startTestEngine({ env: { OVZ_NET_UPLINKS: "upl0" } }),
    ]);
    await Promise.all([
      A.client.call("template.build", { kind: "busybox" }),
      B.client.call("template.build", { kind: "busybox" }),
    ]);
    lan = `${A.netns}-lan`;
    await run("ip", ["netns", "add", lan]);
    await inNs(lan, "ip", ["link", "set", "lo", "up"]);
    await inNs(lan, "ip", ["link", "add", "br0", "type", "bridge"]);
    await inNs(lan, "ip", ["addr", "add", "198.18.60.1/24", "dev", "br0"]);
    await inNs(lan, "ip", ["link", "set", "br0", "up"]);
    for (const [te, port, addr] of [
      [A, "na0", "198.18.60.2/24"],
      [B, "nb0", "198.18.60.3/24"],
    ] as const) {
      await te.inNetns("ip", ["link", "add", "upl0", "type", "veth", "peer", "name", port]);
      await te.inNetns("ip", ["link", "set", port, "netns", lan]);
      await te.inNetns("ip", ["addr", "add", addr, "dev", "upl0"]);
      await te.inNetns("ip", ["link", "set", "upl0", "up"]);
      await inNs(lan, "ip", ["link", "set", port, "master", "br0"]);
      await inNs(lan, "ip", ["link", "set", port, "up"]);
    }
  }, 180_000);
  afterAll(async () => {
    try {
      await Promise.all([A?.cleanup(), B?.cleanup()]);
    } finally {
      if (lan) await run("ip", ["netns", "del", lan], { allowFailure: true }); // even when an engine's clean-up failed
    }
  });

  it("live: the counter continues on the target and the same TCP connection carries data; nothing stays on the source", async () => {
    await makeServiceContainer();
    const client = new EchoClient(lan, IP, PORT);
    try {
      await client.connected();
      const port = client.port();
      expect(port).toBeDefined();
      client.send("before");
      await client.expectEcho("before");
      const lines: string[] = [];
      const t0 = Date.now();
      const r = await migrate({
        ctid: CT,
        live: true,
        source: end(A, "node-a"),
        target: end(B, "node-b"),
        dial: (e) => dialEngine(e),
        log: (l) => lines.push(`+${Date.now() - t0} ms ${l}`),
        progress: () => {},
      });
      expect(r.info.state).toBe("running");
      expect(r.warning, r.warning ?? "").toBeNull();
      expect(r.frozenMs).not.toBeNull();
      expect(r.bytes.base).toBeGreaterThan(100_000); // the busybox rootfs
      expect(r.bytes.dump).toBeGreaterThan(10_000); // CRIU images
      expect(lines.join("\n")).toMatch(/frozen for \d+ ms/);

      // the container runs on B, from its dump (the counter continues: one unbroken sequence)
      const onB = await B.client.call("container.status", { ctid: CT });
      expect(onB.state).toBe("running");
      const before = await counterOf(B, CT);
      await until(
        async () => (await counterOf(B, CT)).length > before.length + 5,
        10_000,
        "the counter to continue on B",
      );
      const after = await counterOf(B, CT);
      after.forEach((n, i) => expect(n).toBe(i + 1));
      // same uid range as on A (CRIU restores the user namespace as dumped)
      expect(onB.idmap.hostId).toBeGreaterThan(0);
      // its own view of /proc came along: B's lxcfs answers (MemTotal = the ram limit, not the host's memory)
      const meminfo = await B.client.call("container.exec", { ctid: CT, argv: ["cat", "/proc/meminfo"] });
      expect(meminfo.code, meminfo.stderr).toBe(0);
      expect(Number(/^MemTotal:\s+(\d+) kB$/m.exec(meminfo.stdout)?.[1]) * 1024).toBe(onB.limits.ram);

      // the SAME connection, through B now: B answers ARP for the address
      client.send("after");
      await client.expectEcho("after");
      expect(client.port()).toBe(port);
      expect(client.out.match(/CONNECTED/g)!.length).toBe(1);
      expect((await B.inNetns("ip", ["neigh", "show", "proxy", "dev", "upl0"])).stdout).toContain(IP);
      expect((await A.inNetns("ip", ["neigh", "show", "proxy", "dev", "upl0"])).stdout).not.toContain(IP);
      const bMac = JSON.parse((await B.inNetns("ip", ["-j", "link", "show", "upl0"])).stdout)[0].address;
      expect((await inNs(lan, "ip", ["neigh", "show", IP])).stdout).toContain(bMac);

      // nothing of it on A
      expect((await A.client.call("container.list", {})).map((c) => c.ctid)).not.toContain(CT);
      expect(await leftovers(A, CT)).toEqual([]);
      expect(await readdir(path.join(A.stateDir, "journal"))).toEqual([]);
      expect(await readdir(path.join(B.stateDir, "journal"))).toEqual([]);
      console.log(lines.join("\n"));
      console.log(
        `[migrate] live: frozen ${r.frozenMs} ms, total ${r.totalMs} ms, base ${r.bytes.base} B, delta ${r.bytes.delta} B, dump ${r.bytes.dump} B`,
      );
    } finally {
      client.stop();
    }
  }, 180_000);

  it("a target engine killed midway: the container keeps running on the source with its connection; the target keeps nothing", async () => {
    // the container is on B now: migrate it back to A, and kill A's engine while it receives the dump
    const client = new EchoClient(lan, IP, PORT);
    try {
      await client.connected();
      client.send("one");
      await client.expectEcho("one");
      const lines: string[] = [];
      let killed = false;
      const progress = (_p: number, message: string) => {
        if (!killed && /copying the dump/.test(message)) {
          killed = true;
          void A.kill9();
        }
      };
      const err = await migrate({
        ctid: CT,
        live: true,
        source: end(B, "node-b"),
        target: end(A, "node-a"),
        dial: (e) => dialEngine(e),
        log: (l) => lines.push(l),
        progress,
      }).catch((e: Error) => e);
      expect(killed).toBe(true);
      expect(err).toBeInstanceOf(Error);
      expect((err as Error).message).toMatch(/Migration of container 261 to node-a failed: .*it stays on node-b/);
      expect(lines.join("\n")).toMatch(/node-b: container 261 is running there/);

      // still running on B: counter continues, same connection
      const st = await B.client.call("container.status", { ctid: CT });
      expect(st.state).toBe("running");
      expect(st.checkpoint).toBeNull();
      const c1 = await counterOf(B, CT);
      await until(async () => (await counterOf(B, CT)).length > c1.length + 3, 10_000, "the counter on B");
      client.send("two");
      await client.expectEcho("two");
      expect(client.out.match(/CONNECTED/g)!.length).toBe(1);
      expect(await B.client.call("snapshot.list", { ctid: CT })).toEqual([]);

      // the target restarts and removes the half-received container (its journal)
      await A.start();
      expect((await A.client.call("container.list", {})).map((c) => c.ctid)).not.toContain(CT);
      expect(await leftovers(A, CT)).toEqual([]);
      expect(await readdir(path.join(A.stateDir, "journal"))).toEqual([]);
      expect(existsSync(path.join(A.stateDir, "pool", "containers", `.incoming-${CT}`))).toBe(false);
    } finally {
      client.stop();
    }
    await B.client.call("container.stop", { ctid: CT, force: true });
    await B.client.call("container.destroy", { ctid: CT });
    expect(await leftovers(B, CT)).toEqual([]);
  }, 180_000);

  it("offline: a stopped container moves with its files; refusals are clear and leave both nodes as they were", async () => {
    const c = await A.client.call("container.create", {
      ctid: OFF,
      template: "busybox",
      hostname: "moving",
      limits: { ram: 256 * 1024 * 1024 },
      features: ["fuse"],
    });
    await writeFile(path.join(c.rootfs, "root/data.txt"), "kept across nodes\n");
    // live needs a running container
    const e1 = await migrate({
      ctid: OFF,
      live: true,
      source: end(A, "node-a"),
      target: end(B, "node-b"),
      dial: (e) => dialEngine(e),
      log: () => {},
      progress: () => {},
    }).catch((e) => e);
    expect(e1.code).toBe("NOT_RUNNING");
    expect(e1.message).toMatch(/migrate it offline instead/);
    // the CTID is taken on the target
    await B.client.call("container.create", { ctid: OFF, template: "busybox" });
    const e2 = await migrate({
      ctid: OFF,
      live: false,
      source: end(A, "node-a"),
      target: end(B, "node-b"),
      dial: (e) => dialEngine(e),
      log: () => {},
      progress: () => {},
    }).catch((e) => e);
    expect(e2.code).toBe("CTID_IN_USE");
    expect((await B.client.call("container.status", { ctid: OFF })).hostname).toBe(`ct${OFF}`); // B's own one is untouched
    await B.client.call("container.destroy", { ctid: OFF });
    expect(await A.client.call("snapshot.list", { ctid: OFF })).toEqual([]);

    const r = await migrate({
      ctid: OFF,
      live: false,
      source: end(A, "node-a"),
      target: end(B, "node-b"),
      dial: (e) => dialEngine(e),
      log: () => {},
      progress: () => {},
    });
    expect(r.info.state).toBe("stopped");
    expect(r.frozenMs).toBeNull();
    const onB = await B.client.call("container.status", { ctid: OFF });
    expect(onB.hostname).toBe("moving");
    // its features move with it, and the target makes their device nodes
    expect(onB.features).toEqual(["fuse"]);
    expect((await B.client.call("container.limits", { ctid: OFF })).configured.ram).toBe(256 * 1024 * 1024);
    expect(await readFile(path.join(onB.rootfs, "root/data.txt"), "utf8")).toBe("kept across nodes\n");
    expect(r.warning, r.warning ?? "").toBeNull();
    expect(await leftovers(A, OFF)).toEqual([]);
    await B.client.call("container.start", { ctid: OFF });
    expect((await B.client.call("container.exec", { ctid: OFF, argv: ["cat", "/root/data.txt"] })).stdout).toBe(
      "kept across nodes\n",
    );
    const fuse = await B.client.call("container.exec", {
      ctid: OFF,
      argv: ["sh", "-c", "test -c /dev/fuse && echo ok"],
    });
    expect(fuse.stdout.trim()).toBe("ok");
    await B.client.call("container.destroy", { ctid: OFF, force: true });
    expect(await leftovers(B, OFF)).toEqual([]);
  }, 180_000);
});
