/**
 * A user's password inside a container (vzctl set --userpasswd user:password, prlctl set --userpasswd,
 * the panel's root password reset), on a running or a stopped container, as vzctl does. A user that does
 * not exist is created (vzctl's documented behaviour: its own group, /home/<user> from /etc/skel, a login
 * shell), so `for CT in $(vzlist -H -o ctid); do vzctl set $CT --userpasswd admin:secret; done` works on
 * any container.
 *
 * The password is hashed on the host (SHA-512 crypt by `openssl passwd -6 -stdin`); neither it nor its
 * hash ever appears in a process's argv (visible to everyone in /proc/<pid>/cmdline): the files are
 * read, changed here (pure functions below, template-independent: busybox has no chpasswd) and written
 * back through stdin — from inside a running container (its own view of its files, as its root), or
 * host-side into a stopped one's root filesystem with every path component checked (rootfs.ts).
 */
import { lchown, readdir } from "node:fs/promises";
import path from "node:path";
import { EngineError } from "./errors.js";
import { run } from "./exec.js";
import { ensureDirInRootfs, kindInRootfs, readInRootfs, writeInRootfs } from "./rootfs.js";

export const USER_RE = /^[a-z_][a-z0-9_-]{0,31}$/;

export interface AccountFiles {
  passwd: string;
  shadow: string | null;
  group: string;
}

