/**
 * Template tarballs: compression detection (magic bytes), listing and validation WITHOUT extracting to
 * the host, init/distro/arch detection, packing a rootfs directory and unpacking into a volume.
 *
 * Everything goes through GNU tar with argument arrays. Member names are validated from tar's own
 * listing (`tar -tP`, so tar's view of the names is what we check), and extraction never uses -P, so
 * GNU tar's own protections (leading "/" stripped, ".." refused, absolute symlinks delayed) also apply.
 */
import { basename } from "node:path";
import { EngineError } from "../errors.js";
import { readMember, listTarball, type TarListing } from "./tar-listing.js";
import { type Compression, detectCompression } from "./tarball.js";
import type { InitKind, LogFn } from "./types.js";

// The parts, re-exported for importers of this module: tarball.ts (compression, pack, unpack, checksum) and
// tar-listing.ts (listing and reading members without extracting).
export * from "./tarball.js";
export * from "./tar-listing.js";

/** Halt signal per init kind, as the runtime sends it (lxc.signal.halt). */
export const HALT_SIGNAL: Record<InitKind, string> = {
  busybox: "SIGUSR2",
  systemd: "SIGRTMIN+3",
  sysvinit: "SIGPWR",
  unknown: "SIGPWR",
};

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
