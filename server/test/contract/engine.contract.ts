/**
 * The engine contract: the calls the panel makes (server/services, server/cli) and what it relies on in
 * their results and errors, as one suite that runs against every engine the panel can talk to — the
 * in-memory FakeEngine (server/test/unit/engine-contract.test.ts) and the real engine daemon in its own
 * network namespace (native/test/root/engine-contract.root.test.ts). The real engine is the truth: when
 * the fake fails here, the fake is wrong.
 *
 * Tests run in order and share the containers they make (as the panel would: create, change, start,
 * stop, destroy). Only what both must agree on is asserted; host-dependent values (init pids, paths,
 * sizes) only by type.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EngineError, type ErrorCode } from "../../../native/src/errors.js";
import { BACKUP_ID_RE } from "../../../native/src/backup/manifest.js";
import type { Params, Result } from "../../../native/src/protocol/schema.js";
import { defaultLimits } from "../../../native/src/settings.js";
import type { EnginePort } from "../../engine/port.js";

export interface ContractEngine {
  engine: EnginePort;
  /** a template the engine has ("busybox": the fake's, or one a real engine has just built) */
  template: string;
  /** after the suite: remove what is left (the real engine's netns, pool and state dir) */
  cleanup(): Promise<void>;
}

const MiB = 1024 * 1024;
/** ctids the suite uses; B is below A so list order (by ctid) differs from creation order */
const A = 4101;
const B = 4100;
const FREE = 4150;
const SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP7coomf1uTnwiIkXa4Sajst7lh2/P6IKu6SeRACWttd contract";

/** The error code a call fails with, or "resolved" (a failure that is not an EngineError shows as such). */
async function codeOf(p: Promise<unknown>): Promise<ErrorCode | "resolved" | string> {
  try {
    await p;
    return "resolved";
  } catch (e) {
    return e instanceof EngineError ? e.code : `not an EngineError: ${String(e)}`;
  }
}

