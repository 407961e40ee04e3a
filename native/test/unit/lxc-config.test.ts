/**
 * Golden-file tests for the rendered LXC config. To accept an intended change, run
 *   UPDATE_GOLDEN=1 npx vitest run --project unit native/test/unit/lxc-config.test.ts
 * and review the diff of native/test/golden/ in the commit.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderLxcConfig } from "../../src/drivers/runtime/lxc-config.js";
import type { RuntimeSpec } from "../../src/drivers/runtime/types.js";

const golden = (name: string) => path.join(import.meta.dirname, "..", "golden", name);

function check(name: string, text: string): void {
  const file = golden(name);
  if (process.env.UPDATE_GOLDEN) writeFileSync(file, text);
  expect(existsSync(file), `golden file ${name} is missing; create it with UPDATE_GOLDEN=1`).toBe(true);
  expect(text).toBe(readFileSync(file, "utf8"));
}

const base: RuntimeSpec = {
  ctid: 101,
  hostname: "web1.example.test",
  rootfs: "/var/lib/ovz/pool/containers/101",
  idmap: { hostId: 1_065_536, size: 65536 },
  init: "/sbin/init",
  haltSignal: "SIGUSR2",
  cgroupDir: "ovz/101",
  monitorCgroupDir: "ovz.monitor/101",
  cgroupKeys: [
    ["lxc.cgroup.memory.limit_in_bytes", "536870912"],
    ["lxc.cgroup.pids.max", "1024"],
  ],
  nofile: 65536,
  ptyMax: 1024,
  seccompProfile: "/opt/ovz/native/config/seccomp/default.seccomp",
  apparmorProfile: null,
  logFile: "/var/lib/ovz/lxc/101/lxc.log",
  consoleLog: null,
  network: [],
  view: "/var/lib/ovz/lxcfs",
  features: [],
  deviceDir: "/var/lib/ovz/lxc/101/devices",
};

describe("renderLxcConfig", () => {
  it("renders an unprivileged busybox container on cgroup v1 (golden)", () => {
    check("lxc-busybox-v1.conf", renderLxcConfig(base, 1));
  });

  it("renders a systemd container on cgroup v2 (golden)", () => {
    check(
      "lxc-systemd-v2.conf",
      renderLxcConfig(
        {
          ...base,
          ctid: 202,
          hostname: "db",
          haltSignal: "SIGRTMIN+3",
          apparmorProfile: "lxc-container-ovz", // a Debian host: AppArmor enforced, our profile loaded
          idmap: { hostId: 1_131_072, size: 65536 },
          cgroupDir: "ovz/202",
          monitorCgroupDir: "ovz.monitor/202",
          cgroupKeys: [["lxc.cgroup2.memory.max", "1073741824"]],
          view: null,
        },
        2,
      ),
    );
  });

  it("always maps root to the container's own unprivileged range and never lets LXC choose a rootfs backend", () => {
    const text = renderLxcConfig(base, 1);
    expect(text).toContain("lxc.idmap = u 0 1065536 65536\n");
    expect(text).toContain("lxc.idmap = g 0 1065536 65536\n");
    expect(text).toMatch(/^lxc\.rootfs\.path = dir:\/var\/lib\/ovz\/pool\/containers\/101$/m);
    expect(text).not.toMatch(/lxc\.include/);
    expect(text).toMatch(/^lxc\.seccomp\.profile = /m);
  });

  it("binds the engine's lxcfs files over /proc and /sys/devices/system/cpu, never through LXC's global lxcfs hook", () => {
    const text = renderLxcConfig(base, 1);
    for (const f of ["meminfo", "cpuinfo", "stat", "uptime", "loadavg", "diskstats", "swaps"]) {
      expect(text).toContain(
        `lxc.mount.entry = /var/lib/ovz/lxcfs/proc/${f} proc/${f} none bind,optional,create=file 0 0\n`,
      );
    }
    expect(text).toContain(
      "lxc.mount.entry = /var/lib/ovz/lxcfs/sys/devices/system/cpu sys/devices/system/cpu none bind,optional,create=dir 0 0\n",
    );
    // the Debian package's /usr/share/lxc/config/common.conf.d/00-lxcfs.conf comes only through lxc.include
    expect(text).not.toMatch(/lxc\.include|lxc\.hook/);
    const hostView = renderLxcConfig({ ...base, view: null }, 1);
    expect(hostView).not.toMatch(/lxc\.mount\.entry|lxcfs/);
  });
});

describe("renderLxcConfig: features (native/src/features.ts)", () => {
  const all = { ...base, features: ["nesting", "tun", "fuse", "keyctl"] as RuntimeSpec["features"] };

  it("renders every feature on cgroup v1 and v2 (golden)", () => {
    check("lxc-features-v1.conf", renderLxcConfig(all, 1));
    check("lxc-features-v2.conf", renderLxcConfig({ ...all, cgroupKeys: [["lxc.cgroup2.pids.max", "1024"]] }, 2));
  });

  it("allows tun and fuse in the device cgroup with the key of the host's cgroup version, and binds their nodes", () => {
    const v1 = renderLxcConfig({ ...base, features: ["tun"] }, 1);
    expect(v1).toContain("lxc.cgroup.devices.allow = c 10:200 rwm\n");
    expect(v1).not.toContain("lxc.cgroup2.");
    expect(v1).toContain("lxc.mount.entry = /var/lib/ovz/lxc/101/devices/tun dev/net/tun none bind,create=file 0 0\n");
    expect(v1).not.toMatch(/10:229|dev\/fuse/);
    const v2 = renderLxcConfig({ ...base, features: ["fuse"] }, 2);
    expect(v2).toContain("lxc.cgroup2.devices.allow = c 10:229 rwm\n");
    expect(v2).not.toMatch(/^lxc\.cgroup\.devices/m);
    expect(v2).toContain("lxc.mount.entry = /var/lib/ovz/lxc/101/devices/fuse dev/fuse none bind,create=file 0 0\n");
    expect(v2).not.toMatch(/10:200|net\/tun/);
  });

  it("grants neither device without its feature (fuse is not in the default device list)", () => {
    for (const v of [1, 2] as const) {
      const text = renderLxcConfig(base, v);
      expect(text).not.toMatch(/10:200|10:229|devices\/(tun|fuse)|dev\/\.lxc/);
      // the default rules still end with a deny-all first
      expect(text).toContain(v === 1 ? "lxc.cgroup.devices.deny = a\n" : "lxc.cgroup2.devices.deny = a\n");
    }
  });

  it("gives nesting a clean proc and sysfs under /dev/.lxc (what lets a nested proc mount through)", () => {
    const text = renderLxcConfig({ ...base, features: ["nesting"] }, 1);
    expect(text).toContain("lxc.mount.entry = proc dev/.lxc/proc proc create=dir,optional 0 0\n");
    expect(text).toContain("lxc.mount.entry = sys dev/.lxc/sys sysfs create=dir,optional 0 0\n");
  });

  it("keeps the console (no pty) off unless the boot log is on; then a bounded, rotated log file", () => {
    const off = renderLxcConfig(base, 2);
    expect(off).toMatch(/^lxc\.console\.path = none$/m);
    expect(off).not.toMatch(/lxc\.console\.logfile/);
    const on = renderLxcConfig({ ...base, consoleLog: "/var/lib/ovz/lxc/101/console.log" }, 2);
    expect(on).not.toMatch(/lxc\.console\.path/);
    expect(on).toMatch(/^lxc\.console\.logfile = \/var\/lib\/ovz\/lxc\/101\/console\.log$/m);
    expect(on).toMatch(/^lxc\.console\.size = 131072$/m);
    expect(on).toMatch(/^lxc\.console\.rotate = 1$/m);
  });
});
