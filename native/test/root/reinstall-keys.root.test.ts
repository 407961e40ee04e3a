/**
 * Reinstall, SSH keys and backup download on real containers (busybox, btrfs pool):
 * - reinstall wipe: a marker file is gone, the template's files are fresh, identity (hostname, limits,
 *   idmap) kept; keep: the old tree is at /old/<path> with the same content, owner and mode;
 * - a crash before the reinstall's commit puts the old root filesystem back; after it, the new one stays;
 * - root's authorized_keys written into a stopped (host-side) and a running (inside) container: directory
 *   0700, file 0600, owned by the container's root (uid 0 inside), invalid keys refused;
 * - backup.download streams exactly the archive's bytes (sha256 of the stream = the manifest's).
 */
import { createHash } from "node:crypto";
import { readdir, readFile, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { openBackupDownload } from "../../src/protocol/download-client.js";
import { describeRoot } from "../helpers/root.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const A = 231;
const B = 232;
const C = 233;
const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP7coomf1uTnwiIkXa4Sajst7lh2/P6IKu6SeRACWttd alice@laptop";
const sh = (ctid: number, script: string) =>
  te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script] });
const pool = () => path.join(te.stateDir, "pool");
const root = (ctid: number) => path.join(pool(), "containers", String(ctid));

