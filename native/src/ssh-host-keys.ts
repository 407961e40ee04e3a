/**
 * SSH host keys of a container made from a copy: a clone (and a container created or reinstalled from a template
 * that carries keys) must not share its host keys with the source, or one customer could impersonate another's
 * server (OpenVZ's postcreate script and Proxmox's `rewrite_ssh_host_keys` do the same).
 *
 * Every `/etc/ssh/ssh_host_<type>_key` found in a STOPPED container's root filesystem is replaced by a new key
 * of the same type made on the host with `ssh-keygen` (openssh-client) in a private temporary directory, and
 * written in through rootfs.ts (never through a symlink the container planted). A type ssh-keygen can no longer
 * make (dsa) is removed. Without ssh-keygen on the host the keys are removed, so that no two containers share
 * one, and the log says how to make new ones inside. A root filesystem without host keys costs one lstat.
 */
import { mkdtemp, readFile, readdir, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { run } from "./exec.js";
import { kindInRootfs, removeFileInRootfs, writeInRootfs } from "./rootfs.js";

const KEY_FILE = /^ssh_host_([a-z0-9]+)_key$/;
/** ssh-keygen's arguments per key type it still makes (Debian's defaults) */
const KEYGEN: Readonly<Record<string, readonly string[]>> = {
  rsa: ["-t", "rsa", "-b", "3072"],
  ecdsa: ["-t", "ecdsa", "-b", "256"],
  ed25519: ["-t", "ed25519"],
};

export type KeygenRunner = (args: readonly string[]) => Promise<void>;

const sshKeygen: KeygenRunner = async (args) => {
  await run("ssh-keygen", args, { timeoutMs: 60_000 });
};

/** The host key types present in a stopped container's /etc/ssh (file names `ssh_host_<type>_key`). */
export async function hostKeyTypes(rootfs: string): Promise<string[]> {
  if ((await kindInRootfs(rootfs, "etc/ssh")) !== "dir") return [];
  const names = await readdir(path.join(rootfs, "etc", "ssh"));
  const types: string[] = [];
  for (const n of names.sort()) {
    const m = KEY_FILE.exec(n);
    if (m && (await kindInRootfs(rootfs, `etc/ssh/${n}`)) === "file") types.push(m[1]!);
  }
  return types;
}

/**
 * Replace the host keys of a stopped container with new ones (see the file's comment). Returns the types
 * renewed; a type removed instead is logged.
 */
export async function renewSshHostKeys(
  rootfs: string,
  hostname: string,
  log: (line: string) => void,
  keygen: KeygenRunner = sshKeygen,
): Promise<string[]> {
  const types = await hostKeyTypes(rootfs);
  if (!types.length) return [];
  const tmp = await mkdtemp(path.join(os.tmpdir(), "ovz-hostkeys-"));
  const renewed: string[] = [];
  try {
    for (const type of types) {
      const rel = `etc/ssh/ssh_host_${type}_key`;
      const args = KEYGEN[type];
      const made = args ? await makeKey(keygen, tmp, type, args, hostname, log) : null;
      if (!made) {
        await removeFileInRootfs(rootfs, rel);
        await removeFileInRootfs(rootfs, `${rel}.pub`);
        log(
          `SSH host key ${type} removed (it cannot be renewed here): run \`ssh-keygen -A\` inside before sshd starts`,
        );
        continue;
      }
      await writeInRootfs(rootfs, rel, made.key, 0o600);
      await writeInRootfs(rootfs, `${rel}.pub`, made.pub, 0o644);
      renewed.push(type);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  if (renewed.length) log(`SSH host keys renewed: ${renewed.join(", ")} (the container has its own identity)`);
  return renewed;
}

async function makeKey(
  keygen: KeygenRunner,
  dir: string,
  type: string,
  args: readonly string[],
  hostname: string,
  log: (line: string) => void,
): Promise<{ key: string; pub: string } | null> {
  const file = path.join(dir, type);
  try {
    await keygen(["-q", "-N", "", "-C", `root@${hostname}`, "-f", file, ...args]);
    return { key: await readFile(file, "utf8"), pub: await readFile(`${file}.pub`, "utf8") };
  } catch (e) {
    const missing = (e as NodeJS.ErrnoException).code === "ENOENT" || /ENOENT|not found/i.test(String(e));
    log(
      missing
        ? "ssh-keygen is not installed on this host (Debian package openssh-client): SSH host keys cannot be renewed"
        : `ssh-keygen failed for the ${type} host key: ${(e as Error).message}`,
    );
    return null;
  }
}