export interface NewAccount {
  user: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface PasswordChange {
  files: { passwd: string; shadow: string; group: string };
  /** set when the user did not exist and was added */
  created: NewAccount | null;
}

const FIRST_UID = 1000;
const LAST_UID = 59999; // Debian's adduser range; 60000+ are reserved (nobody is 65534)

export function checkPasswordInput(user: string, password: string): void {
  if (!USER_RE.test(user))
    throw new EngineError(
      "BAD_REQUEST",
      `bad user name "${user}": use lower-case letters, digits, _ and - (up to 32, not starting with a digit or -)`,
    );
  if (password.length < 1 || /[\n\r\0]/.test(password))
    throw new EngineError("BAD_REQUEST", "the password must be non-empty and on one line");
}

/** SHA-512 crypt of `password`; the password reaches openssl on stdin only. */
export async function hashPassword(password: string): Promise<string> {
  const hash = (await run("openssl", ["passwd", "-6", "-stdin"], { input: password })).stdout.trim();
  if (!/^\$6\$[A-Za-z0-9./]+\$[A-Za-z0-9./]+$/.test(hash))
    throw new EngineError("INTERNAL", "openssl produced an unexpected password hash");
  return hash;
}

const lines = (text: string) => text.split("\n").filter((l) => l !== "");
const join = (ls: string[]) => ls.join("\n") + "\n";
const field = (line: string, i: number) => line.split(":")[i];

function freeId(used: Set<number>, want?: number): number {
  if (want !== undefined && !used.has(want)) return want;
  const top = [...used].filter((n) => n >= FIRST_UID && n <= LAST_UID);
  let id = top.length ? Math.max(...top) + 1 : FIRST_UID;
  if (id > LAST_UID) for (id = FIRST_UID; used.has(id); id++);
  if (id > LAST_UID)
    throw new EngineError("NO_SPACE", `no free user id between ${FIRST_UID} and ${LAST_UID} in the container`);
  return id;
}

/**
 * Sets `user`'s password hash in the account files; adds the user (and a group of its name) when missing.
 * `shell` is the login shell for a new user; `today` the days since the epoch (shadow's last change).
 */
export function applyPassword(
  files: AccountFiles,
  user: string,
  hash: string,
  opts: { shell: string; today: number },
): PasswordChange {
  const passwd = lines(files.passwd);
  const group = lines(files.group);
  const shadow = lines(files.shadow ?? "");
  let created: NewAccount | null = null;
  const pwIdx = passwd.findIndex((l) => field(l, 0) === user);
  if (pwIdx < 0) {
    const uid = freeId(new Set(passwd.map((l) => Number(field(l, 2))).filter(Number.isFinite)));
    const existing = group.find((l) => field(l, 0) === user);
    const gid = existing
      ? Number(field(existing, 2))
      : freeId(new Set(group.map((l) => Number(field(l, 2))).filter(Number.isFinite)), uid);
    if (!existing) group.push(`${user}:x:${gid}:`);
    created = { user, uid, gid, home: `/home/${user}`, shell: opts.shell };
    passwd.push(`${user}:x:${uid}:${gid}::${created.home}:${opts.shell}`);
  } else {
    // the hash lives in shadow: the passwd field says so
    const f = passwd[pwIdx]!.split(":");
    if (f[1] !== "x") passwd[pwIdx] = [f[0], "x", ...f.slice(2)].join(":");
  }
  const entry = `${user}:${hash}:${opts.today}:0:99999:7:::`;
  const shIdx = shadow.findIndex((l) => field(l, 0) === user);
  if (shIdx < 0) shadow.push(entry);
  else {
    const f = shadow[shIdx]!.split(":");
    while (f.length < 9) f.push("");
    f[1] = hash;
    f[2] = String(opts.today);
    shadow[shIdx] = f.join(":");
  }
  return { files: { passwd: join(passwd), shadow: join(shadow), group: join(group) }, created };
}

export function daysSinceEpoch(now = Date.now()): number {
  return Math.floor(now / 86_400_000);
}

// ------------------------------------------------------------------------------------------- I/O

type Exec = (argv: string[], input?: string) => Promise<{ code: number; stdout: string; stderr: string }>;
/** A running container (commands run inside, as its root) or a stopped one's root filesystem on the host. */
export type AccountTarget = { running: true; exec: Exec } | { running: false; rootfs: string };

interface AccountIO {
  read(file: "passwd" | "shadow" | "group"): Promise<string | null>;
  write(file: "passwd" | "shadow" | "group", text: string): Promise<void>;
  hasBash(): Promise<boolean>;
  makeHome(a: NewAccount): Promise<void>;
}

function inside(exec: Exec): AccountIO {
  const must = async (argv: string[], input: string | undefined, what: string) => {
    const r = await exec(argv, input);
    if (r.code !== 0)
      throw new EngineError("HOST_TOOL_FAILED", `could not ${what} in the container: ${r.stderr.trim().slice(0, 300)}`);
    return r.stdout;
  };
  return {
    async read(file) {
      const r = await exec([
        "/bin/sh",
        "-c",
        'if [ -e "$1" ]; then exec cat "$1"; else exit 3; fi',
        "sh",
        `/etc/${file}`,
      ]);
      if (r.code === 3) return null;
      if (r.code !== 0)
        throw new EngineError(
          "HOST_TOOL_FAILED",
          `could not read /etc/${file} in the container: ${r.stderr.trim().slice(0, 300)}`,
        );
      return r.stdout;
    },
    // `cat >` keeps the file's owner and mode (shadow: root:shadow 0640 on Debian); a new one is 0600
    write: (file, text) =>
      must(["/bin/sh", "-c", 'umask 077; cat > "$1"', "sh", `/etc/${file}`], text, `write /etc/${file}`).then(() => {}),
    hasBash: async () => (await exec(["/bin/sh", "-c", "test -x /bin/bash"])).code === 0,
    makeHome: (a) =>
      must(
        [
          "/bin/sh",
          "-c",
          '[ -e "$1" ] && exit 0; mkdir -p "$1" && { [ ! -d /etc/skel ] || cp -a /etc/skel/. "$1"; } && chown -R "$2:$3" "$1" && chmod 0755 "$1"',
          "sh",
          a.home,
          String(a.uid),
          String(a.gid),
        ],
        undefined,
        `make ${a.home}`,
      ).then(() => {}),
  };
}

function onDisk(rootfs: string): AccountIO {
  return {
    read: (file) => readInRootfs(rootfs, `etc/${file}`),
    write: (file, text) => writeInRootfs(rootfs, `etc/${file}`, text, file === "shadow" ? 0o600 : 0o644),
    hasBash: async () =>
      (await kindInRootfs(rootfs, "usr/bin/bash").catch(() => null)) !== null ||
      (await kindInRootfs(rootfs, "bin/bash").catch(() => null)) !== null,
    async makeHome(a) {
      const rel = a.home.replace(/^\/+/, "");
      if ((await kindInRootfs(rootfs, rel)) !== null) return;
      await ensureDirInRootfs(rootfs, path.dirname(rel), 0o755);
      // files on an idmapped rootfs keep in-container ids: the new user's own ids
      await ensureDirInRootfs(rootfs, rel, 0o755, { uid: a.uid, gid: a.gid });
      // /etc/skel's regular files (top level), each read without following a symlink
      if ((await kindInRootfs(rootfs, "etc/skel")) !== "dir") return;
      for (const name of await readdir(path.join(rootfs, "etc/skel"))) {
        const text = await readInRootfs(rootfs, `etc/skel/${name}`);
        if (text === null) continue;
        await writeInRootfs(rootfs, `${rel}/${name}`, text, 0o644);
        await lchown(path.join(rootfs, rel, name), a.uid, a.gid);
      }
    },
  };
}

/**
 * Sets `user`'s password in the container (creating the user when missing). Returns the new account, or
 * null when the user existed.
 */
export async function setContainerPassword(
  target: AccountTarget,
  user: string,
  password: string,
  now = Date.now(),
): Promise<NewAccount | null> {
  checkPasswordInput(user, password);
  const hash = await hashPassword(password);
  const io = target.running ? inside(target.exec) : onDisk(target.rootfs);
  const passwd = await io.read("passwd");
  const group = await io.read("group");
  if (passwd === null)
    throw new EngineError("NOT_FOUND", "the container has no /etc/passwd; reinstall it from a template");
  const shell = (await io.hasBash()) ? "/bin/bash" : "/bin/sh";
  const change = applyPassword({ passwd, shadow: await io.read("shadow"), group: group ?? "" }, user, hash, {
    shell,
    today: daysSinceEpoch(now),
  });
  if (change.created) {
    await io.write("group", change.files.group);
    await io.write("passwd", change.files.passwd);
  }
  await io.write("shadow", change.files.shadow);
  if (change.created) await io.makeHome(change.created);
  return change.created;
}