describeRoot("reinstall keep/wipe, SSH keys, backup download (real LXC, btrfs)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
  });
  afterAll(async () => {
    await te?.cleanup();
  });

  it("reinstall wipe: the marker is gone, the system is fresh, identity kept; keep: the old files are under /old, same content", async () => {
    const c = await te.client.call("container.create", {
      ctid: A,
      template: "busybox",
      hostname: "keep.test",
      limits: { diskspace: "256M", ram: "200M" },
    });
    await te.client.call("container.start", { ctid: A });
    const w = await sh(
      A,
      "mkdir -p /srv/data && echo precious > /srv/data/marker && dd if=/dev/urandom of=/srv/data/rand bs=1k count=300 2>/dev/null && chown 1000:1000 /srv/data/marker && chmod 640 /srv/data/marker && rm /bin/vi",
    );
    expect(w.code, w.stderr).toBe(0);
    const randSum = (await sh(A, "sha256sum /srv/data/rand")).stdout.split(" ")[0];
    // running: refused, nothing changes
    const e = await te.client
      .call("container.reinstall", { ctid: A, template: "busybox", keepData: true })
      .catch((x) => x);
    expect(e.code).toBe("RUNNING");
    await te.client.call("container.stop", { ctid: A });

    const t0 = performance.now();
    const r = await te.client.call("container.reinstall", { ctid: A, template: "busybox", keepData: true });
    const tKeep = performance.now() - t0;
    expect(r).toMatchObject({ ctid: A, hostname: "keep.test", template: "busybox", state: "stopped" });
    expect(r.idmap).toEqual(c.idmap);
    expect(r.limits.ram).toBe(200 * 1024 * 1024);
    await te.client.call("container.start", { ctid: A });
    const k = await sh(
      A,
      "cat /old/srv/data/marker; stat -c '%u:%g %a' /old/srv/data/marker; sha256sum /old/srv/data/rand; test -e /srv/data/marker && echo LEFT; test -e /bin/vi && echo FRESH; hostname",
    );
    expect(k.code, k.stderr).toBe(0);
    expect(k.stdout).toBe(`precious\n1000:1000 640\n${randSum}  /old/srv/data/rand\nFRESH\nkeep.test\n`);
    await te.client.call("container.stop", { ctid: A });

    const t1 = performance.now();
    await te.client.call("container.reinstall", { ctid: A, template: "busybox", keepData: false });
    const tWipe = performance.now() - t1;
    await te.client.call("container.start", { ctid: A });
    const g = await sh(
      A,
      "test -e /old && echo OLD; test -e /srv/data/marker && echo MARKER; test -e /bin/vi && echo FRESH; hostname",
    );
    expect(g.stdout).toBe("FRESH\nkeep.test\n");
    await te.client.call("container.stop", { ctid: A });
    expect(await readdir(path.join(pool(), "containers"))).not.toContain(`.previous-${A}`);
    console.log(`reinstall keep ${tKeep.toFixed(0)} ms, wipe ${tWipe.toFixed(0)} ms`);
    await te.client.call("container.destroy", { ctid: A });
    expect(await leftovers(te, A)).toEqual([]);
  });

  for (const [i, [point, committed]] of (
    [
      ["reinstall:staging", false],
      ["reinstall:keep", false],
      ["reinstall:swap", false],
      ["reinstall:commit", true],
    ] as const
  ).entries()) {
    it(`${committed ? "keeps" : "undoes"} a reinstall interrupted at ${point}`, async () => {
      const ctid = 240 + i;
      await te.client.call("container.create", { ctid, template: "busybox", limits: { diskspace: "128M" } });
      await writeFile(path.join(root(ctid), "marker"), "before\n");
      await te.kill9();
      await te.start({ OVZ_CRASH_AT: point });
      const outcome = await te.client.call("container.reinstall", { ctid, template: "busybox", keepData: true }).then(
        () => "returned",
        (e: Error) => e.message,
      );
      expect(outcome).toMatch(/connection to the host engine closed/);
      expect(await te.waitExit()).toBe("SIGKILL");
      await te.start();
      const names = await readdir(path.join(pool(), "containers"));
      expect(names.filter((n) => n.endsWith(`-${ctid}`))).toEqual([]);
      if (committed) {
        expect(await readFile(path.join(root(ctid), "old", "marker"), "utf8")).toBe("before\n");
        await expect(stat(path.join(root(ctid), "marker"))).rejects.toThrow();
      } else {
        expect(await readFile(path.join(root(ctid), "marker"), "utf8")).toBe("before\n");
      }
      await te.client.call("container.start", { ctid });
      await te.client.call("container.destroy", { ctid, force: true });
      expect(await leftovers(te, ctid)).toEqual([]);
    });
  }

  it("writes root's authorized_keys into a stopped and a running container (0700/0600, root-owned); refuses invalid keys", async () => {
    await te.client.call("container.create", { ctid: B, template: "busybox", limits: { diskspace: "128M" } });
    const bad = await te.client
      .call("container.sshkeys.set", { ctid: B, keys: "ssh-ed25519 AAAAnotakey\nhello" })
      .catch((x) => x);
    expect(bad.code).toBe("BAD_REQUEST");
    expect(bad.message).toMatch(/line 1: .*line 2: unknown key type/);
    expect(await te.client.call("container.sshkeys.set", { ctid: B, keys: `# laptop\n${ED}\n` })).toEqual({
      ok: true,
      count: 1,
    });
    await te.client.call("container.start", { ctid: B });
    const s1 = await sh(
      B,
      "stat -c '%u:%g %a' /root/.ssh /root/.ssh/authorized_keys; grep -c ssh-ed25519 /root/.ssh/authorized_keys",
    );
    expect(s1.stdout).toBe("0:0 700\n0:0 600\n1\n");
    const ED2 = ED.replace("alice@laptop", "bob");
    expect(await te.client.call("container.sshkeys.set", { ctid: B, keys: `${ED}\n${ED2}` })).toEqual({
      ok: true,
      count: 2,
    });
    const s2 = await sh(
      B,
      "stat -c '%u:%g %a' /root/.ssh /root/.ssh/authorized_keys; grep ssh-ed25519 /root/.ssh/authorized_keys",
    );
    expect(s2.stdout).toBe(`0:0 700\n0:0 600\n${ED}\n${ED2}\n`);
    // host view: the container's root is uid 0 on disk (idmapped rootfs)
    const st = await stat(path.join(root(B), "root/.ssh/authorized_keys"));
    expect([st.uid, st.mode & 0o777]).toEqual([0, 0o600]);
    await te.client.call("container.destroy", { ctid: B, force: true });
  });

  it("backup.download streams exactly the archive (sha256 and size of the stream = the manifest's)", async () => {
    await te.client.call("container.create", { ctid: C, template: "busybox", limits: { diskspace: "128M" } });
    await writeFile(path.join(root(C), "payload"), Buffer.alloc(3 * 1024 * 1024, 7));
    const b = await te.client.call("backup.create", { ctid: C });
    const t0 = performance.now();
    const { info, body } = await openBackupDownload(te.env.OVZ_SOCKET!, b.id);
    expect(info).toEqual({ id: b.id, sizeBytes: b.archive.sizeBytes, sha256: b.archive.sha256 });
    const h = createHash("sha256");
    let n = 0;
    for await (const chunk of body) {
      h.update(chunk as Buffer);
      n += (chunk as Buffer).length;
    }
    expect(n).toBe(b.archive.sizeBytes);
    expect(h.digest("hex")).toBe(b.archive.sha256);
    console.log(`download ${n} bytes in ${(performance.now() - t0).toFixed(0)} ms`);
    const missing = await openBackupDownload(te.env.OVZ_SOCKET!, `${C}-20200101T000000Z-abcdef`).catch((x) => x);
    expect(missing.code).toBe("NOT_FOUND");
    await te.client.call("backup.delete", { id: b.id });
    await te.client.call("container.destroy", { ctid: C, force: true });
  });
});
