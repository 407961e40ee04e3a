/**
 * Cloning real containers (busybox, btrfs pool): a RUNNING container is cloned with a file written inside; the
 * clone has the file (owners and modes as in the source, on disk too), its own ctid, hostname, name, uid range
 * and addresses and SSH host keys, boots and runs as itself; writes on either side stay on that side (CoW);
 * right after cloning the clone holds almost nothing exclusively (shared extents); destroying it leaves
 * nothing. A crash of the engine in the middle of a clone leaves nothing after restart (and a source frozen at
 * that moment runs again); bad input changes nothing. Then `prlctl clone` and `vzmlocal -C` as Virtuozzo's and
 * OpenVZ's docs write them, on the panel's database.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cliShell, type CliShell } from "../helpers/cli-shell.js";
import type { OpEvent } from "../../src/protocol/schema.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, staleQgroups, startTestEngine, type TestEngine } from "../helpers/engine.js";
import { treeListing } from "../helpers/tree.js";

let te: TestEngine;
const SRC = 201;
const COPY = 202;
const MiB = 1024 * 1024;
const sh = (ctid: number, script: string) =>
  te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script] });
const out = async (ctid: number, script: string) => {
  const r = await sh(ctid, script);
  expect(r.code, `${script}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
};
const srcKey = (rootfs: string) => path.join(rootfs, "etc/ssh/ssh_host_ed25519_key");
const fingerprint = (pub: string) => execFileSync("ssh-keygen", ["-l", "-f", pub], { encoding: "utf8" }).trim();
/** The host uid a process runs as (first field of Uid: in /proc/<pid>/status). */
const hostUid = async (pid: number) => Number(/^Uid:\s+(\d+)/m.exec(await readFile(`/proc/${pid}/status`, "utf8"))![1]);
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: { code?: string; message: string }) => e,
  );

/** What the engine shows of every container (a refused call must not change it). */
const world = async () =>
  (await te.client.call("container.list", {})).map((c) => ({
    ctid: c.ctid,
    name: c.name,
    hostname: c.hostname,
    state: c.state,
    ips: c.ips,
    initPid: c.initPid,
  }));

async function crashDuring(
  point: string,
  action: () => Promise<unknown>,
  whileDown: () => Promise<void> = async () => {},
): Promise<void> {
  await te.kill9();
  await te.start({ OVZ_CRASH_AT: point });
  const outcome = await action().then(
    () => "returned",
    (e: Error) => e.message,
  );
  expect(outcome, `the engine should have died at ${point}`).toMatch(/connection to the host engine closed/);
  expect(await te.waitExit()).toBe("SIGKILL");
  await whileDown();
  await te.start(); // recovery runs here
}

/** LXC's own view of a container's state (the engine may be down). */
const lxcState = async (ctid: number) =>
  (await te.inNetns("lxc-info", ["-n", String(ctid), "-P", path.join(te.stateDir, "lxc"), "-s", "-H"])).stdout.trim();

// ------------------------------------------------------------------------------ the CLI's environment

let cli: CliShell | undefined;
const ok = (script: string) => cli!.ok(script);
const bash = (script: string) => cli!.sh(script);