export function engineContract(name: string, makeEngine: () => Promise<ContractEngine>): void {
  describe(`engine contract: ${name}`, () => {
    let subject: ContractEngine | undefined;
    let e: EnginePort;
    let template: string;
    let created: Result<"container.create">;

    const ctids = async () => (await e.call("container.list", {})).map((c) => c.ctid);

    beforeAll(async () => {
      subject = await makeEngine();
      e = subject.engine;
      template = subject.template;
    });
    afterAll(async () => {
      await subject?.cleanup();
    });

    it("creates a stopped container with the given settings over the default limits", async () => {
      created = await e.call("container.create", {
        ctid: A,
        template,
        hostname: "contract-a.test",
        name: "contract-a",
        limits: { ram: "256M", cpuunits: 500 },
      });
      expect(created).toMatchObject({
        ctid: A,
        name: "contract-a",
        hostname: "contract-a.test",
        template,
        state: "stopped",
        initPid: null,
        onboot: false,
        ips: [],
        checkpoint: null,
      });
      expect(created.limits).toEqual({ ...defaultLimits(), ram: 256 * MiB, cpuunits: 500 });
      expect(Number.isNaN(Date.parse(created.createdAt))).toBe(false);
      expect(created.rootfs).not.toBe("");
    });

    it("shows the container in status and list; list is ordered by ctid", async () => {
      expect(await e.call("container.status", { ctid: A })).toEqual(created);
      const b = await e.call("container.create", { ctid: B, template, onboot: true });
      // without a hostname or name: ct<ctid> and none
      expect(b).toMatchObject({ ctid: B, hostname: `ct${B}`, name: null, onboot: true, state: "stopped" });
      const list = await e.call("container.list", {});
      expect(list.map((c) => c.ctid)).toEqual([B, A]);
      expect(list[1]).toEqual(created);
    });

    it("changes limits, hostname, name and onboot, and reads them back", async () => {
      const r = await e.call("container.set", {
        ctid: A,
        limits: { ram: "384M", numproc: 200, cpumask: "" },
        hostname: "renamed.test",
        name: "contract-renamed",
        onboot: true,
      });
      const limits = { ...created.limits, ram: 384 * MiB, numproc: 200, cpumask: null };
      expect(r).toMatchObject({
        ctid: A,
        hostname: "renamed.test",
        name: "contract-renamed",
        onboot: true,
        state: "stopped",
      });
      expect(r.limits).toEqual(limits);
      expect(await e.call("container.status", { ctid: A })).toEqual(r);
      // a patch leaves what it does not name alone; name null removes the name
      const r2 = await e.call("container.set", { ctid: A, limits: { cpuunits: 2000 }, name: null });
      expect(r2).toMatchObject({ hostname: "renamed.test", name: null, onboot: true });
      expect(r2.limits).toEqual({ ...limits, cpuunits: 2000 });
    });

    it("stores features (table order, duplicates dropped) and refuses unknown ones, changing nothing", async () => {
      expect((await e.call("container.status", { ctid: A })).features).toEqual([]);
      const r = await e.call("container.set", { ctid: A, features: ["fuse", "tun", "fuse"] });
      expect(r.features).toEqual(["tun", "fuse"]);
      expect((await e.call("container.status", { ctid: A })).features).toEqual(["tun", "fuse"]);
      const bad = { ctid: A, features: ["tun", "kvm"] } as unknown as Params<"container.set">;
      expect(await codeOf(e.call("container.set", bad))).toBe("BAD_REQUEST");
      expect((await e.call("container.status", { ctid: A })).features).toEqual(["tun", "fuse"]);
      // a set without features leaves them alone; [] turns them all off
      expect((await e.call("container.set", { ctid: A, onboot: true })).features).toEqual(["tun", "fuse"]);
      expect((await e.call("container.set", { ctid: A, features: [] })).features).toEqual([]);
    });

    it("reads back the limits of a stopped container: configured, disk limit, no live values", async () => {
      const st = await e.call("container.status", { ctid: A });
      const l = await e.call("container.limits", { ctid: A });
      expect(l.configured).toEqual(st.limits);
      expect(l.disk.limitBytes).toBe(st.limits.diskspace);
      expect(typeof l.disk.bytes).toBe("number");
      expect(l).toMatchObject({ cgroup: null, nofile: null, ptyMax: null });
      const bc = await e.call("container.beancounters", { ctid: A });
      expect(bc.map((x) => x.resource)).toEqual(["diskspace"]);
      expect(bc[0]).toMatchObject({ limit: st.limits.diskspace, unit: "bytes", failcnt: 0 });
    });

    it("refuses bad input with the same error codes, changing nothing", async () => {
      const info = await e.call("engine.info", {});
      const before = await e.call("container.status", { ctid: A });
      const create = (p: Partial<Params<"container.create">>) =>
        codeOf(e.call("container.create", { ctid: FREE, template, ...p }));
      expect(await create({ ctid: 0 })).toBe("BAD_REQUEST");
      expect(await codeOf(e.call("container.status", { ctid: -1 }))).toBe("BAD_REQUEST");
      expect(await create({ ctid: A })).toBe("CTID_IN_USE");
      expect(await create({ template: "no-such-template" })).toBe("TEMPLATE_NOT_FOUND");
      expect(await create({ limits: { ram: "1K" } })).toBe("LIMIT_OUT_OF_RANGE");
      expect(await create({ limits: { nosuchlimit: 1 } })).toBe("LIMIT_OUT_OF_RANGE");
      expect(await create({ limits: { cpulimit: (info.cpus + 1) * 100 } })).toBe("LIMIT_OUT_OF_RANGE");
      if (!info.storage.caps.inodeQuota) expect(await create({ limits: { diskinodes: 1000 } })).toBe("UNSUPPORTED");
      expect(await create({ hostname: "bad_host!" })).toBe("BAD_REQUEST");
      expect(await create({ name: "12345" })).toBe("BAD_REQUEST");
      expect(await create({ name: "contract-b" })).toBe("resolved");
      expect(await e.call("container.destroy", { ctid: FREE })).toEqual({ ok: true });
      expect(await create({ ctid: FREE + 1, name: "contract-a2" })).toBe("resolved");
      // a name another container has
      expect(await codeOf(e.call("container.set", { ctid: A, name: "contract-a2" }))).toBe("BAD_REQUEST");
      await e.call("container.destroy", { ctid: FREE + 1 });
      // the request is checked before the ctid is looked at
      expect(await create({ ctid: A, limits: { ram: "1K" } })).toBe("LIMIT_OUT_OF_RANGE");
      expect(await codeOf(e.call("container.set", { ctid: A, limits: { numproc: 1 } }))).toBe("LIMIT_OUT_OF_RANGE");
      expect(await codeOf(e.call("container.set", { ctid: A, hostname: "-bad-" }))).toBe("BAD_REQUEST");
      expect(await e.call("container.status", { ctid: A })).toEqual(before);
      expect(await ctids()).toEqual([B, A]);
    });

    it("starts and stops; starting a running or stopping a stopped container is refused", async () => {
      const r = await e.call("container.start", { ctid: A });
      expect(r.state).toBe("running");
      expect(r.initPid).toBeGreaterThan(1);
      expect((await e.call("container.status", { ctid: A })).state).toBe("running");
      expect(await codeOf(e.call("container.start", { ctid: A }))).toBe("RUNNING");
      // destroying a running container needs force
      expect(await codeOf(e.call("container.destroy", { ctid: A }))).toBe("RUNNING");
      const s = await e.call("container.stop", { ctid: A });
      expect(s).toMatchObject({ state: "stopped", initPid: null });
      expect(await codeOf(e.call("container.stop", { ctid: A }))).toBe("NOT_RUNNING");
      // restart of a stopped container starts it
      expect((await e.call("container.restart", { ctid: A })).state).toBe("running");
    });

    it("runs commands in a running container", async () => {
      expect(await e.call("container.exec", { ctid: A, argv: ["true"] })).toMatchObject({ code: 0 });
    });

    it("reads back the limits of a running container", async () => {
      const st = await e.call("container.status", { ctid: A });
      const l = await e.call("container.limits", { ctid: A });
      expect(l.configured).toEqual(st.limits);
      expect(l).toMatchObject({ nofile: st.limits.numfile, ptyMax: st.limits.numpty });
      expect(l.cgroup).not.toBeNull();
      const bc = new Map((await e.call("container.beancounters", { ctid: A })).map((x) => [x.resource, x]));
      expect(bc.get("memory")).toMatchObject({ limit: st.limits.ram, unit: "bytes" });
      expect(bc.get("numproc")).toMatchObject({ limit: st.limits.numproc, unit: "count" });
      expect(bc.get("diskspace")).toMatchObject({ limit: st.limits.diskspace, unit: "bytes" });
      expect(bc.get("numfile")).toMatchObject({ limit: st.limits.numfile, unit: "files" });
      expect((await e.call("container.stop", { ctid: A })).state).toBe("stopped");
      expect(await codeOf(e.call("container.exec", { ctid: A, argv: ["true"] }))).toBe("NOT_RUNNING");
    });

    it("sets passwords: root's, and a missing user is created once; bad input is refused", async () => {
      const passwd = (user: string, password: string) => e.call("container.passwd", { ctid: A, user, password });
      expect(await passwd("root", "s3cret-root")).toEqual({ ok: true, created: false });
      expect(await passwd("contract", "pw1")).toEqual({ ok: true, created: true });
      expect(await passwd("contract", "pw2")).toEqual({ ok: true, created: false });
      expect(await codeOf(passwd("Bad User", "x"))).toBe("BAD_REQUEST");
      expect(await codeOf(passwd("root", "two\nlines"))).toBe("BAD_REQUEST");
    });

    it("writes root's SSH keys: comments and blank lines dropped, a bad key refused", async () => {
      const keys = (text: string) => e.call("container.sshkeys.set", { ctid: A, keys: text });
      expect(await keys(`# laptop\n${SSH_KEY}\n\n`)).toEqual({ ok: true, count: 1 });
      expect(await codeOf(keys(`${SSH_KEY}\nssh-rsa notbase64!`))).toBe("BAD_REQUEST");
      expect(await keys("")).toEqual({ ok: true, count: 0 });
    });

    it("takes, lists, rolls back and deletes snapshots", async () => {
      const s = await e.call("snapshot.create", { ctid: A, name: "s1", description: "first" });
      expect(s).toMatchObject({ name: "s1", description: "first" });
      const listed = await e.call("snapshot.list", { ctid: A });
      expect(listed.map((x) => [x.name, x.description])).toEqual([["s1", "first"]]);
      expect(await codeOf(e.call("snapshot.create", { ctid: A, name: "s1" }))).toBe("BAD_REQUEST");
      expect(await codeOf(e.call("snapshot.delete", { ctid: A, name: "nope" }))).toBe("NOT_FOUND");
      expect(await codeOf(e.call("snapshot.rollback", { ctid: A, name: "nope" }))).toBe("NOT_FOUND");
      expect(await codeOf(e.call("snapshot.list", { ctid: FREE }))).toBe("NOT_FOUND");
      expect(await e.call("snapshot.rollback", { ctid: A, name: "s1" })).toMatchObject({ ctid: A, state: "stopped" });
      expect(await e.call("snapshot.delete", { ctid: A, name: "s1" })).toEqual({ ok: true });
      expect(await e.call("snapshot.list", { ctid: A })).toEqual([]);
    });

    it("makes, lists and deletes backups", async () => {
      const bk = await e.call("backup.create", { ctid: A });
      expect(bk).toMatchObject({ ctid: A, format: "ovz-backup" });
      expect(bk.id).toMatch(BACKUP_ID_RE);
      expect((await e.call("backup.list", { ctid: A })).map((x) => x.id)).toEqual([bk.id]);
      expect(await e.call("backup.list", { ctid: B })).toEqual([]);
      expect(await e.call("backup.delete", { id: bk.id })).toEqual({ ok: true });
      expect(await codeOf(e.call("backup.delete", { id: bk.id }))).toBe("NOT_FOUND");
      expect(await e.call("backup.list", { ctid: A })).toEqual([]);
    });

    it("destroys a container; afterwards every call on it is NOT_FOUND", async () => {
      await e.call("snapshot.create", { ctid: A, name: "left" });
      expect(await e.call("container.destroy", { ctid: A })).toEqual({ ok: true });
      for (const p of [
        e.call("container.status", { ctid: A }),
        e.call("container.start", { ctid: A }),
        e.call("container.stop", { ctid: A }),
        e.call("container.set", { ctid: A, hostname: "x.test" }),
        e.call("container.limits", { ctid: A }),
        e.call("container.beancounters", { ctid: A }),
        e.call("container.passwd", { ctid: A, user: "root", password: "x" }),
        e.call("snapshot.list", { ctid: A }),
        e.call("backup.create", { ctid: A }),
        e.call("container.destroy", { ctid: A }),
      ]) {
        expect(await codeOf(p)).toBe("NOT_FOUND");
      }
      expect(await ctids()).toEqual([B]);
    });

    it("a new container under a destroyed one's ctid starts clean; force destroys a running one", async () => {
      await e.call("container.create", { ctid: A, template });
      expect(await e.call("snapshot.list", { ctid: A })).toEqual([]);
      // the old container's users went with its files
      const again = await e.call("container.passwd", { ctid: A, user: "contract", password: "pw" });
      expect(again).toEqual({ ok: true, created: true });
      await e.call("container.start", { ctid: A });
      expect(await e.call("container.destroy", { ctid: A, force: true })).toEqual({ ok: true });
      expect(await e.call("container.destroy", { ctid: B })).toEqual({ ok: true });
      expect(await ctids()).toEqual([]);
    });
  });
}
