/**
 * A full listing of a directory tree for byte-exact comparisons: one line per entry with its type, mode,
 * owner, size, mtime, sha256 (files), target (symlinks), hard-link group and every extended attribute
 * (ACLs included, raw). Two trees are identical when their listings are equal.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { lstat, readdir, readlink } from "node:fs/promises";
import path from "node:path";
import { run } from "../../src/exec.js";

export async function treeListing(root: string, opts: { mtimes?: boolean } = {}): Promise<string[]> {
  const xattrs = await xattrsOf(root);
  const lines: string[] = [];
  const inodes = new Map<number, string>();
  const walk = async (rel: string): Promise<void> => {
    const abs = path.join(root, rel);
    const st = await lstat(abs);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, "0");
    let type = "?";
    let extra = "";
    if (st.isDirectory()) type = "d";
    else if (st.isSymbolicLink()) {
      type = "l";
      extra = `-> ${await readlink(abs)}`;
    } else if (st.isFile()) {
      type = "f";
      extra = `${st.size} ${await sha256(abs)}`;
      if (st.nlink > 1) {
        const first = inodes.get(st.ino);
        if (first) extra += ` hardlink=${first}`;
        else inodes.set(st.ino, rel || ".");
      }
    } else extra = `rdev=${st.rdev}`;
    const mtime = opts.mtimes !== false && type !== "l" ? ` mtime=${Math.floor(st.mtimeMs)}` : "";
    const x = xattrs[rel || "."];
    const xs = x
      ? ` xattrs=${Object.entries(x)
          .sort()
          .map(([k, v]) => `${k}:${v}`)
          .join(",")}`
      : "";
    lines.push(`${rel || "."} ${type} ${mode} ${st.uid}:${st.gid} ${extra}${mtime}${xs}`);
    if (type === "d") {
      for (const n of (await readdir(abs)).sort()) await walk(rel ? `${rel}/${n}` : n);
    }
  };
  await walk("");
  return lines;
}

async function sha256(file: string): Promise<string> {
  const h = createHash("sha256");
  for await (const c of createReadStream(file)) h.update(c as Buffer);
  return h.digest("hex");
}

const PY_LIST = `
import os, sys, json
root = sys.argv[1]
out = {}
for d, dirs, files in os.walk(root):
    for n in [d] + [os.path.join(d, f) for f in dirs + files]:
        try:
            names = os.listxattr(n, follow_symlinks=False)
        except OSError:
            continue
        if names:
            rel = os.path.relpath(n, root)
            out[rel] = {k: os.getxattr(n, k, follow_symlinks=False).hex() for k in names}
print(json.dumps(out))
`;

/**
 * Every extended attribute below `root` (hex values), keyed by relative path ("." for root). Python: Node has no xattr
 * API.
 */
export async function xattrsOf(root: string): Promise<Record<string, Record<string, string>>> {
  const r = await run("python3", ["-c", PY_LIST, root]);
  return JSON.parse(r.stdout) as Record<string, Record<string, string>>;
}

const PY_SET = `
import os, sys, json
for path, attrs in json.loads(sys.argv[1]).items():
    for k, v in attrs.items():
        os.setxattr(path, k, bytes.fromhex(v), follow_symlinks=False)
`;

/** Set extended attributes (hex values) on files. */
export async function setXattrs(spec: Record<string, Record<string, string>>): Promise<void> {
  await run("python3", ["-c", PY_SET, JSON.stringify(spec)]);
}

/** A raw POSIX access ACL (system.posix_acl_access, version 2) granting named users read access, hex. */
export function aclHex(users: Array<{ uid: number; perm: number }>): string {
  const e = (tag: number, perm: number, id: number) => {
    const b = Buffer.alloc(8);
    b.writeUInt16LE(tag, 0);
    b.writeUInt16LE(perm, 2);
    b.writeUInt32LE(id >>> 0, 4);
    return b;
  };
  const UNDEF = 0xffffffff;
  const head = Buffer.alloc(4);
  head.writeUInt32LE(2, 0);
  const parts = [
    head,
    e(1, 6, UNDEF),
    ...users.map((u) => e(2, u.perm, u.uid)),
    e(4, 4, UNDEF),
    e(0x10, 4, UNDEF),
    e(0x20, 0, UNDEF),
  ];
  return Buffer.concat(parts).toString("hex");
}
