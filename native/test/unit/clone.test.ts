/**
 * The pure parts of container.clone: the network a clone gets by default, the identity files it must not
 * share (on a temporary tree, no root needed), and the protocol's params.
 */
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { resetIdentity } from "../../src/clone.js";
import { EngineError } from "../../src/errors.js";
import { cloneNet } from "../../src/net/config.js";
import { netConfigSchema } from "../../src/net/types.js";
import { methods } from "../../src/protocol/schema.js";

describe("cloneNet", () => {
  it("keeps firewall, DNS, rate and bridged NICs; drops addresses, MACs and passed-through host devices", () => {
    const src = netConfigSchema.parse({
      venet: ["198.18.1.2", "fd00::2"],
      nics: [
        { type: "veth", name: "eth1", network: "lan", mac: "02:00:00:00:00:65", ips: ["198.18.2.5"], antiSpoof: false },
        { type: "phys", hostDev: "eth9" },
      ],
      nameservers: ["198.18.0.53"],
      firewall: {
        enabled: true,
        policyIn: "drop",
        rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "22" }],
      },
      rate: { inKbit: 1000, outKbit: 2000 },
    });
    const c = cloneNet(src);
    expect(c).toEqual({
      venet: [],
      nics: [{ type: "veth", name: "eth1", network: "lan", ips: [], antiSpoof: false }],
      nameservers: ["198.18.0.53"],
      firewall: src.firewall,
      rate: { inKbit: 1000, outKbit: 2000 },
    });
    // a copy, not shared objects: changing the clone's firewall leaves the source's alone
    c.firewall.rules.push({ direction: "out", action: "drop", proto: "any" });
    expect(src.firewall.rules).toHaveLength(1);
    expect(netConfigSchema.parse(c)).toEqual(c);
    expect(cloneNet(undefined)).toEqual(netConfigSchema.parse({}));
  });
});

describe("resetIdentity", () => {
  let dir = "";
  afterEach(async () => {
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });
  const tree = async (files: Record<string, string>, links: Record<string, string> = {}) => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "ovz-clone-id-"));
    for (const [f, text] of Object.entries(files)) {
      await fs.mkdir(path.dirname(path.join(dir, f)), { recursive: true });
      await fs.writeFile(path.join(dir, f), text);
    }
    for (const [l, target] of Object.entries(links)) {
      await fs.mkdir(path.dirname(path.join(dir, l)), { recursive: true });
      await fs.symlink(target, path.join(dir, l));
    }
    return dir;
  };

  it("empties /etc/machine-id and removes D-Bus's own copy", async () => {
    const root = await tree({
      "etc/machine-id": "0123456789abcdef0123456789abcdef\n",
      "var/lib/dbus/machine-id": "0123\n",
      "etc/keep": "x",
    });
    const log: string[] = [];
    await resetIdentity(root, (l) => log.push(l));
    expect(await fs.readFile(path.join(root, "etc/machine-id"), "utf8")).toBe("");
    await expect(fs.lstat(path.join(root, "var/lib/dbus/machine-id"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await fs.readFile(path.join(root, "etc/keep"), "utf8")).toBe("x");
    expect(log).toHaveLength(2);
  });

  it("creates nothing that was not there and leaves D-Bus's link to /etc/machine-id", async () => {
    const root = await tree({ "etc/hostname": "h\n" }, { "var/lib/dbus/machine-id": "/etc/machine-id" });
    await resetIdentity(root, () => {});
    await expect(fs.lstat(path.join(root, "etc/machine-id"))).rejects.toMatchObject({ code: "ENOENT" });
    expect(await fs.readlink(path.join(root, "var/lib/dbus/machine-id"))).toBe("/etc/machine-id");
  });

  it("never follows a symlink planted on the way out of the container", async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), "ovz-clone-out-"));
    try {
      await fs.writeFile(path.join(outside, "machine-id"), "host's own\n");
      const root = await tree({}, { etc: outside });
      const e = await resetIdentity(root, () => {}).then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(EngineError);
      expect((e as EngineError).code).toBe("BAD_REQUEST");
      expect(await fs.readFile(path.join(outside, "machine-id"), "utf8")).toBe("host's own\n");
    } finally {
      await fs.rm(outside, { recursive: true, force: true });
    }
  });
});

describe("container.clone params", () => {
  const params = methods["container.clone"].params;
  it("takes a source, a new ctid and the optional settings; nothing else", () => {
    expect(params.safeParse({ ctid: 101, newCtid: 102 }).success).toBe(true);
    expect(
      params.safeParse({
        ctid: 101,
        newCtid: 102,
        hostname: "h.test",
        name: null,
        limits: { ram: "1G" },
        onboot: true,
        net: { venet: ["198.18.1.2"] },
      }).success,
    ).toBe(true);
    expect(params.safeParse({ ctid: 101 }).success).toBe(false);
    expect(params.safeParse({ ctid: 101, newCtid: 0 }).success).toBe(false);
    expect(params.safeParse({ ctid: 101, newCtid: 102, template: "busybox" }).success).toBe(false);
    expect(params.safeParse({ ctid: 101, newCtid: 102, net: { venet: ["not-an-ip"] } }).success).toBe(false);
  });
});
