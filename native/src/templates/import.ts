/**
 * Template tarballs: compression detection (magic bytes), listing and validation WITHOUT extracting to
 * the host, init/distro/arch detection, packing a rootfs directory and unpacking into a volume.
 *
 * Everything goes through GNU tar with argument arrays. Member names are validated from tar's own
 * listing (`tar -tP`, so tar's view of the names is what we check), and extraction never uses -P, so
 * GNU tar's own protections (leading "/" stripped, ".." refused, absolute symlinks delayed) also apply.
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import type { InitKind, LogFn } from "./types.js";

export type Compression = "zstd" | "gzip" | "xz" | "bzip2" | "none";

/** Extensions the store uses for each compression (the tarball is kept as imported). */
export const COMPRESSION_EXT: Record<Compression, string> = {
  zstd: ".tar.zst",
  gzip: ".tar.gz",
  xz: ".tar.xz",
  bzip2: ".tar.bz2",
  none: ".tar",
};

/** The compressor tar runs for packing. Passed to tar as ONE argv element (tar itself runs it via sh -c). */
export const ZSTD_PACK_PROGRAM = "zstd -T0 -3";

/** Halt signal per init kind, as the runtime sends it (lxc.signal.halt). */
export const HALT_SIGNAL: Record<InitKind, string> = {
  busybox: "SIGUSR2",
  systemd: "SIGRTMIN+3",
  sysvinit: "SIGPWR",
  unknown: "SIGPWR",
};

/** tar options that select the decompressor. Constants only (never user input). */
export function tarCompressionArgs(c: Compression): string[] {
  switch (c) {
    case "zstd":
      return ["-I", "zstd"];
    case "gzip":
      return ["-z"];
    case "xz":
      return ["-J"];
    case "bzip2":
      return ["-j"];
    case "none":
      return [];
  }
}

/**
 * Detect the compression from the file's magic bytes. Throws TEMPLATE_INVALID for anything that is not a (compressed)
 * tar.
 */
export async function detectCompression(file: string): Promise<Compression> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch (e) {
    throw new EngineError("TEMPLATE_INVALID", `Cannot read template tarball ${file}: ${(e as Error).message}`, {
      cause: e,
    });
  }
  try {
    const buf = Buffer.alloc(512);
    const { bytesRead } = await fh.read(buf, 0, 512, 0);
    const b = buf.subarray(0, bytesRead);
    if (b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b) return "gzip";
    if (b.length >= 4 && b.readUInt32BE(0) === 0x28b52ffd) return "zstd";
    if (b.length >= 6 && b.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return "xz";
    if (b.length >= 3 && b.subarray(0, 3).toString("latin1") === "BZh") return "bzip2";
    if (b.length >= 262 && b.subarray(257, 262).toString("latin1") === "ustar") return "none";
    throw new EngineError(
      "TEMPLATE_INVALID",
      `${file} is not a tar archive (expected .tar, .tar.gz/.tgz, .tar.zst or .tar.xz; magic bytes ${b.subarray(0, 4).toString("hex") || "none"})`,
    );
  } finally {
    await fh.close();
  }
}

/**
 * Template name derived from a tarball file name: strip the directory and the archive extension, lower-case.
 * "debian-12-standard_12.7-1_amd64.tar.zst" → "debian-12-standard_12.7-1_amd64". Not validated here.
 */
export function templateNameFromFile(file: string): string {
  return basename(file)
    .replace(/\.(tar\.(gz|zst|zstd|xz|bz2)|tgz|tzst|txz|tbz2?|tar)$/i, "")
    .toLowerCase();
}

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo" | "other";

export interface TarEntry {
  /** Normalised path relative to the archive root: no leading "./" or "/", no trailing "/". */
  path: string;
  /** The member name exactly as stored (unescaped), e.g. "./usr/sbin/init" — what `tar -x` wants. */
  raw: string;
  type: TarEntryType;
  uid: number;
  gid: number;
  /** Symlink target / hard link target (unescaped). */
  target?: string;
}

