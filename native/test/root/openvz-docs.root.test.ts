/**
 * The command sequences of the OpenVZ and Virtuozzo documentation, run verbatim through the installed
 * vzctl, prlctl and vzlist (real bash, real containers, the panel's database). Only template names and
 * addresses are adapted: `busybox` for the docs' centos/debian templates, 198.18.0.0/15 for their
 * addresses; the docs' `--config basic` plan is made by the admin first, as OpenVZ ships one.
 *
 * - vzctl(8), EXAMPLES (vzctl 4.x man page): create "basic" container 1000, add an address, start, set
 *   processes and PTY barrier:limit (`-t`), exec, exec a pipe, enter --exec (a command typed into the
 *   shell, which stays), stop, destroy.
 * - OpenVZ wiki, "Basic operations in OpenVZ environment": create, set --onboot/--hostname/--ipadd/
 *   --nameserver --save, --userpasswd on the stopped container, start, exec, status, restart, stop.
 * - Adding a user to every container with a vzlist loop (OpenVZ docs):
 *   `for CT in $(vzlist -H -o ctid); do vzctl set $CT --userpasswd admin:secret; done`.
 * - Virtuozzo 7 User's Guide (prlctl): create MyCT --vmtype ct (the node's DEF_OSTEMPLATE), set the
 *   password on the stopped container, hostname, --ipadd with a prefix, nameserver, onboot, start, list,
 *   exec, clone, stop, delete.
 */
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { describeRoot } from "../helpers/root.js";
import { cliShell, type CliShell } from "../helpers/cli-shell.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
let cli: CliShell;
const ok = (script: string, input?: string) => cli.ok(script, input === undefined ? {} : { input });

/** Whether `password` matches the crypt hash of `user` in the container's /etc/shadow (openssl on the host). */
async function passwordWorks(ctid: number, user: string, password: string): Promise<boolean> {
  const r = await te.client.call("container.exec", { ctid, argv: ["/bin/sh", "-c", `grep "^${user}:" /etc/shadow`] });
  const hash = r.stdout.trim().split(":")[1] ?? "";
  if (!hash.startsWith("$6$")) return false;
  return (
    execFileSync("openssl", ["passwd", "-6", "-salt", hash.split("$")[2]!, "-stdin"], {
      input: password,
      encoding: "utf8",
    }).trim() === hash
  );
}
const limits = (ctid: number) => te.client.call("container.limits", { ctid });

