/**
 * root's SSH authorized keys inside a container. The keys are validated as OpenSSH public keys (type,
 * base64 blob whose embedded type matches, optional comment; no options prefix), then written to
 * /root/.ssh/authorized_keys (directory 0700, file 0600, owned by the container's root):
 * - running container: from inside (its own view of its files, its own root owns them);
 * - stopped container: host-side into the root filesystem, every path component checked against planted
 *   symlinks (rootfs.ts). Files on disk keep in-container ids (idmapped rootfs), so host uid/gid 0 is
 *   the container's root.
 * Pure validation is shared with the panel (server/services/ssh-keys.ts shows field errors from it).
 */
import { chmod, lchown } from "node:fs/promises";
import path from "node:path";
import { ensureDirInRootfs, writeInRootfs } from "./rootfs.js";
import { EngineError } from "./errors.js";

export const SSH_KEY_TYPES = [
  "ssh-ed25519",
  "ssh-rsa",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
] as const;
export const MAX_SSH_KEYS = 100;
const MAX_LINE = 16_384;

/** null when the line is a valid OpenSSH public key, else why not. */
export function sshKeyProblem(line: string): string | null {
  if (line.length > MAX_LINE) return `longer than ${MAX_LINE} characters`;
  if (/[\0\r\n]/.test(line)) return "contains a control character";
  const parts = line.trim().split(/\s+/);
  const [type, blob] = parts;
  if (!type || !(SSH_KEY_TYPES as readonly string[]).includes(type)) {
    return `unknown key type "${(type ?? "").slice(0, 40)}"; expected one of ${SSH_KEY_TYPES.join(", ")} (options before the key are not accepted)`;
  }
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) return "the key data after the type is missing or not base64";
  const bytes = Buffer.from(blob, "base64");
  // the blob starts with the key type as an SSH string: uint32 length + name
  if (bytes.length < 4) return "the key data is truncated";
  const n = bytes.readUInt32BE(0);
  if (n > 64 || bytes.length < 4 + n || bytes.subarray(4, 4 + n).toString("latin1") !== type) {
    return `the key data is not a ${type} key (copy the whole line of the .pub file)`;
  }
  if (bytes.length < 4 + n + 16) return "the key data is truncated";
  return null;
}

/** The non-empty, non-comment lines of a keys text: the good keys (spaces normalised), "line N: why" for the bad. */
export function checkSshKeyLines(text: string): { keys: string[]; bad: string[] } {
  const keys: string[] = [];
  const bad: string[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const p = sshKeyProblem(line);
    if (p) bad.push(`line ${i + 1}: ${p}`);
    else keys.push(line.split(/\s+/).join(" "));
  });
  return { keys, bad };
}

/** Non-empty, non-comment lines of a keys text, each checked; throws BAD_REQUEST naming the bad lines. */
export function parseSshKeys(text: string): string[] {
  const { keys, bad } = checkSshKeyLines(text);
  if (bad.length)
    throw new EngineError("BAD_REQUEST", `invalid SSH public key(s): ${bad.join("; ")}`, { details: { lines: bad } });
  if (keys.length > MAX_SSH_KEYS) throw new EngineError("BAD_REQUEST", `at most ${MAX_SSH_KEYS} keys; remove some`);
  return keys;
}

export function authorizedKeysText(keys: string[]): string {
  return keys.length
    ? `# written by ovz (the panel's SSH keys for root); edits here are replaced\n${keys.join("\n")}\n`
    : "";
}

type Exec = (argv: string[], input: string) => Promise<{ code: number; stderr: string }>;

/** Write root's authorized_keys, from inside a running container (exec) or into a stopped one's rootfs. */
export async function writeAuthorizedKeys(
  target: { running: true; exec: Exec } | { running: false; rootfs: string },
  keys: string[],
): Promise<void> {
  const text = authorizedKeysText(keys);
  if (target.running) {
    const script =
      "umask 077; mkdir -p /root/.ssh && chmod 700 /root/.ssh && chown 0:0 /root/.ssh && " +
      "cat > /root/.ssh/authorized_keys.ovz-new && chmod 600 /root/.ssh/authorized_keys.ovz-new && chown 0:0 /root/.ssh/authorized_keys.ovz-new && " +
      "mv -f /root/.ssh/authorized_keys.ovz-new /root/.ssh/authorized_keys";
    const r = await target.exec(["/bin/sh", "-c", script], text);
    if (r.code !== 0)
      throw new EngineError(
        "HOST_TOOL_FAILED",
        `could not write /root/.ssh/authorized_keys: ${r.stderr.trim().slice(0, 500)}`,
      );
    return;
  }
  await ensureDirInRootfs(target.rootfs, "root", 0o700);
  await ensureDirInRootfs(target.rootfs, "root/.ssh", 0o700);
  await writeInRootfs(target.rootfs, "root/.ssh/authorized_keys", text, 0o600);
  // an existing file keeps its mode on open(): set both (writeInRootfs left a regular file, not a symlink)
  const file = path.join(target.rootfs, "root/.ssh/authorized_keys");
  await lchown(file, 0, 0);
  await chmod(file, 0o600);
}