const TYPE_CHARS: Record<string, TarEntryType> = {
  "-": "file",
  d: "dir",
  l: "symlink",
  h: "hardlink",
  c: "char",
  b: "block",
  p: "fifo",
};

/** Undo GNU tar's "escape" quoting style (the default for listings). */
export function unescapeTarName(s: string): string {
  if (!s.includes("\\")) return s;
  const bytes: number[] = [];
  const map: Record<string, number> = {
    "\\": 0x5c,
    n: 0x0a,
    t: 0x09,
    r: 0x0d,
    a: 0x07,
    b: 0x08,
    f: 0x0c,
    v: 0x0b,
    "?": 0x3f,
    '"': 0x22,
    "'": 0x27,
  };
  const src = Buffer.from(s, "utf8");
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (c !== 0x5c || i + 1 >= src.length) {
      bytes.push(c);
      continue;
    }
    const n = String.fromCharCode(src[i + 1]!);
    if (/[0-7]/.test(n)) {
      let j = i + 1;
      let oct = "";
      while (j < src.length && oct.length < 3 && /[0-7]/.test(String.fromCharCode(src[j]!)))
        oct += String.fromCharCode(src[j++]!);
      bytes.push(parseInt(oct, 8) & 0xff);
      i = j - 1;
    } else if (map[n] !== undefined) {
      bytes.push(map[n]);
      i++;
    } else {
      bytes.push(c);
    }
  }
  return Buffer.from(bytes).toString("utf8");
}

/** Split a path into components, dropping "", "." (keeps ".."). */
function components(p: string): string[] {
  return p.split("/").filter((c) => c !== "" && c !== ".");
}

export function normaliseMemberName(raw: string): string {
  return components(raw).join("/");
}

/** A tarball's listing with symlink resolution inside the archive's own namespace (never the host's). */
export class TarListing {
  readonly entries = new Map<string, TarEntry>();
  constructor(list: TarEntry[]) {
    for (const e of list) if (e.path !== "") this.entries.set(e.path, e);
  }

  /**
   * Resolve a path the way the kernel would inside the unpacked rootfs: symlinks anywhere in the path are
   * followed (absolute targets from the archive root). Returns the final entry and every path visited
   * (after each hop), or null if missing / a loop.
   */
  resolve(path: string): { entry: TarEntry; chain: string[] } | null {
    let queue = components(path);
    let cur: string[] = [];
    const chain: string[] = [];
    let hops = 0;
    let last: TarEntry | undefined;
    while (queue.length > 0) {
      const c = queue.shift()!;
      if (c === "..") {
        cur.pop();
        last = undefined;
        continue;
      }
      const candidate = [...cur, c].join("/");
      const e = this.entries.get(candidate);
      if (e?.type === "symlink" && e.target !== undefined) {
        if (++hops > 40) return null;
        const t = e.target;
        if (t.startsWith("/")) cur = [];
        queue = [...components(t), ...queue];
        chain.push(candidate);
        last = undefined;
        continue;
      }
      if (e === undefined && queue.length === 0) return null;
      // Intermediate directories need not be listed explicitly (archives made from file lists).
      cur.push(c);
      last = e;
    }
    if (last === undefined) {
      const e = this.entries.get(cur.join("/"));
      if (!e) return null;
      last = e;
    }
    chain.push(cur.join("/"));
    // A hard link is the same file as its target (busybox applets are often packed as hard links, and
    // which name tar stores as the file depends on the directory order): add every name of the file.
    if (last.type === "hardlink" && last.target !== undefined) {
      const t = this.entries.get(normaliseMemberName(last.target));
      if (t) last = t;
    }
    for (const alias of this.hardlinkNames(last.path)) if (!chain.includes(alias)) chain.push(alias);
    return { entry: last, chain };
  }

  private links: Map<string, string[]> | null = null;

  /** All names of a regular file: itself and the hard links to it. */
  hardlinkNames(path: string): string[] {
    if (!this.links) {
      this.links = new Map();
      for (const e of this.entries.values()) {
        if (e.type !== "hardlink" || e.target === undefined) continue;
        const t = normaliseMemberName(e.target);
        const l = this.links.get(t) ?? [];
        l.push(e.path);
        this.links.set(t, l);
      }
    }
    return [path, ...(this.links.get(path) ?? [])];
  }

