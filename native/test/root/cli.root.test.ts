/**
 * vzctl / prlctl / vzlist against real containers, through the wrappers scripts/install-cli.sh puts on
 * the PATH and real bash: sequences from the OpenVZ and Virtuozzo documentation (create, set --save,
 * start, exec, status, stop, destroy; prlctl create/set/snapshot/backup/restore/delete), mass management
 * with `for CT in $(vzlist -H -o ctid)`, the originals' messages and exit codes for bad input (which
 * changes nothing), and the panel's database as the one source: what the CLI does is what the panel
 * shows, and the other way round.
 */
import { afterAll, beforeAll, expect, it } from "vitest";
import type { Db } from "../../../server/db/client.js";
import { createContainer, setLimits } from "../../../server/services/containers.js";
import { waitForAllOperations } from "../../../server/services/operations.js";
import { CRIU_BIN, criuAvailable } from "../../src/drivers/runtime/criu.js";
import { describeRoot } from "../helpers/root.js";
import { cliShell, type CliShell } from "../helpers/cli-shell.js";
import { leftovers, startTestEngine, type TestEngine } from "../helpers/engine.js";

let te: TestEngine;
let cli: CliShell;
let db: Db;
const MiB = 1024 * 1024;
const sh = (script: string, input?: string) => cli.sh(script, input === undefined ? {} : { input });
const ok = (script: string) => cli.ok(script);

const memLimit = async (ctid: number) => {
  const info = await te.client.call("container.limits", { ctid });
  return info.cgroup?.ram ?? null;
};

