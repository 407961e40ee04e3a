/**
 * The Debian packages scripts/install.sh installs (scripts/lib/packages.sh): a production node gets what
 * the engine and run.sh need — AppArmor's userspace where the kernel enforces AppArmor (a stock Debian 12
 * kernel does: without it LXC cannot set "lxc-container-default-cgns" and no container starts), curl —
 * and no test tool; the test command adds those.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const REPO = path.resolve(import.meta.dirname, "../../..");
const sysfs = fs.mkdtempSync(path.join(os.tmpdir(), "ovz-sysfs-"));

function packages(what: "production" | "test", apparmor: "Y" | "N" | null): string[] {
  fs.rmSync(path.join(sysfs, "module"), { recursive: true, force: true });
  if (apparmor) {
    fs.mkdirSync(path.join(sysfs, "module/apparmor/parameters"), { recursive: true });
    fs.writeFileSync(path.join(sysfs, "module/apparmor/parameters/enabled"), `${apparmor}\n`);
  }
  const out = execFileSync("bash", ["-c", `source scripts/lib/packages.sh; apt_packages "$1"`, "sh", what], {
    cwd: REPO,
    encoding: "utf8",
    env: { ...process.env, SYSFS: sysfs },
  });
  return out.trim().split("\n");
}

describe("install.sh's Debian packages", () => {
  afterAll(() => fs.rmSync(sysfs, { recursive: true, force: true }));

  it("a node whose kernel enforces AppArmor gets apparmor; one without AppArmor does not", () => {
    expect(packages("production", "Y")).toContain("apparmor");
    expect(packages("production", "N")).not.toContain("apparmor");
    expect(packages("production", null)).not.toContain("apparmor");
  });

  it("a production node gets the engine's tools and curl (run.sh uses it), and no test tool", () => {
    const prod = packages("production", null);
    for (const p of [
      "lxc",
      "lxcfs",
      "btrfs-progs",
      "nftables",
      "uidmap",
      "zstd",
      "debootstrap",
      "curl",
      "openssh-client",
    ])
      expect(prod).toContain(p);
    for (const p of ["chromium", "postgresql", "iperf3", "qemu-system-x86", "qemu-utils"])
      expect(prod).not.toContain(p);
  });

  it("CRIU's runtime libraries are listed once, for install-criu.sh and the VM image (a prebuilt /opt/criu)", () => {
    const list = (what: string) => {
      const script = `source scripts/lib/packages.sh; criu_packages "$1"`;
      return execFileSync("bash", ["-c", script, "sh", what], { cwd: REPO, encoding: "utf8" }).trim().split("\n");
    };
    const runtime = ["libprotobuf-c1", "libnftables1", "libnet1", "libnl-3-200", "nftables"];
    expect(list("runtime")).toEqual(expect.arrayContaining(runtime));
    const build = ["build-essential", "libprotobuf-c-dev", "protobuf-c-compiler"];
    expect(list("build")).toEqual(expect.arrayContaining(build));
    for (const f of ["scripts/install-criu.sh", "scripts/vm/build-image.sh"]) {
      expect(fs.readFileSync(path.join(REPO, f), "utf8")).toMatch(/criu_packages runtime/);
    }
  });

  it("the test command adds the test tools on top of a node's packages", () => {
    const test = packages("test", null);
    expect(test).toEqual(
      expect.arrayContaining([...packages("production", null), "chromium", "postgresql", "iperf3", "qemu-system-x86"]),
    );
    expect(fs.readFileSync(path.join(REPO, "scripts/test.sh"), "utf8")).toMatch(/^bash scripts\/install\.sh --test$/m);
    expect(fs.readFileSync(path.join(REPO, "scripts/run.sh"), "utf8")).toMatch(/^bash scripts\/install\.sh$/m);
  });
});