  exists(path: string): boolean {
    return this.resolve(path) !== null;
  }

  /** Paths (normalised) of all entries, in archive order. */
  paths(): string[] {
    return [...this.entries.keys()];
  }
}

const VERBOSE_RE = /^(\S)\S* (\d+)\/(\d+) +\S+ \S+ \S+ /;

/**
 * List a tarball with GNU tar (no extraction). Runs `tar -tP` for the exact names and `tar -tvP` for types,
 * owners and link targets (matched line by line, so a name containing " -> " cannot confuse the parser).
 */
export async function listTarball(file: string, compression?: Compression): Promise<TarListing> {
  const c = compression ?? (await detectCompression(file));
  const common = ["-P", "--quoting-style=escape", "--numeric-owner", ...tarCompressionArgs(c), "-f", file];
  const max = 256 * 1024 * 1024;
  let names: string[];
  let verbose: string[];
  try {
    const [a, b] = await Promise.all([
      run("tar", ["-t", ...common], { maxOutput: max }),
      run("tar", ["-tv", ...common], { maxOutput: max }),
    ]);
    names = a.stdout.split("\n").filter((l) => l !== "");
    verbose = b.stdout.split("\n").filter((l) => l !== "");
  } catch (e) {
    throw new EngineError("TEMPLATE_INVALID", `${file} is not a readable tar archive: ${(e as Error).message}`, {
      cause: e,
    });
  }
  if (names.length !== verbose.length) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `Could not parse the listing of ${file} (${names.length} names vs ${verbose.length} entries)`,
    );
  }
  const out: TarEntry[] = [];
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const line = verbose[i]!;
    const m = VERBOSE_RE.exec(line);
    if (!m || !line.slice(m[0].length).startsWith(name)) {
      throw new EngineError(
        "TEMPLATE_INVALID",
        `Could not parse the listing of ${file} at entry ${JSON.stringify(name)}`,
      );
    }
    const type = TYPE_CHARS[m[1]!] ?? "other";
    const rest = line.slice(m[0].length + name.length);
    let target: string | undefined;
    if (type === "symlink" && rest.startsWith(" -> ")) target = unescapeTarName(rest.slice(4));
    if (type === "hardlink" && rest.startsWith(" link to ")) target = unescapeTarName(rest.slice(9));
    const raw = unescapeTarName(name);
    out.push({ path: normaliseMemberName(raw), raw, type, uid: Number(m[2]), gid: Number(m[3]), target });
  }
  return new TarListing(out);
}

export interface TarballInfo {
  compression: Compression;
  init: InitKind;
  haltSignal: string;
  distro: string;
  release: string;
  arch: string;
  entries: number;
}

/** Reject member names that would land outside the target directory. Throws TEMPLATE_INVALID. */
export function checkMemberNames(listing: TarListing, file: string): void {
  const bad: string[] = [];
  const highIds: string[] = [];
  for (const e of listing.entries.values()) {
    if (e.raw.startsWith("/") || e.raw.split("/").includes("..")) bad.push(e.raw);
    else if (
      e.type === "hardlink" &&
      e.target !== undefined &&
      (e.target.startsWith("/") || e.target.split("/").includes(".."))
    )
      bad.push(`${e.raw} (hard link to ${e.target})`);
    if (e.uid > 65535 || e.gid > 65535) highIds.push(`${e.raw} (${e.uid}:${e.gid})`);
  }
  if (bad.length > 0) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `${file} contains unsafe paths (absolute or with ".." components): ${bad.slice(0, 5).join(", ")}${bad.length > 5 ? ` and ${bad.length - 5} more` : ""}. Pack the rootfs relative to its root (tar -C rootfs .)`,
      { details: { unsafe: bad.slice(0, 50) } },
    );
  }
  if (highIds.length > 0) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `${file} has files owned by uids/gids above 65535 (${highIds.slice(0, 3).join(", ")}): it looks like an already-shifted rootfs. Pack it with the container's own ids (root = 0) and --numeric-owner`,
    );
  }
}

