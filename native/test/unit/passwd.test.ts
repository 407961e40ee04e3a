/**
 * Passwords inside containers (native/src/passwd.ts): the account files' edit is pure; a missing user is
 * created with its own group and home; the password and its hash reach no process's argv.
 */
import { describe, expect, it } from "vitest";
import { applyPassword, setContainerPassword } from "../../src/passwd.js";

const PASSWD =
  "root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\nuser:x:1000:1000::/home/user:/bin/bash\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
const SHADOW = "root:*:19000:0:99999:7:::\ndaemon:*:19000:0:99999:7:::\nuser:!:19000:0:99999:7:::\n";
const GROUP = "root:x:0:\nusers:x:100:\nuser:x:1000:\nnogroup:x:65534:\n";
const H = "$6$salt$hash";

describe("applyPassword", () => {
  it("an existing user gets the new hash and today's date; nothing else changes", () => {
    const r = applyPassword({ passwd: PASSWD, shadow: SHADOW, group: GROUP }, "root", H, {
      shell: "/bin/sh",
      today: 20000,
    });
    expect(r.created).toBeNull();
    expect(r.files.shadow.split("\n")[0]).toBe(`root:${H}:20000:0:99999:7:::`);
    expect(r.files.shadow.split("\n").slice(1)).toEqual(SHADOW.split("\n").slice(1));
    expect(r.files.passwd).toBe(PASSWD);
    expect(r.files.group).toBe(GROUP);
  });

  it("a missing user is created: next free uid from 1000 (not nobody's), a group of its name, /home/<user>", () => {
    const r = applyPassword({ passwd: PASSWD, shadow: SHADOW, group: GROUP }, "admin", H, {
      shell: "/bin/bash",
      today: 20000,
    });
    expect(r.created).toEqual({ user: "admin", uid: 1001, gid: 1001, home: "/home/admin", shell: "/bin/bash" });
    expect(r.files.passwd.trim().split("\n").at(-1)).toBe("admin:x:1001:1001::/home/admin:/bin/bash");
    expect(r.files.group.trim().split("\n").at(-1)).toBe("admin:x:1001:");
    expect(r.files.shadow.trim().split("\n").at(-1)).toBe(`admin:${H}:20000:0:99999:7:::`);
  });

  it("a first user on a bare system is 1000; a group taken by the uid number gets the next gid; no shadow file yet", () => {
    const r = applyPassword(
      { passwd: "root:x:0:0::/root:/bin/sh\n", shadow: null, group: "root:x:0:\nstaff:x:1000:\n" },
      "ops",
      H,
      { shell: "/bin/sh", today: 1 },
    );
    expect(r.created).toMatchObject({ uid: 1000, gid: 1001 });
    expect(r.files.shadow).toBe(`ops:${H}:1:0:99999:7:::\n`);
  });

  it("a user in passwd but missing from shadow (or with its hash in passwd) gets a shadow entry and x", () => {
    const r = applyPassword(
      { passwd: "root:oldhash:0:0::/root:/bin/sh\n", shadow: "", group: "root:x:0:\n" },
      "root",
      H,
      { shell: "/bin/sh", today: 2 },
    );
    expect(r.files.passwd).toBe("root:x:0:0::/root:/bin/sh\n");
    expect(r.files.shadow).toBe(`root:${H}:2:0:99999:7:::\n`);
  });
});

describe("setContainerPassword on a running container", () => {
  it("reads and writes the files through stdin: neither the password nor its hash is in any argv", async () => {
    const files: Record<string, string> = { "/etc/passwd": PASSWD, "/etc/shadow": SHADOW, "/etc/group": GROUP };
    const argvs: string[][] = [];
    const exec = async (argv: string[], input?: string) => {
      argvs.push(argv);
      const target = argv[argv.length - 1]!;
      if (argv[2]?.includes("cat > ")) {
        files[target] = input!;
        return { code: 0, stdout: "", stderr: "" };
      }
      if (argv[2]?.includes("exec cat"))
        return target in files ? { code: 0, stdout: files[target]!, stderr: "" } : { code: 3, stdout: "", stderr: "" };
      return { code: 0, stdout: "", stderr: "" }; // test -x /bin/bash, mkdir home
    };
    const created = await setContainerPassword({ running: true, exec }, "deploy", "s3cret-Pass:word");
    expect(created).toMatchObject({ user: "deploy", uid: 1001, home: "/home/deploy" });
    const entry = files["/etc/shadow"]!.trim().split("\n").at(-1)!;
    const hash = entry.split(":")[1]!;
    expect(hash).toMatch(/^\$6\$/);
    const everything = JSON.stringify(argvs);
    expect(everything).not.toContain("s3cret");
    expect(everything).not.toContain(hash);
    expect(everything).not.toContain(hash.split("$")[3]!);
    // the home is made with the new ids, as arguments (not secret)
    expect(argvs.some((a) => a.includes("/home/deploy") && a.includes("1001"))).toBe(true);
  });

  it("refuses a bad user name or a multi-line password before touching anything", async () => {
    const exec = async () => {
      throw new Error("must not run");
    };
    await expect(setContainerPassword({ running: true, exec }, "Bad User", "x")).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
    await expect(setContainerPassword({ running: true, exec }, "ok", "a\nb")).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});
