/**
 * The tiny busybox template: the host's static busybox (package busybox-static), applet symlinks, busybox
 * init with an inittab that stops cleanly on SIGUSR2 (busybox init's poweroff signal), and just enough of
 * /etc for a login-less container. Boots as PID 1 under LXC in a few milliseconds; used by fast tests.
 */
import { chmod, copyFile, lstat, mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import type { LogFn } from "./types.js";

/** Where Debian's busybox-static installs the binary (/bin is /usr/bin on merged-/usr hosts). */
export const HOST_BUSYBOX = "/bin/busybox";

const noLog: LogFn = () => {};

/** Version of a busybox binary, e.g. "1.35.0". */
export async function busyboxVersion(bin = HOST_BUSYBOX): Promise<string> {
  const r = await run(bin, ["--help"], { allowFailure: true });
  const m = /BusyBox v(\d+\.\d+(?:\.\d+)?)/.exec(r.stdout + r.stderr);
  if (!m) throw new EngineError("HOST_TOOL_FAILED", `${bin} does not look like busybox (no version banner)`);
  return m[1]!;
}

/** True if the ELF file has no program interpreter (PT_INTERP), i.e. it is statically linked. */
export async function isStaticElf(file: string): Promise<boolean> {
  const b = await readFile(file);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) return false;
  const is64 = b[4] === 2;
  const le = b[5] === 1;
  const u16 = (o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const u64 = (o: number) => Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o));
  const phoff = is64 ? u64(32) : u32(28);
  const phentsize = is64 ? u16(54) : u16(42);
  const phnum = is64 ? u16(56) : u16(44);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > b.length) return false;
    if (u32(off) === 3 /* PT_INTERP */) return false;
  }
  return true;
}

const INITTAB = `# busybox init (container template). LXC has mounted /proc, /sys and /dev already.
::sysinit:/etc/init.d/rcS
# lxc-stop sends SIGUSR2 (poweroff); lxc-stop -r sends SIGINT (ctrl-alt-del → reboot).
::ctrlaltdel:/sbin/reboot
::shutdown:/etc/init.d/rcK
`;

/**
 * Boot action: mount what fstab lists. What it prints goes to /dev/console, the container's boot log
 * (container.bootlog); this busybox init prints nothing of its own.
 */
const RCS = `#!/bin/sh
# Runs once at boot (busybox init's sysinit action). Its output is the container's boot log.
echo "rcS: booting $(hostname) ($(uname -m), BusyBox container template)"
if mount -a; then echo "rcS: filesystems mounted"; else echo "rcS: mount -a failed"; fi
echo "rcS: boot finished"
`;

/** Shutdown action: stop everything (TERM, up to 2 s, then KILL), then unmount / remount read-only. */
const RCK = `#!/bin/sh
# Runs at halt/reboot, before busybox init's own TERM/KILL round.
kill -TERM -1 2>/dev/null
n=0
while [ $n -lt 20 ]; do
  others=
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    if [ "$p" != 1 ] && [ "$p" != $$ ] && [ -e "$d/stat" ]; then others=1; break; fi
  done
  [ -z "$others" ] && break
  sleep 0.1
  n=$((n + 1))
done
kill -KILL -1 2>/dev/null
sync
umount -a -r 2>/dev/null
exit 0
`;

const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
`;
const SHADOW = `root:!:19000:0:99999:7:::
daemon:*:19000:0:99999:7:::
nobody:*:19000:0:99999:7:::
`;
const GROUP = `root:x:0:
daemon:x:1:
tty:x:5:
nogroup:x:65534:
`;
const HOSTS = `127.0.0.1\tlocalhost
::1\t\tlocalhost ip6-localhost ip6-loopback
`;
const PROFILE = `export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export PS1='\\h:\\w\\$ '
umask 022
`;
const FSTAB = `# <file system> <mount point> <type> <options> <dump> <pass>
# LXC mounts /proc, /sys and /dev. Add e.g. "tmpfs /tmp tmpfs nosuid,nodev,mode=1777 0 0" if wanted.
`;

/**
 * Build a busybox rootfs into `dir` (created if missing; should be empty). Everything is owned by root.
 * Returns the busybox version.
 */
export async function buildBusyboxRootfs(
  dir: string,
  opts: { busybox?: string } = {},
  log: LogFn = noLog,
): Promise<{ version: string }> {
  const bin = opts.busybox ?? HOST_BUSYBOX;
  try {
    await lstat(bin);
  } catch {
    throw new EngineError(
      "HOST_TOOL_FAILED",
      `${bin} not found: install the busybox-static package (apt-get install busybox-static)`,
    );
  }
  if (!(await isStaticElf(bin))) {
    throw new EngineError(
      "HOST_TOOL_FAILED",
      `${bin} is dynamically linked; install busybox-static (it replaces the busybox package)`,
    );
  }
  const version = await busyboxVersion(bin);
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const p = (rel: string) => join(dir, rel);
  const dirs: [string, number][] = [
    ["bin", 0o755],
    ["sbin", 0o755],
    ["usr/bin", 0o755],
    ["usr/sbin", 0o755],
    ["etc/init.d", 0o755],
    ["root", 0o700],
    ["home", 0o755],
    ["tmp", 0o1777],
    ["var/tmp", 0o1777],
    ["var/log", 0o755],
    ["dev", 0o755],
    ["proc", 0o555],
    ["sys", 0o555],
    ["run", 0o755],
    ["mnt", 0o755],
  ];
  for (const [d, mode] of dirs) {
    await mkdir(p(d), { recursive: true });
    await chmod(p(d), mode); // mkdir's mode is filtered by the umask
  }
  await chmod(dir, 0o755);
  await copyFile(bin, p("bin/busybox"));
  await chmod(p("bin/busybox"), 0o755);

  // Applet links from the binary's own list ("bin/ls", "usr/bin/[", "sbin/init", ...).
  const list = (await run(bin, ["--list-full"])).stdout.split("\n").filter((l) => l !== "");
  let links = 0;
  for (const rel of list) {
    if (rel === "linuxrc" || rel === "bin/busybox" || rel.startsWith("/") || rel.split("/").includes("..")) continue;
    await mkdir(dirname(p(rel)), { recursive: true });
    try {
      await symlink("/bin/busybox", p(rel));
      links++;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
  }
  // init must exist whatever the applet list says
  try {
    await symlink("/bin/busybox", p("sbin/init"));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  log(`busybox ${version}: ${links} applet links`);

  const files: [string, string, number][] = [
    ["etc/inittab", INITTAB, 0o644],
    ["etc/init.d/rcS", RCS, 0o755],
    ["etc/init.d/rcK", RCK, 0o755],
    ["etc/passwd", PASSWD, 0o644],
    ["etc/shadow", SHADOW, 0o600],
    ["etc/group", GROUP, 0o644],
    ["etc/hostname", "localhost\n", 0o644],
    ["etc/hosts", HOSTS, 0o644],
    ["etc/fstab", FSTAB, 0o644],
    ["etc/profile", PROFILE, 0o644],
    ["etc/shells", "/bin/sh\n/bin/ash\n", 0o644],
    [
      "etc/os-release",
      `NAME="BusyBox"\nID=busybox\nVERSION_ID=${version}\nPRETTY_NAME="BusyBox ${version} (container template)"\n`,
      0o644,
    ],
  ];
  for (const [rel, data, mode] of files) {
    await writeFile(p(rel), data, { mode });
    await chmod(p(rel), mode);
  }
  return { version };
}