describeRoot("OpenVZ and Virtuozzo documentation, verbatim", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    // the node's vz.conf-style defaults, as run.sh writes them into /etc/ovz/ovz.conf
    cli = await cliShell(te.env.OVZ_SOCKET!, { name: "openvz-docs", env: { DEF_OSTEMPLATE: "busybox" } });
    // OpenVZ ships a "basic" sample config; here a plan is the config: the admin makes one
    const starter = await cli.db.plan.findFirstOrThrow({ where: { name: "starter" } });
    await cli.db.plan.create({
      data: {
        tenantId: starter.tenantId,
        name: "basic",
        limits: starter.limits,
        templates: starter.templates,
        ipCount: 1,
      },
    });
  }, 180_000);
  afterAll(async () => {
    await cli?.close();
    await te?.cleanup();
  });

  it("vzctl(8) EXAMPLES: create, --ipadd (an address in no pool), start, numproc and PTY limits, exec, enter --exec, stop, destroy", async () => {
    expect(await ok("vzctl create 1000 --ostemplate busybox --config basic")).toContain(
      "Container private area was created",
    );
    await ok("vzctl set 1000 --ipadd 198.18.212.200 --save");
    await ok("vzctl start 1000");
    expect((await te.client.call("container.status", { ctid: 1000 })).ips).toContain("198.18.212.200");

    await ok("vzctl set 1000 --numproc 80:100 -t 16:20 --save");
    const l = await limits(1000);
    expect(l.cgroup?.numproc).toBe(100); // the limit half is what the kernel enforces
    expect(l.configured.numpty).toBe(20);
    expect(l.ptyMax).toBe(20); // the container's /dev/pts, remounted live

    const ls = await ok("vzctl exec 1000 /bin/ls -la");
    expect(ls).toMatch(/^total /m);
    const sorted = await ok("vzctl exec 1000 'ls -l / | sort'");
    const lines = sorted.trim().split("\n");
    expect(lines).toEqual([...lines].sort());
    expect(sorted).toMatch(/ etc$/m);

    // "vzctl enter 1000 --exec apt-get install vim": the command is typed into root's shell, which stays
    // for more input (the man page: "you will need to log out ... after apt-get finishes"). The busybox
    // template has no package manager and the test host no network: `hostname` stands for apt-get.
    const entered = await cli.sh("vzctl enter 1000 --exec hostname", { input: "echo still-in-the-shell\nexit 3\n" });
    expect(entered.stdout).toContain("entered into CT 1000");
    expect(entered.stdout).toMatch(/ct1000[\s\S]*still-in-the-shell/); // the typed command, then the shell's next line
    expect(entered.stdout).toContain("exited from CT 1000");
    expect(entered.code).toBe(3);

    expect(await ok("vzctl stop 1000")).toContain("Container was stopped");
    expect(await ok("vzctl destroy 1000")).toContain("Container private area was destroyed");
    expect(await leftovers(te, 1000)).toEqual([]);
    expect(await cli.db.ipAddress.count({ where: { address: "198.18.212.200" } })).toBe(0);
  });

  it("OpenVZ wiki, basic operations: settings saved on the stopped container, the root password set before the first start", async () => {
    await ok("vzctl create 101 --ostemplate busybox");
    await ok("vzctl set 101 --onboot yes --save");
    await ok("vzctl set 101 --hostname server101.mydomain.com --save");
    await ok("vzctl set 101 --ipadd 198.18.212.101 --save");
    await ok("vzctl set 101 --nameserver 198.18.0.53 --save");
    await ok("vzctl set 101 --userpasswd root:test");
    await ok("vzctl start 101");
    expect(await ok("vzctl exec 101 ps ax")).toMatch(/init/);
    expect((await ok("vzctl status 101")).trim()).toBe("CTID 101 exist mounted running");
    expect(await passwordWorks(101, "root", "test")).toBe(true);
    expect((await ok("vzctl exec 101 hostname")).trim()).toBe("server101.mydomain.com");
    expect(await ok("vzctl exec 101 cat /etc/resolv.conf")).toContain("nameserver 198.18.0.53");
    await ok("vzctl restart 101");
    expect((await ok("vzctl status 101")).trim()).toBe("CTID 101 exist mounted running");
    const row = await cli.db.container.findFirstOrThrow({ where: { ctid: 101 } });
    expect(row).toMatchObject({ onboot: true, hostname: "server101.mydomain.com" });
  });

  it("a user added to every container with a vzlist loop, running or stopped (vzlist -a)", async () => {
    await ok("vzctl create 102"); // DEF_OSTEMPLATE and the default plan, as vz.conf's defaults
    expect(await ok("vzlist -a -H -o ctid,status")).toMatch(/102\s+stopped/);
    await ok("for CT in $(vzlist -H -o ctid); do vzctl set $CT --userpasswd admin:secret; done");
    expect(await passwordWorks(101, "admin", "secret")).toBe(true);
    expect((await ok("vzctl exec 101 'id admin; test -d /home/admin && echo home'")).trim()).toMatch(
      /^uid=1000\(admin\).*\nhome$/,
    );
    // the stopped one too, with -a
    await ok("for CT in $(vzlist -a -H -o ctid); do vzctl set $CT --userpasswd admin:secret2; done");
    await ok("vzctl start 102");
    expect(await passwordWorks(102, "admin", "secret2")).toBe(true);
    expect(await passwordWorks(101, "admin", "secret2")).toBe(true);
    await ok("for CT in 101 102; do vzctl stop $CT; vzctl destroy $CT; done");
    expect([...(await leftovers(te, 101)), ...(await leftovers(te, 102))]).toEqual([]);
  });

  it("Virtuozzo 7 User's Guide: prlctl create, password on the stopped CT, network, start, list, exec, clone, stop, delete", async () => {
    expect(await ok("prlctl create MyCT --vmtype ct")).toContain("The Container has been successfully created");
    await ok("prlctl set MyCT --userpasswd root:2wsx123qwe");
    await ok("prlctl set MyCT --hostname myct.example.com");
    await ok("prlctl set MyCT --ipadd 198.18.212.150/24");
    await ok("prlctl set MyCT --nameserver 198.18.0.53");
    await ok("prlctl set MyCT --onboot yes");
    expect(await ok("prlctl start MyCT")).toContain("The CT has been successfully started.");
    // the plan gave it an address from the pool at create; the list shows the first one
    expect(await ok("prlctl list -a")).toMatch(/running\s+198\.18\.100\.\d+\s+CT\s+MyCT/);
    expect(await ok("prlctl exec MyCT ip -4 addr show dev venet0")).toContain("198.18.212.150/32");
    expect((await ok("prlctl exec MyCT cat /etc/hostname")).trim()).toBe("myct.example.com");
    const ctid = (await cli.db.container.findFirstOrThrow({ where: { name: "MyCT" } })).ctid;
    expect(await passwordWorks(ctid, "root", "2wsx123qwe")).toBe(true);
    expect(await ok("prlctl clone MyCT --name MyCT_clone")).toContain("The CT has been successfully cloned");
    const clone = await cli.db.container.findFirstOrThrow({
      where: { name: "MyCT_clone" },
      include: { addresses: true },
    });
    expect(clone.addresses.map((a) => a.address)).not.toContain("198.18.212.150");
    await ok("prlctl stop MyCT");
    expect(await ok("prlctl delete MyCT")).toContain("The CT has been successfully removed.");
    await ok("prlctl delete MyCT_clone");
    expect([...(await leftovers(te, ctid)), ...(await leftovers(te, clone.ctid))]).toEqual([]);
  });
});