/** Decide the init kind from the listing (no extraction). */
export function detectInit(listing: TarListing): { init: InitKind; initPath: string } | null {
  const sbinInit = listing.resolve("sbin/init");
  if (sbinInit && sbinInit.entry.type !== "dir") {
    const chain = sbinInit.chain;
    const final = chain[chain.length - 1] ?? "";
    if (chain.some((p) => /(^|\/)lib\/systemd\/systemd$/.test(p)) || basename(final) === "systemd")
      return { init: "systemd", initPath: "sbin/init" };
    if (chain.some((p) => basename(p) === "busybox")) return { init: "busybox", initPath: "sbin/init" };
    return { init: "sysvinit", initPath: "sbin/init" };
  }
  const systemd = listing.resolve("lib/systemd/systemd");
  if (systemd && systemd.entry.type !== "dir") return { init: "systemd", initPath: "lib/systemd/systemd" };
  const bb = listing.resolve("bin/busybox");
  if (bb && bb.entry.type !== "dir") return { init: "busybox", initPath: "bin/busybox" };
  return null;
}

/** Extract one member (by its raw name) to memory, reading at most `max` bytes. */
export async function readMember(
  file: string,
  compression: Compression,
  raw: string,
  max = 1024 * 1024,
): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      "tar",
      ["-x", "-O", ...tarCompressionArgs(compression), "-f", file, "--occurrence=1", "--", raw],
      {
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    const chunks: Buffer[] = [];
    let len = 0;
    let err = "";
    let done = false;
    child.stdout.on("data", (d: Buffer) => {
      if (len < max) chunks.push(d);
      len += d.length;
      if (len >= max && !done) {
        done = true;
        child.kill("SIGKILL");
      }
    });
    child.stderr.on("data", (d: Buffer) => {
      if (err.length < 4096) err += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => {
      if (code !== 0 && !done) {
        reject(new EngineError("HOST_TOOL_FAILED", `tar could not read ${raw} from ${file}: ${err.trim()}`));
        return;
      }
      resolve(Buffer.concat(chunks).subarray(0, max));
    });
  });
}

export function parseOsRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (!m) continue;
    let v = m[2]!;
    if ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))) v = v.slice(1, -1);
    out[m[1]!] = v.replace(/\\(.)/g, "$1");
  }
  return out;
}

const ELF_MACHINES: Record<number, string> = {
  0x03: "i386",
  0x28: "armhf",
  0x3e: "amd64",
  0xb7: "arm64",
  0xf3: "riscv64",
  0x15: "ppc64el",
  0x16: "s390x",
};

/** Debian-style architecture name of an ELF binary (from its header), or null. */
export function elfArch(buf: Buffer): string | null {
  if (buf.length < 20 || buf.readUInt32BE(0) !== 0x7f454c46) return null;
  const little = buf[5] === 1;
  const machine = little ? buf.readUInt16LE(18) : buf.readUInt16BE(18);
  return ELF_MACHINES[machine] ?? `elf-${machine}`;
}

/** Debian-style name of the host architecture. */
export function hostArch(): string {
  const m: Record<string, string> = {
    x64: "amd64",
    arm64: "arm64",
    ia32: "i386",
    arm: "armhf",
    riscv64: "riscv64",
    ppc64: "ppc64el",
    s390x: "s390x",
  };
  return m[process.arch] ?? process.arch;
}

/**
 * Validate a rootfs tarball and detect what is in it, without extracting anything to disk:
 * unsafe names → TEMPLATE_INVALID; no init (sbin/init, lib/systemd/systemd or bin/busybox) or no bin/sh
 * → TEMPLATE_INVALID. Reads etc/os-release and the ELF header of bin/sh's target through `tar -xO`.
 */
