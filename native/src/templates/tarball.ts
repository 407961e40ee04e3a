/**
 * Template tarballs as files: compression detection (magic bytes), names, packing a rootfs directory,
 * unpacking into a volume and checksums. Everything goes through GNU tar with argument arrays.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { basename } from "node:path";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";

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