describeRoot("container clone (real LXC, btrfs)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
  });
  afterAll(async () => {
    await cli?.close();
    await te?.cleanup();
  });

  it("clones a running container: the files, its own identity and addresses, CoW, shared extents; destroy leaves nothing", async () => {
    await te.client.call("container.create", {
      ctid: SRC,
      template: "busybox",
      hostname: "src.test",
      name: "src",
      limits: { diskspace: "512M", ram: "256M" },
      net: { venet: ["198.18.7.1"] },
    });
    const src = await te.client.call("container.start", { ctid: SRC });
    await out(
      SRC,
      "mkdir -p /data /var/lib/dbus && echo hello > /data/file && chown 1000:1001 /data/file && chmod 4750 /data/file && " +
        "dd if=/dev/zero of=/data/big bs=1M count=24 2>/dev/null && " +
        "echo 0123456789abcdef0123456789abcdef > /etc/machine-id && cp /etc/machine-id /var/lib/dbus/machine-id && sync",
    );
    // an SSH host key, as a template with openssh-server carries it (made on the host, owned by the container's root)
    fs.mkdirSync(path.join(src.rootfs, "etc/ssh"), { recursive: true });
    execFileSync("ssh-keygen", ["-q", "-N", "", "-t", "ed25519", "-C", "root@src.test", "-f", srcKey(src.rootfs)]);
    const srcKeyFp = fingerprint(`${srcKey(src.rootfs)}.pub`);
    const srcExclusive = (await te.client.call("container.limits", { ctid: SRC })).disk.bytes;
    const srcData = await treeListing(path.join(src.rootfs, "data"));

    const events: OpEvent[] = [];
    const t0 = performance.now();
    const c = await te.client.call(
      "container.clone",
      { ctid: SRC, newCtid: COPY, hostname: "copy.test", name: "copy", net: { venet: ["198.18.7.2"] } },
      { onEvent: (e) => events.push(e) },
    );
    const tClone = performance.now() - t0;
    // the source ran through it: frozen for an instant only, thawed, the same init
    const done = events.filter((e) => e.kind === "progress").pop();
    expect(done && done.kind === "progress" ? done.message : "").toMatch(
      new RegExp(`container ${COPY} cloned from ${SRC} in \\d+ ms \\(container ${SRC} frozen for \\d+ ms\\)`),
    );
    const after = await te.client.call("container.status", { ctid: SRC });
    expect(after).toMatchObject({ state: "running", initPid: src.initPid });
    expect(await out(SRC, "cat /data/file")).toBe("hello");

    // its own identity, stopped, the source's limits
    expect(c).toMatchObject({
      ctid: COPY,
      name: "copy",
      hostname: "copy.test",
      template: "busybox",
      state: "stopped",
      ips: ["198.18.7.2"],
      checkpoint: null,
    });
    expect(c.idmap.hostId).not.toBe(src.idmap.hostId);
    expect(c.limits).toEqual(src.limits);
    expect(c.rootfs).not.toBe(src.rootfs);
    // the files are the source's, with their in-container owners on disk (idmapped rootfs)
    expect(await treeListing(path.join(c.rootfs, "data"))).toEqual(srcData);
    expect(srcData.find((l) => l.startsWith("file "))).toMatch(/ f 4750 1000:1001 /);
    // shared extents: right after cloning the clone holds almost nothing of its own
    const cloneExclusive = (await te.client.call("container.limits", { ctid: COPY })).disk;
    expect(cloneExclusive.limitBytes).toBe(512 * MiB);
    expect(srcExclusive).toBeGreaterThan(24 * MiB);
    expect(cloneExclusive.bytes).toBeLessThan(1 * MiB);
    const said = done && done.kind === "progress" ? done.message : "";
    console.log(
      `[clone] call ${tClone.toFixed(0)} ms (engine: "${said}"); clone exclusive ${cloneExclusive.bytes} B; source exclusive before ${srcExclusive} B`,
    );
    // nothing of the source's snapshots and identity files
    expect(await te.client.call("snapshot.list", { ctid: COPY })).toEqual([]);
    expect(fs.readFileSync(path.join(c.rootfs, "etc/machine-id"), "utf8")).toBe("");
    expect(fs.existsSync(path.join(c.rootfs, "var/lib/dbus/machine-id"))).toBe(false);
    expect(fs.readFileSync(path.join(c.rootfs, "etc/hostname"), "utf8")).toBe("copy.test\n");
    // its own SSH host key: not the source's (one customer could otherwise pose as the other's server)
    const copyKeyFp = fingerprint(`${srcKey(c.rootfs)}.pub`);
    expect(copyKeyFp).toMatch(/ root@copy\.test \(ED25519\)$/);
    expect(copyKeyFp.split(" ")[1]).not.toBe(srcKeyFp.split(" ")[1]);
    expect(fingerprint(`${srcKey(src.rootfs)}.pub`)).toBe(srcKeyFp);
    expect(fs.statSync(srcKey(c.rootfs))).toMatchObject({ uid: 0, mode: 0o100600 });

    // it boots and runs as itself
    const run = await te.client.call("container.start", { ctid: COPY });
    expect(run.state).toBe("running");
    expect(await out(COPY, "hostname")).toBe("copy.test");
    expect(await out(COPY, "grep 127.0.1.1 /etc/hosts")).toMatch(/copy\.test$/);
    expect(await out(COPY, "cat /data/file; stat -c '%u:%g %a' /data/file")).toBe("hello\n1000:1001 4750");
    const addrs = await out(COPY, "ip -4 addr show dev venet0");
    expect(addrs).toContain("198.18.7.2/");
    expect(addrs).not.toContain("198.18.7.1/");
    expect(await hostUid(run.initPid!)).toBe(c.idmap.hostId);
    expect(await hostUid(src.initPid!)).toBe(src.idmap.hostId);

    // copy-on-write both ways
    await out(COPY, "echo changed > /data/file && echo only-in-copy > /data/new");
    await out(SRC, "echo only-in-source > /data/other");
    expect(await out(SRC, "cat /data/file; ls /data")).toBe("hello\nbig\nfile\nother");
    expect(await out(COPY, "cat /data/file; ls /data")).toBe("changed\nbig\nfile\nnew");

    await te.client.call("container.destroy", { ctid: COPY, force: true });
    expect(await leftovers(te, COPY)).toEqual([]);
    expect(await staleQgroups(te)).toEqual([]);
    expect(await out(SRC, "cat /data/file; wc -c < /data/big")).toBe(`hello\n${24 * MiB}`);
  });

  it("a stopped source is copied without freezing; the clone takes the source's settings where none are given", async () => {
    await te.client.call("container.stop", { ctid: SRC });
    const events: OpEvent[] = [];
    const c = await te.client.call(
      "container.clone",
      { ctid: SRC, newCtid: 203, limits: { ram: "128M" } },
      { onEvent: (e) => events.push(e) },
    );
    expect(events.some((e) => e.kind === "log" && /freezing/.test(e.line))).toBe(false);
    // hostname and settings as the source's, no name, no address (addresses belong to one container)
    expect(c).toMatchObject({ ctid: 203, name: null, hostname: "src.test", ips: [], state: "stopped" });
    expect(c.limits.ram).toBe(128 * MiB);
    expect(c.limits.diskspace).toBe(512 * MiB);
    await te.client.call("container.destroy", { ctid: 203 });
    expect(await leftovers(te, 203)).toEqual([]);
    await te.client.call("container.start", { ctid: SRC });
  });

  for (const [i, point] of ["clone:frozen", "clone:volume", "clone:config"].entries()) {
    it(`a crash at ${point} leaves nothing after restart; the source runs on`, async () => {
      const ctid = 210 + i;
      const before = (await te.client.call("container.status", { ctid: SRC })).initPid;
      await crashDuring(
        point,
        () =>
          te.client.call("container.clone", {
            ctid: SRC,
            newCtid: ctid,
            name: `crash${i}`,
            net: { venet: [`198.18.7.${20 + i}`] },
          }),
        // the engine died with the source frozen (clone:frozen) or after thawing it
        async () => expect(await lxcState(SRC)).toBe(point === "clone:frozen" ? "FROZEN" : "RUNNING"),
      );
      expect(await leftovers(te, ctid)).toEqual([]);
      expect(await staleQgroups(te)).toEqual([]);
      expect((await errorOf(te.client.call("container.status", { ctid })))?.code).toBe("NOT_FOUND");
      // frozen at the crash (clone:frozen), thawed by the recovery: it runs with the same init
      expect(await te.client.call("container.status", { ctid: SRC })).toMatchObject({
        state: "running",
        initPid: before,
      });
      expect(await out(SRC, "cat /data/file")).toBe("hello");
      // the ctid, name and address are free again
      const again = await te.client.call("container.clone", {
        ctid: SRC,
        newCtid: ctid,
        name: `crash${i}`,
        net: { venet: [`198.18.7.${20 + i}`] },
      });
      expect(again.state).toBe("stopped");
      await te.client.call("container.destroy", { ctid });
      expect(await leftovers(te, ctid)).toEqual([]);
    });
  }

  it("keeps a clone that crashed after its commit point, complete and startable", async () => {
    await crashDuring("clone:commit", () =>
      te.client.call("container.clone", { ctid: SRC, newCtid: 215, hostname: "late.test" }),
    );
    expect(await te.client.call("container.status", { ctid: 215 })).toMatchObject({
      state: "stopped",
      hostname: "late.test",
    });
    await te.client.call("container.start", { ctid: 215 });
    expect(await out(215, "cat /data/file; hostname")).toBe("hello\nlate.test");
    await te.client.call("container.destroy", { ctid: 215, force: true });
    expect(await leftovers(te, 215)).toEqual([]);
  });

  it("refuses bad input before touching anything: taken ctid, taken name, unknown source, taken address", async () => {
    await te.client.call("container.create", { ctid: 220, template: "busybox", name: "other" });
    const before = await world();
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ ctid: SRC, newCtid: 220 }, "CTID_IN_USE", /container ID 220 is already in use/],
      [{ ctid: SRC, newCtid: SRC }, "CTID_IN_USE", /source's own/],
      [{ ctid: SRC, newCtid: 221, name: "other" }, "BAD_REQUEST", /name "other" is already used by container 220/],
      [{ ctid: SRC, newCtid: 221, name: "src" }, "BAD_REQUEST", /already used by container 201/],
      [{ ctid: 999, newCtid: 221 }, "NOT_FOUND", /container 999 does not exist/],
      [
        { ctid: SRC, newCtid: 221, net: { venet: ["198.18.7.1"] } },
        "BAD_REQUEST",
        /198\.18\.7\.1 is already used by container 201/,
      ],
      [{ ctid: SRC, newCtid: 221, hostname: "bad host" }, "BAD_REQUEST", /bad hostname/],
      [{ ctid: SRC, newCtid: 221, limits: { ram: "1X" } }, "LIMIT_OUT_OF_RANGE", /ram/],
      [{ ctid: SRC, newCtid: 221, limits: { diskspace: "1000T" } }, "NO_SPACE", /not enough space/],
    ];
    for (const [params, code, msg] of cases) {
      const e = await errorOf(te.client.call("container.clone", params as never));
      expect({ params, code: e?.code }).toEqual({ params, code });
      expect(e!.message).toMatch(msg);
    }
    expect(await world()).toEqual(before);
    expect(await leftovers(te, 221)).toEqual([]);
    expect(fs.readdirSync(path.join(te.stateDir, "journal"))).toEqual([]);
    await te.client.call("container.destroy", { ctid: 220 });
  });

  it("prlctl clone and vzmlocal -C on the panel's database: next free CTID, new addresses from the pool", async () => {
    cli = await cliShell(te.env.OVZ_SOCKET!, { name: "clone" });
    const db = cli.db;

    await ok("prlctl create web1 --vmtype ct --ostemplate busybox --hostname web1.test && prlctl start web1");
    await ok("prlctl exec web1 'echo from-web1 > /root/mark'");
    const web1 = await db.container.findFirstOrThrow({ where: { name: "web1" }, include: { addresses: true } });
    expect(web1.ctid).toBe(101);
    await ok("vzctl set web1 --ram 300M --nameserver 198.18.0.53 --save");

    // Virtuozzo 7: prlctl clone <CT> --name <new_name>
    const cloned = await ok("prlctl clone web1 --name web2");
    expect(cloned).toContain("Clone the web1 CT to CT web2...");
    expect(cloned).toContain("The CT has been successfully cloned (CTID 102).");
    const web2 = await db.container.findFirstOrThrow({ where: { name: "web2" }, include: { addresses: true } });
    expect(web2).toMatchObject({
      ctid: 102,
      hostname: "web1.test",
      state: "stopped",
      planId: web1.planId,
      tenantId: web1.tenantId,
      nameservers: '["198.18.0.53"]',
    });
    expect(JSON.parse(web2.overrides)).toMatchObject({ ram: 300 * MiB });
    expect(web2.addresses).toHaveLength(1);
    expect(web2.addresses[0]!.address).not.toBe(web1.addresses[0]!.address);
    expect(web2.addresses[0]!.address).toMatch(/^198\.18\.100\./);
    const op = await db.operation.findFirstOrThrow({ where: { containerId: web2.id } });
    expect(op).toMatchObject({ type: "clone", status: "succeeded" });
    expect(op.actor).toMatch(/\(prlctl\)$/);
    expect((await db.auditLog.findFirstOrThrow({ where: { action: "container.clone" } })).target).toBe(
      "container 102 (web1.test)",
    );
    await ok("prlctl start web2");
    expect(await ok("prlctl exec web2 'cat /root/mark; ip -4 addr show dev venet0'")).toContain("from-web1");
    expect(await ok("prlctl exec web2 'ip -4 addr show dev venet0'")).toContain(`${web2.addresses[0]!.address}/`);
    expect((await te.client.call("container.limits", { ctid: 102 })).cgroup?.ram).toBe(300 * MiB);
    expect(await ok("vzlist -a -H -o ctid,name,status")).toMatch(/^\s+102\s+web2\s+running$/m);

    // OpenVZ: vzmlocal -C <src_CTID>:<dst_CTID>
    const local = await bash("vzmlocal -C 101:150");
    expect(local.code, local.stderr).toBe(0);
    expect(local.stdout).toBe("Moving/copying CT 101 -> CT 150, [], [] ...\nSuccessfully completed\n");
    const ct150 = await db.container.findFirstOrThrow({ where: { ctid: 150 }, include: { addresses: true } });
    expect(ct150).toMatchObject({ name: null, hostname: "web1.test", state: "stopped" });
    expect(ct150.addresses.map((a) => a.address)).not.toContain(web1.addresses[0]!.address);
    expect(ct150.addresses.map((a) => a.address)).not.toContain(web2.addresses[0]!.address);
    expect((await te.client.call("container.status", { ctid: 150 })).ips).toEqual(
      ct150.addresses.map((a) => a.address),
    );

    // refusals with vzmigrate(8)'s exit statuses; nothing changes
    await te.client.call("container.create", { ctid: 230, template: "busybox" }); // on the node, unknown to the panel
    const rows = await db.container.count();
    const engineCts = (await te.client.call("container.list", {})).map((x) => x.ctid);
    const refusals: [string, number, RegExp][] = [
      ["vzmlocal -C 101:150", 9, /CT 150 already exists/],
      ["vzmlocal -C 101:230", 9, /CT 230 already exists on this node/],
      ["vzmlocal -C 999:151", 10, /CT 999 does not exist/],
      ["vzmlocal -C 101:101", 34, /the same/],
      ["vzmlocal 101:151", 1, /not supported.*vzmlocal -C/],
      ["vzmlocal -C 101:151:/vz/private/151", 1, /private and root paths are not supported/],
      ["vzmlocal -C 101", 1, /Bad CT list entry/],
      ["prlctl clone web1", 1, /the --name option is not specified/],
      ["prlctl clone web1 --name web2", 1, /Failed to clone the CT: The name "web2" is already used by container 102/],
      ["prlctl clone nosuch --name web9", 255, /could not be found/],
      ["prlctl clone web1 --name web9 --linked", 1, /--linked is not supported/],
    ];
    for (const [cmd, code, msg] of refusals) {
      const r = await bash(cmd);
      expect({ cmd, code: r.code }).toEqual({ cmd, code });
      expect(r.stderr).toMatch(msg);
    }
    expect(await db.container.count()).toBe(rows);
    expect((await te.client.call("container.list", {})).map((x) => x.ctid)).toEqual(engineCts);
    expect(await ok("vzmlocal --help")).toContain("vzmlocal [--online] -C {CT List}");

    for (const ref of ["web2", "150", "web1"]) await ok(`prlctl stop ${ref} 2>/dev/null; prlctl delete ${ref}`);
    for (const ctid of [101, 102, 150]) expect(await leftovers(te, ctid)).toEqual([]);
    await te.client.call("container.destroy", { ctid: 230 });
    expect(await db.ipAddress.count()).toBe(0);
  });
});