export async function inspectTarball(file: string, log: LogFn = () => {}): Promise<TarballInfo> {
  const compression = await detectCompression(file);
  const listing = await listTarball(file, compression);
  log(`listed ${listing.entries.size} entries (${compression})`);
  checkMemberNames(listing, file);
  const init = detectInit(listing);
  if (!init) {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `${file} has no init: expected sbin/init, lib/systemd/systemd or bin/busybox in the archive (is it a root filesystem packed from its root?)`,
    );
  }
  const sh = listing.resolve("bin/sh");
  if (!sh || sh.entry.type === "dir") {
    throw new EngineError(
      "TEMPLATE_INVALID",
      `${file} has no bin/sh: a container root filesystem needs a shell at /bin/sh`,
    );
  }
  if (init.initPath !== "sbin/init") log(`warning: no sbin/init; the init is ${init.initPath}`);

  // distro/release from os-release (Debian: etc/os-release -> ../usr/lib/os-release)
  let os: Record<string, string> = {};
  for (const p of ["etc/os-release", "usr/lib/os-release"]) {
    const r = listing.resolve(p);
    if (r && r.entry.type === "file") {
      os = parseOsRelease((await readMember(file, compression, r.entry.raw, 64 * 1024)).toString("utf8"));
      break;
    }
  }
  // arch (and busybox version) from the shell binary
  let arch: string | null = null;
  let bbVersion: string | undefined;
  const shEntry = sh.entry;
  if (shEntry.type === "file") {
    const isBusybox = sh.chain.some((p) => basename(p) === "busybox") || basename(shEntry.path) === "busybox";
    const buf = await readMember(file, compression, shEntry.raw, isBusybox ? 8 * 1024 * 1024 : 64);
    arch = elfArch(buf);
    if (isBusybox) bbVersion = /BusyBox v(\d+\.\d+(?:\.\d+)?)/.exec(buf.toString("latin1"))?.[1];
  }
  const distro = os.ID ?? (init.init === "busybox" ? "busybox" : "unknown");
  const release = os.VERSION_ID ?? os.VERSION_CODENAME ?? (distro === "busybox" ? bbVersion : undefined) ?? "unknown";
  return {
    compression,
    init: init.init,
    haltSignal: HALT_SIGNAL[init.init],
    distro,
    release,
    arch: arch ?? hostArch(),
    entries: listing.entries.size,
  };
}

/**
 * Pack a rootfs directory as tar.zst with numeric owners, xattrs and ACLs, sorted (reproducible order),
 * staying on the rootfs' filesystem. `forceRoot` stores every file as 0:0.
 */
export async function packRootfs(
  dir: string,
  out: string,
  opts: { forceRoot?: boolean; timeoutMs?: number } = {},
): Promise<void> {
  const args = ["--create", "--numeric-owner", "--xattrs", "--acls", "--one-file-system", "--sort=name"];
  if (opts.forceRoot) args.push("--owner=0", "--group=0");
  args.push("-I", ZSTD_PACK_PROGRAM, "-f", out, "-C", dir, ".");
  await run("tar", args, { timeoutMs: opts.timeoutMs ?? 30 * 60_000 });
}

/**
 * tar arguments to unpack a template tarball into `dir` keeping numeric owners, xattrs (user.* and file capabilities)
 * and ACLs.
 */
export function unpackArgs(file: string, compression: Compression, dir: string): string[] {
  return [
    "--extract",
    "--numeric-owner",
    "--same-owner",
    "--same-permissions",
    "--xattrs",
    "--xattrs-include=user.*",
    "--xattrs-include=security.capability",
    "--acls",
    ...tarCompressionArgs(compression),
    "-f",
    file,
    "-C",
    dir,
  ];
}

/** Unpack a template tarball into an (empty) directory. */
export async function unpackTarball(file: string, dir: string, opts: { timeoutMs?: number } = {}): Promise<void> {
  const compression = await detectCompression(file);
  await run("tar", unpackArgs(file, compression, dir), { timeoutMs: opts.timeoutMs ?? 30 * 60_000 });
}

/** sha256 (hex) of a file, streamed. */
export async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  await new Promise<void>((resolve, reject) => {
    createReadStream(file)
      .on("data", (d) => h.update(d))
      .on("end", () => resolve())
      .on("error", reject);
  });
  return h.digest("hex");
}
