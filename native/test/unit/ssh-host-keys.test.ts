/**
 * SSH host keys of a copied root filesystem (clone, create or reinstall from a template with keys): every key
 * is replaced by a new one of its type made by the host's real ssh-keygen (on a temporary tree, no root needed);
 * a type ssh-keygen cannot make, or a host without ssh-keygen, removes the key instead; a planted symlink is
 * never followed; a tree without keys is left alone.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { hostKeyTypes, renewSshHostKeys } from "../../src/ssh-host-keys.js";

let dir = "";
const lines: string[] = [];
const log = (l: string) => lines.push(l);
const ssh = (f: string) => path.join(dir, "etc/ssh", f);
const fingerprint = (file: string) => execFileSync("ssh-keygen", ["-l", "-f", file], { encoding: "utf8" }).trim();

/** A key made by ssh-keygen into the tree, as a template or a source container would carry it. */
function plantKey(type: string, comment: string): void {
  const args = type === "rsa" ? ["-t", "rsa", "-b", "2048"] : ["-t", type];
  execFileSync("ssh-keygen", ["-q", "-N", "", "-C", comment, "-f", ssh(`ssh_host_${type}_key`), ...args]);
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), "hostkeys-test-"));
  await fs.mkdir(path.join(dir, "etc/ssh"), { recursive: true });
  lines.length = 0;
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe("renewSshHostKeys", () => {
  it("replaces each host key by a new one of the same type, with the container's hostname", async () => {
    plantKey("ed25519", "root@source");
    plantKey("ecdsa", "root@source");
    await fs.writeFile(ssh("sshd_config"), "Port 22\n");
    const before = { ed: fingerprint(ssh("ssh_host_ed25519_key.pub")), ec: fingerprint(ssh("ssh_host_ecdsa_key.pub")) };

    expect(await renewSshHostKeys(dir, "copy.test", log)).toEqual(["ecdsa", "ed25519"]);
    const ed = fingerprint(ssh("ssh_host_ed25519_key.pub"));
    const ec = fingerprint(ssh("ssh_host_ecdsa_key.pub"));
    expect(ed).toMatch(/root@copy\.test \(ED25519\)$/);
    expect(ec).toMatch(/root@copy\.test \(ECDSA\)$/);
    expect(ed.split(" ")[1]).not.toBe(before.ed.split(" ")[1]);
    expect(ec.split(" ")[1]).not.toBe(before.ec.split(" ")[1]);
    // the private key matches its public half, and only root may read it
    const derived = execFileSync("ssh-keygen", ["-y", "-f", ssh("ssh_host_ed25519_key")], { encoding: "utf8" });
    expect((await fs.readFile(ssh("ssh_host_ed25519_key.pub"), "utf8")).startsWith(derived.trim())).toBe(true);
    expect((await fs.stat(ssh("ssh_host_ed25519_key"))).mode & 0o777).toBe(0o600);
    expect(await fs.readFile(ssh("sshd_config"), "utf8")).toBe("Port 22\n");
    expect(lines.join("\n")).toMatch(/SSH host keys renewed: ecdsa, ed25519/);
  });

  it("removes a key of a type ssh-keygen no longer makes (dsa)", async () => {
    await fs.writeFile(ssh("ssh_host_dsa_key"), "old private\n", { mode: 0o600 });
    await fs.writeFile(ssh("ssh_host_dsa_key.pub"), "ssh-dss AAAA root@source\n");
    expect(await renewSshHostKeys(dir, "copy.test", log)).toEqual([]);
    expect(await fs.readdir(path.join(dir, "etc/ssh"))).toEqual([]);
    expect(lines.join("\n")).toMatch(/SSH host key dsa removed .*ssh-keygen -A/);
  });

  it("without ssh-keygen on the host the keys are removed, never kept shared, and the log says why", async () => {
    plantKey("ed25519", "root@source");
    const missing = () =>
      Promise.reject(new Error("Could not run ssh-keygen: spawn ssh-keygen ENOENT. Is it installed?"));
    expect(await renewSshHostKeys(dir, "copy.test", log, missing)).toEqual([]);
    expect(await fs.readdir(path.join(dir, "etc/ssh"))).toEqual([]);
    expect(lines.join("\n")).toMatch(/openssh-client/);
  });

  it("never follows a planted symlink: a link named like a key pointing at a host file is not a key", async () => {
    const hostFile = path.join(dir, "host-secret");
    await fs.writeFile(hostFile, "host data\n");
    await fs.symlink(hostFile, ssh("ssh_host_ed25519_key"));
    expect(await hostKeyTypes(dir)).toEqual([]);
    expect(await renewSshHostKeys(dir, "copy.test", log)).toEqual([]);
    expect(await fs.readFile(hostFile, "utf8")).toBe("host data\n");
    // /etc/ssh itself a symlink to a host directory: not looked into
    await fs.rm(path.join(dir, "etc/ssh"), { recursive: true });
    const hostDir = path.join(dir, "host-ssh");
    await fs.mkdir(hostDir);
    await fs.writeFile(path.join(hostDir, "ssh_host_rsa_key"), "host key\n");
    await fs.symlink(hostDir, path.join(dir, "etc/ssh"));
    expect(await renewSshHostKeys(dir, "copy.test", log)).toEqual([]);
    expect(await fs.readFile(path.join(hostDir, "ssh_host_rsa_key"), "utf8")).toBe("host key\n");
  });

  it("a tree without host keys is left as it was, and nothing is logged", async () => {
    expect(await renewSshHostKeys(dir, "copy.test", log)).toEqual([]);
    await fs.rm(path.join(dir, "etc/ssh"), { recursive: true });
    expect(await renewSshHostKeys(dir, "copy.test", log)).toEqual([]);
    expect(lines).toEqual([]);
  });
});