describeRoot("vzctl, prlctl and vzlist on real containers", () => {
  beforeAll(async () => {
    te = await startTestEngine();
    await te.client.call("template.build", { kind: "busybox" });
    cli = await cliShell(te.env.OVZ_SOCKET!, { name: "cli" });
    db = cli.db;
  }, 180_000);

  afterAll(async () => {
    await cli?.close();
    await te?.cleanup();
  });

  it("runs the OpenVZ quick-start sequence: create, set --save, start, exec, status, stop, destroy", async () => {
    const created = await ok("vzctl create 101 --ostemplate busybox --config starter");
    expect(created).toContain("Creating container private area (busybox)");
    expect(created).toContain("Container private area was created");
    expect(await ok("vzctl set 101 --hostname test101.my.org --save")).toContain("Saved parameters for CT 101");
    await ok("vzctl set 101 --ipadd 198.18.100.50 --nameserver 198.18.0.53 --onboot yes --save");
    // the boot order reaches the engine (which starts onboot containers by it) and vzlist
    await ok("vzctl set 101 --bootorder 100 --save");
    expect((await te.client.call("container.status", { ctid: 101 })).bootorder).toBe(100);
    expect((await ok("vzlist -H -o bootorder 101")).trim()).toBe("100");
    const start = await ok("vzctl start 101");
    expect(start).toContain("Starting container...");
    expect(start).toContain("Adding IP address(es): ");
    expect(start).toContain("198.18.100.50");
    expect(start).toContain("Container start in progress...");
    expect((await ok("vzctl status 101")).trim()).toBe("CTID 101 exist mounted running");
    expect((await ok("vzctl exec 101 hostname")).trim()).toBe("test101.my.org");
    expect(await ok("vzctl exec 101 cat /etc/resolv.conf")).toContain("nameserver 198.18.0.53");
    expect(await ok("vzctl exec 101 ip -4 addr show dev venet0")).toContain("198.18.100.50/");
    // exec's status is the command's; stdin script with "-"
    expect((await sh("vzctl exec 101 'exit 7'")).code).toBe(7);
    expect((await sh("vzctl exec 101 -", "echo from-stdin; hostname\n")).stdout).toContain(
      "from-stdin\ntest101.my.org",
    );
    // --userpasswd: a new hash for root in the container's shadow file
    const shadow = async () => (await ok("vzctl exec 101 'grep ^root: /etc/shadow'")).trim();
    const hashBefore = await shadow();
    await ok("vzctl set 101 --userpasswd root:n3w-Secret --save");
    expect(await shadow()).not.toBe(hashBefore);
    expect(await shadow()).toMatch(/^root:\$6\$/);
    // a user that does not exist is created (vzctl's documented behaviour)
    await ok("vzctl set 101 --userpasswd newuser:n3w-Secret2");
    expect((await ok("vzctl exec 101 'id -un newuser; test -d /home/newuser && echo home'")).trim()).toBe(
      "newuser\nhome",
    );
    // restart: a new init, same settings
    const init1 = (await te.client.call("container.status", { ctid: 101 })).initPid;
    const restarted = await ok("vzctl restart 101");
    expect(restarted.indexOf("Stopping container ...")).toBeLessThan(restarted.indexOf("Starting container..."));
    expect((await te.client.call("container.status", { ctid: 101 })).initPid).not.toBe(init1);
    expect((await ok("vzctl exec 101 hostname")).trim()).toBe("test101.my.org");
    // enter: a shell inside through the engine's console (piped here; console.root.test.ts drives a real terminal)
    const entered = await sh("printf 'echo inside-$(hostname)\\nexit 5\\n' | vzctl enter 101");
    expect(entered.code).toBe(5);
    expect(entered.stdout).toContain("entered into CT 101");
    expect(entered.stdout).toContain("inside-test101.my.org");
    expect(entered.stdout).toContain("exited from CT 101");
    // the panel's row says the same
    const row = await db.container.findFirstOrThrow({
      where: { ctid: 101 },
      include: { addresses: true, tenant: true },
    });
    expect(row.hostname).toBe("test101.my.org");
    expect(row.onboot).toBe(true);
    expect(row.state).toBe("running");
    expect(row.addresses.map((a) => a.address)).toContain("198.18.100.50");
    expect(row.tenant.kind).toBe("platform");
    const audit = await db.auditLog.findMany({
      where: { target: { contains: "container 101" } },
      orderBy: { id: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(
      expect.arrayContaining(["container.create", "container.setSettings", "container.addIp", "container.start"]),
    );
    expect(audit.every((a) => /@.+ \(vzctl\)$/.test(a.actor))).toBe(true);
  });

  it("sets resources live with vzctl's units and barrier:limit pairs; the kernel reads them back", async () => {
    const out = await ok(
      "vzctl set 101 --ram 256M --swap 0 --cpuunits 2000 --cpulimit 50% --cpus 1 --cpumask 0 --numproc 200:300 --numfile 4096 --diskspace 1G:1200M --save",
    );
    expect(out).toContain("Setting CPU units: 2000");
    expect(out).toContain("Setting CPU limit: 50");
    expect(await memLimit(101)).toBe(256 * MiB);
    const l = await te.client.call("container.limits", { ctid: 101 });
    expect(l.cgroup?.cpuunits).toBe(2000);
    expect(l.cgroup?.cpulimit).toBe(50);
    expect(l.cgroup?.numproc).toBe(300); // the limit half is what the kernel enforces
    expect(l.cgroup?.cpus).toBe("0"); // --cpumask 0 pins it: 1 vCPU covers the whole mask, the balancer never moves it
    expect(l.configured.cpus).toBe(1);
    expect(l.configured.diskspace).toBe(1024 * MiB); // the soft half is the quota
    // the panel stores them as the container's overrides
    const row = await db.container.findFirstOrThrow({ where: { ctid: 101 } });
    expect(JSON.parse(row.overrides)).toMatchObject({
      ram: 256 * MiB,
      cpuunits: 2000,
      cpulimit: 50,
      numproc: 300,
      numfile: 4096,
      diskspace: 1024 * MiB,
    });
  });

  it("refuses bad input with vzctl's messages and exit codes, and changes nothing", async () => {
    const before = await db.container.findFirstOrThrow({ where: { ctid: 101 } });
    const cases: [string, number, RegExp][] = [
      ["vzctl set 101 --ram 1X --save", 21, /Bad parameter for --ram: 1X/],
      ["vzctl set 101 --cpuunits 2500 --ram 12 --save", 21, /Bad parameter for --ram: 12/],
      ["vzctl set 101 --bogus 1", 20, /unrecognized option '--bogus'/],
      ["vzctl set 101 --numproc 300:200", 21, /Bad parameter for --numproc: 300:200/],
      ["vzctl set 101 --hostname 'bad host'", 70, /Bad parameter for --hostname/],
      ["vzctl set 101 --ipadd 198.18.300.1", 71, /not an IPv4 or IPv6 address/],
      ["vzctl start 999", 14, /Container 999 does not exist/],
      ["vzctl start 101", 32, /Container is already running/],
      ["vzctl frobnicate 101", 20, /Bad command: frobnicate/],
      ["vzctl start", 21, /CT ID is not given/],
      ["vzctl create 102 --ostemplate no-such-template", 21, /template no-such-template not found/],
      ["vzctl create 103", 29, /OS template is not specified/],
      ["vzctl create 101 --ostemplate busybox", 44, /already exists/],
    ];
    for (const [cmd, code, msg] of cases) {
      const r = await sh(cmd);
      expect({ cmd, code: r.code }).toEqual({ cmd, code });
      expect(r.stderr).toMatch(msg);
    }
    const after = await db.container.findFirstOrThrow({ where: { ctid: 101 } });
    expect({ ...after, updatedAt: null }).toEqual({ ...before, updatedAt: null });
    expect(await memLimit(101)).toBe(256 * MiB);
    expect(await db.container.count()).toBe(1);
    expect((await te.client.call("container.list", {})).map((c) => c.ctid)).toEqual([101]);
  });

  it("a container made in the panel shows in vzlist, and limits set in the panel show in the CLI", async () => {
    const platform = await db.tenant.findFirstOrThrow({ where: { kind: "platform" } });
    const admin = await db.user.findFirstOrThrow({ where: { role: "admin" } });
    const plan = await db.plan.findFirstOrThrow({ where: { name: "starter" } });
    const ctx = {
      db,
      actor: {
        userId: admin.id,
        role: "admin" as const,
        tenantId: platform.id,
        label: admin.email,
        via: "session" as const,
      },
      ip: null,
      userAgent: null,
    };
    await createContainer(ctx, null, {
      tenantId: platform.id,
      planId: plan.id,
      hostname: "panel102.test",
      template: "busybox",
      ctid: 102,
    });
    await waitForAllOperations();
    const c102 = await db.container.findFirstOrThrow({
      where: { ctid: 102 },
      include: { plan: true, node: true, tenant: true },
    });
    await setLimits(ctx, c102, { ram: 300 * MiB });
    const list = await ok("vzlist -a -H -o ctid,hostname,status");
    expect(list).toMatch(/^\s+101\s+test101\.my\.org\s+running$/m);
    expect(list).toMatch(/^\s+102\s+panel102\.test\s+stopped$/m);
    const json = JSON.parse(await ok("vzlist -a -j")) as {
      ctid: number;
      hostname: string;
      status: string;
      ip: string[];
    }[];
    expect(json.map((x) => x.ctid)).toEqual([101, 102]);
    expect(json.find((x) => x.ctid === 101)!.ip).toContain("198.18.100.50");
    expect(await ok("vzctl start panel102.test 2>&1 || true")).toContain("does not exist"); // hostnames are not names
    await ok("vzctl set 102 --name web102 --save");
    await ok("vzctl start web102");
    expect(await memLimit(102)).toBe(300 * MiB);
    // only running ones without -a; names work wherever a ctid does
    expect((await ok("vzlist -H -o ctid")).trim().split(/\s+/)).toEqual(["101", "102"]);
  });

  it("mass management: a shell loop over vzlist -H -o ctid", async () => {
    const out = await ok(
      `for CT in $(vzlist -H -o ctid); do echo "== $CT"; vzctl exec $CT 'echo $(hostname) up'; done`,
    );
    expect(out).toContain("== 101\ntest101.my.org up");
    expect(out).toContain("== 102\npanel102.test up");
    await ok(`for CT in $(vzlist -H -o ctid); do vzctl set $CT --cpuunits 1500 --save >/dev/null; done`);
    for (const ctid of [101, 102])
      expect((await te.client.call("container.limits", { ctid })).cgroup?.cpuunits).toBe(1500);
    const stop = await ok(`for CT in $(vzlist -H -o ctid); do vzctl stop $CT; done`);
    expect(stop.match(/Container was stopped/g)).toHaveLength(2);
    expect((await ok("vzlist -H -o ctid")).trim()).toBe("");
    // nothing running: the message, status 0 (as vzlist.c: only named CTIDs that match nothing are an error)
    const r = await sh("vzlist");
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Container\(s\) not found/);
    const named = await sh("vzlist 999");
    expect(named.code).toBe(1);
    expect(named.stderr).toMatch(/Container\(s\) not found/);
    expect((await sh("vzctl stop 101")).code).toBe(31);
    expect((await sh("vzctl exec 101 true")).code).toBe(31);
  });

  it("prlctl: create by name, set, snapshot and switch, backup and restore, delete", async () => {
    expect(await ok("prlctl create web1 --vmtype ct --ostemplate busybox")).toContain(
      "The Container has been successfully created",
    );
    const row = await db.container.findFirstOrThrow({ where: { name: "web1" } });
    expect(row.ctid).toBe(103);
    expect(await ok("prlctl set web1 --memsize 300 --cpus 1 --hostname web1.test")).toContain(
      "The CT has been successfully configured.",
    );
    expect(await ok("prlctl start web1")).toContain("The CT has been successfully started.");
    expect(await memLimit(103)).toBe(300 * MiB);
    expect((await ok("prlctl status web1")).trim()).toBe("CT web1 exist running");
    const list = await ok("prlctl list -a");
    expect(list).toMatch(/^UUID\s+STATUS\s+IP_ADDR\s+T\s+NAME/);
    expect(list).toMatch(/running .* CT\s+web1\s*$/m);
    // snapshot, change a file, switch back (the running container is stopped and started again)
    await ok("vzctl exec web1 'echo one > /root/marker'");
    expect(await ok("prlctl snapshot web1 -n before")).toContain(
      "The snapshot with id {before} has been successfully created.",
    );
    expect(await ok("prlctl snapshot-list web1")).toContain("{before}");
    await ok("vzctl exec web1 'echo two > /root/marker'");
    expect(await ok("prlctl snapshot-switch web1 -i before")).toContain("The CT has been successfully switched.");
    expect((await ok("vzctl exec web1 cat /root/marker")).trim()).toBe("one");
    // backup, change, stop, restore: the file comes back, the panel's settings stay
    const b = await ok("prlctl backup web1");
    const backupId = /The CT has been successfully backed up with backup id (\S+)/.exec(b)![1]!;
    expect(await ok("prlctl backup-list web1")).toContain(backupId);
    await ok("vzctl exec web1 'echo three > /root/marker'");
    const refused = await sh("prlctl restore web1");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/stop it first/);
    await ok("prlctl stop web1");
    expect(await ok("prlctl restore web1")).toContain("The CT has been successfully restored.");
    await ok("prlctl start web1");
    expect((await ok("vzctl exec web1 cat /root/marker")).trim()).toBe("one");
    expect((await ok("vzctl exec web1 hostname")).trim()).toBe("web1.test");
    expect(await memLimit(103)).toBe(300 * MiB);
    expect(await ok(`vzctl backup-delete web1 --backup ${backupId}`)).toContain(
      `The backup ${backupId} has been successfully removed.`,
    );
    expect(await ok("prlctl backup-list web1 -H")).not.toContain(backupId);
    const ops = await db.operation.findMany({
      where: { container: { name: "web1" } },
      select: { type: true, status: true, actor: true },
    });
    expect(ops.filter((o) => o.type === "backup" || o.type === "restore").map((o) => o.status)).toEqual([
      "succeeded",
      "succeeded",
    ]);
    expect(ops.every((o) => o.actor.endsWith("(prlctl)") || o.actor.endsWith("(vzctl)"))).toBe(true);
    // delete refuses a running CT (status 1, as prlctl), then removes it
    expect((await sh("prlctl delete web1")).code).toBe(1);
    await ok("prlctl stop web1");
    expect(await ok("prlctl delete web1")).toContain("The CT has been successfully removed.");
    expect(await db.container.findFirst({ where: { name: "web1" } })).toBeNull();
    expect(await leftovers(te, 103)).toEqual([]);
    const gone = await sh("prlctl status web1");
    expect(gone.code).toBe(255);
    expect(gone.stderr).toMatch(/could not be found/);
  });

  it("vzctl snapshots: create, list, switch back, delete", async () => {
    await ok("vzctl start 101");
    await ok("vzctl exec 101 'echo A > /root/v'");
    expect(await ok('vzctl snapshot 101 --id s1 --description "before B"')).toContain(
      "Snapshot {s1} has been successfully created",
    );
    await ok("vzctl exec 101 'echo B > /root/v'");
    const list = await ok("vzctl snapshot-list 101");
    expect(list.split("\n")[0]).toMatch(/^PARENT_UUID\s+C UUID\s+DATE\s+NAME$/);
    expect(list).toMatch(/\{s1\}\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d before B/);
    expect((await ok("vzctl snapshot-list 101 -H -o uuid")).trim()).toBe("{s1}");
    expect(await ok("vzctl snapshot-switch 101 --id s1")).toContain(
      "Container has been successfully switched to snapshot {s1}",
    );
    expect((await ok("vzctl exec 101 cat /root/v")).trim()).toBe("A");
    expect((await sh("vzctl snapshot-switch 101 --id nope")).code).toBe(21);
    expect(await ok("vzctl snapshot-delete 101 --id s1")).toContain("Snapshot {s1} has been successfully deleted");
    expect((await ok("vzctl snapshot-list 101 -H")).trim()).toBe("");
  });

  it("suspend and resume freeze and thaw every process; destroy leaves nothing", async () => {
    expect(await ok("vzctl suspend 101")).toContain("Container is suspended");
    expect((await ok("vzctl status 101")).trim()).toBe("CTID 101 exist mounted running suspended");
    expect((await sh("vzctl exec 101 true")).code).toBe(31);
    await ok("vzctl resume 101");
    expect((await ok("vzctl exec 101 echo alive")).trim()).toBe("alive");
    // chkpnt: CRIU to disk and stopped; resume restores it (that the same processes continue is
    // checkpoint.root.test.ts's job)
    // (scripts/test.sh installs CRIU first, as run.sh does: a missing one is a failure here, not a skip)
    expect(criuAvailable(), `${CRIU_BIN} is missing; run scripts/install-criu.sh`).toBe(true);
    expect(await ok("vzctl chkpnt 101")).toContain("Checkpointing completed successfully");
    expect((await ok("vzctl status 101")).trim()).toBe("CTID 101 exist unmounted down suspended");
    expect((await sh("vzctl exec 101 true")).code).toBe(31);
    expect((await sh("vzctl chkpnt 101")).code).toBe(32); // already suspended
    expect(await ok("vzctl resume 101")).toContain("Container is resumed");
    expect((await ok("vzctl exec 101 echo alive")).trim()).toBe("alive");
    // OpenVZ's pair: chkpnt --dumpfile, then restore (from the checkpoint, not a backup)
    await ok("vzctl chkpnt 101 --dumpfile /tmp/ignored.dump");
    expect(await ok("vzctl restore 101 --dumpfile /tmp/ignored.dump")).toContain(
      "Container is restored from its checkpoint",
    );
    expect((await ok("vzctl status 101")).trim()).toBe("CTID 101 exist mounted running");
    expect((await sh("vzctl destroy 101")).code).toBe(32); // running: stop it first
    await ok("vzctl stop 101");
    const d = await ok("vzctl destroy 101");
    expect(d).toContain("Container private area was destroyed");
    expect((await ok("vzctl status 101")).trim()).toBe("CTID 101 deleted unmounted down");
    expect(await leftovers(te, 101)).toEqual([]);
    expect(await db.ipAddress.count({ where: { address: "198.18.100.50" } })).toBe(0);
    await ok("vzctl stop 102 || true; vzctl destroy 102");
    expect(await leftovers(te, 102)).toEqual([]);
  });
});
