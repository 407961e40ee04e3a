/**
 * Passwords inside real containers (busybox, LXC, btrfs), as vzctl set --userpasswd does them:
 * - running: root's hash changes (it verifies against the password), a missing user is created with its
 *   own uid, group and home (owned by it, seen from inside);
 * - stopped: the same, host-side into the root filesystem; the user is there after the start;
 * - a container's root cannot make the engine read or write a host file: planted symlinks
 *   (/etc/group, /etc/hosts → a host file) are never followed, and the host file stays as it was.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
const A = 261;
const B = 262;
const sh = async (ctid: number, script: string) => {
  const r = await te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", script] });
  expect(r.code, `${script}: ${r.stderr}`).toBe(0);
  return r.stdout;
};
/** Whether `password` matches the crypt hash in `entry` (a shadow line), checked with openssl on the host. */
function matches(entry: string, password: string): boolean {
  const hash = entry.split(":")[1]!;
  const salt = hash.split("$")[2]!;
  return (
    execFileSync("openssl", ["passwd", "-6", "-salt", salt, "-stdin"], { input: password, encoding: "utf8" }).trim() ===
    hash
  );
}
const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-host-secret-"));
const secret = path.join(secretDir, "secret.txt");

describeRoot("passwords and users inside containers (real LXC)", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    fs.writeFileSync(secret, "HOST-SECRET-LINE\n", { mode: 0o600 });
  });
  afterAll(async () => {
    await te?.cleanup();
    fs.rmSync(secretDir, { recursive: true, force: true });
  });

  it("running: root's password changes; a missing user is created with uid, group and home", async () => {
    await te.client.call("container.create", { ctid: A, template: "busybox", hostname: "pw.test" });
    await te.client.call("container.start", { ctid: A });
    expect(await te.client.call("container.passwd", { ctid: A, user: "root", password: "Root-pass:1" })).toEqual({
      ok: true,
      created: false,
    });
    expect(matches((await sh(A, "grep ^root: /etc/shadow")).trim(), "Root-pass:1")).toBe(true);
    expect(await te.client.call("container.passwd", { ctid: A, user: "admin", password: "Admin-pass-2" })).toEqual({
      ok: true,
      created: true,
    });
    expect((await sh(A, "grep ^admin: /etc/passwd")).trim()).toBe("admin:x:1000:1000::/home/admin:/bin/sh");
    expect((await sh(A, "grep ^admin: /etc/group")).trim()).toBe("admin:x:1000:");
    expect(matches((await sh(A, "grep ^admin: /etc/shadow")).trim(), "Admin-pass-2")).toBe(true);
    expect((await sh(A, "stat -c '%u:%g %a' /home/admin")).trim()).toBe("1000:1000 755");
    expect((await sh(A, "id admin")).trim()).toMatch(/^uid=1000\(admin\) gid=1000\(admin\)/);
    // a second time: the same user, a new password
    expect(await te.client.call("container.passwd", { ctid: A, user: "admin", password: "Admin-pass-3" })).toEqual({
      ok: true,
      created: false,
    });
    expect(matches((await sh(A, "grep ^admin: /etc/shadow")).trim(), "Admin-pass-3")).toBe(true);
    expect((await sh(A, "grep -c ^admin: /etc/passwd")).trim()).toBe("1");
  });

  it("stopped: the password is set and the user created host-side; both are there after the start", async () => {
    await te.client.call("container.stop", { ctid: A });
    expect(await te.client.call("container.passwd", { ctid: A, user: "root", password: "Stopped-1" })).toEqual({
      ok: true,
      created: false,
    });
    expect(await te.client.call("container.passwd", { ctid: A, user: "bob", password: "Bob-pass-1" })).toEqual({
      ok: true,
      created: true,
    });
    await te.client.call("container.start", { ctid: A });
    expect(matches((await sh(A, "grep ^root: /etc/shadow")).trim(), "Stopped-1")).toBe(true);
    expect(matches((await sh(A, "grep ^bob: /etc/shadow")).trim(), "Bob-pass-1")).toBe(true);
    expect((await sh(A, "id bob")).trim()).toMatch(/^uid=1001\(bob\) gid=1001\(bob\)/);
    expect((await sh(A, "stat -c '%u:%g' /home/bob; stat -c '%a' /etc/shadow")).trim()).toBe("1001:1001\n600");
    await te.client.call("container.stop", { ctid: A });
    await te.client.call("container.destroy", { ctid: A });
    expect(await leftovers(te, A)).toEqual([]);
  });

  it("planted symlinks to a host file are never followed: neither read into the container nor written", async () => {
    await te.client.call("container.create", { ctid: B, template: "busybox", hostname: "evil.test" });
    await te.client.call("container.start", { ctid: B });
    // the container's root points its own files at a host path (absolute: resolved on the host side)
    await sh(B, `ln -sf ${secret} /etc/hosts && ln -sf ${secret} /etc/group`);
    await te.client.call("container.stop", { ctid: B });
    await te.client.call("container.set", { ctid: B, hostname: "evil2.test" }); // writes /etc/hosts host-side
    await te.client.call("container.passwd", { ctid: B, user: "carol", password: "Carol-pass-1" }); // writes /etc/group host-side
    await te.client.call("container.start", { ctid: B }); // writes /etc/hostname and /etc/hosts again
    expect(fs.readFileSync(secret, "utf8")).toBe("HOST-SECRET-LINE\n");
    const inside = await sh(B, "cat /etc/hosts /etc/group; test -L /etc/hosts && echo LINK; true");
    expect(inside).not.toContain("HOST-SECRET");
    expect(inside).not.toContain("LINK");
    expect(inside).toContain("evil2.test");
    expect(inside).toContain("carol:x:");
    await te.client.call("container.stop", { ctid: B });
    await te.client.call("container.destroy", { ctid: B });
    expect(await leftovers(te, B)).toEqual([]);
  });
});
