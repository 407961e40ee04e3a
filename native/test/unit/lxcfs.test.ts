/**
 * The pure parts of the container view (native/src/lxcfs.ts): the LXC mount entries, how a checkpoint's fingerprint
 * leaves them out, and how the engine finds lxcfs's mount in /proc/self/mountinfo.
 */
import { describe, expect, it } from "vitest";
import { configFingerprint } from "../../src/checkpoint.js";
import { isViewMountLine, lxcfsArgs, mountTypeAt, viewMountEntries } from "../../src/lxcfs.js";

const MOUNTINFO = [
  "27 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw",
  "47 27 0:42 / /var/lib/ovz/lxcfs rw,nosuid,nodev,relatime - fuse.lxcfs lxcfs rw,user_id=0,group_id=0,allow_other",
  "48 27 0:43 / /var/lib/o\\040z/lxcfs rw - tmpfs tmpfs rw",
  "",
].join("\n");

describe("container view (lxcfs)", () => {
  it("binds each /proc file and /sys/devices/system/cpu from the engine's mount, optional (never a failed start)", () => {
    const e = viewMountEntries("/var/lib/ovz/lxcfs");
    expect(e).toContain("/var/lib/ovz/lxcfs/proc/meminfo proc/meminfo none bind,optional,create=file 0 0");
    expect(e).toContain(
      "/var/lib/ovz/lxcfs/sys/devices/system/cpu sys/devices/system/cpu none bind,optional,create=dir 0 0",
    );
    expect(e).toHaveLength(8);
    for (const line of e) expect(isViewMountLine(`lxc.mount.entry = ${line}`)).toBe(true);
  });

  it("tells the view's mount entries from any other line", () => {
    expect(isViewMountLine("lxc.mount.entry = /srv/data srv/data none bind 0 0")).toBe(false);
    expect(isViewMountLine("lxc.mount.entry = /var/lib/ovz/other/proc/meminfo proc/meminfo none bind 0 0")).toBe(false);
    expect(isViewMountLine("lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed")).toBe(false);
  });

  it("a checkpoint's fingerprint ignores the view (lxcfs may come or go between dump and restore), not other mounts", () => {
    const base = "lxc.uts.name = a\nlxc.net.0.type = empty\n";
    const withView =
      base +
      viewMountEntries("/var/lib/ovz/lxcfs")
        .map((l) => `lxc.mount.entry = ${l}\n`)
        .join("");
    expect(configFingerprint(withView)).toBe(configFingerprint(base));
    expect(configFingerprint(base + "lxc.mount.entry = /srv srv none bind 0 0\n")).not.toBe(configFingerprint(base));
  });

  it("finds the filesystem type mounted exactly at a directory (octal escapes decoded)", () => {
    expect(mountTypeAt(MOUNTINFO, "/var/lib/ovz/lxcfs")).toBe("fuse.lxcfs");
    expect(mountTypeAt(MOUNTINFO, "/var/lib/o z/lxcfs")).toBe("tmpfs");
    expect(mountTypeAt(MOUNTINFO, "/var/lib/ovz")).toBeNull();
  });

  it("runs lxcfs in the foreground with per-container load averages, CPUs from the CFS quota, pidfds", () => {
    expect(lxcfsArgs("/d", "/d.pid")).toEqual(["-f", "-l", "--enable-cfs", "--enable-pidfd", "-p", "/d.pid", "/d"]);
  });
});
