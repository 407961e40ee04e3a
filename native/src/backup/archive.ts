/**
 * Backup archives: a zstd-compressed POSIX tar of a root filesystem, written and read by GNU tar with
 * argument arrays (tar runs zstd itself via --zstd; ZSTD_NBTHREADS/ZSTD_CLEVEL set its threads and level).
 *
 * What is preserved: numeric owners (the files on disk carry in-container ids, so an archive is
 * independent of the host uid range the container ran with), modes incl. setuid/sticky, times, hard
 * links, symlinks, sparse files, and ALL extended attributes (user.*, trusted.*, security.capability …)
 * including POSIX ACLs. ACLs travel as their raw system.posix_acl_* xattrs, which carry numeric ids —
 * deliberately NOT with --acls: GNU tar 1.34 stores --acls entries as text with names resolved in the
 * *host's* passwd ("user:root:r--"), which is wrong for container ids and differs between hosts.
 */
import { createReadStream } from "node:fs";
import { createHash } from "node:crypto";
import os from "node:os";
import { EngineError } from "../errors.js";
import { run } from "../exec.js";
import { parseTarCheckpoint, parseTarTotals } from "./manifest.js";

/** tar's record size (20 blocks of 512 bytes): one checkpoint every CHECKPOINT records. */
const RECORD = 10240;
const CHECKPOINT = 100; // ≈ 1 MiB

const KEEP = ["--numeric-owner", "--xattrs", "--xattrs-include=*"];

export interface ProgressFn {
  (doneBytes: number): void;
}

/** Pack `srcDir` into `outFile` (which must exist, created with the wanted mode). Returns the tar stream size. */
export async function writeArchive(
  srcDir: string,
  outFile: string,
  onProgress?: ProgressFn,
): Promise<{ dataBytes: number }> {
  let dataBytes: number | null = null;
  const args = [
    "--create",
    "--zstd",
    "--file",
    outFile,
    "--format=posix",
    ...KEEP,
    "--sparse",
    "--totals",
    `--checkpoint=${CHECKPOINT}`,
    "--checkpoint-action=echo",
    "-C",
    srcDir,
    ".",
  ];
  const env = { ...process.env, ZSTD_CLEVEL: "3", ZSTD_NBTHREADS: String(Math.max(1, os.availableParallelism())) };
  const errors = await tar(args, env, onProgress, (l) => {
    const t = parseTarTotals(l);
    if (t !== null) dataBytes = t;
    return t !== null;
  });
  if (errors !== null) {
    throw new EngineError(isNoSpace(errors) ? "NO_SPACE" : "HOST_TOOL_FAILED", `packing ${srcDir} failed: ${errors}`);
  }
  if (dataBytes === null) throw new EngineError("HOST_TOOL_FAILED", "tar did not report the archive size (--totals)");
  return { dataBytes };
}

/** Unpack `file` into the (empty) directory `destDir`, owners, modes and xattrs as stored. */
export async function extractArchive(file: string, destDir: string, onProgress?: ProgressFn): Promise<void> {
  const args = [
    "--extract",
    "--zstd",
    "--file",
    file,
    ...KEEP,
    "--same-owner",
    "--same-permissions",
    `--checkpoint=${CHECKPOINT}`,
    "--checkpoint-action=echo",
    "-C",
    destDir,
  ];
  const errors = await tar(args, process.env, onProgress);
  if (errors !== null)
    throw new EngineError(
      isNoSpace(errors) ? "NO_SPACE" : "HOST_TOOL_FAILED",
      `unpacking the backup failed: ${errors}`,
    );
}

/**
 * Run tar; progress from its checkpoint lines. Returns null on success, else the last lines it printed
 * that were not checkpoints (the captured output alone would be all checkpoints on a big tree).
 */
async function tar(
  args: string[],
  env: NodeJS.ProcessEnv,
  onProgress?: ProgressFn,
  consume?: (line: string) => boolean,
): Promise<string | null> {
  const other: string[] = [];
  const r = await run("tar", args, {
    env,
    allowFailure: true,
    maxOutput: 64 * 1024,
    onLine: (l) => {
      const cp = parseTarCheckpoint(l);
      if (cp !== null) return onProgress?.(cp * CHECKPOINT * RECORD);
      if (consume?.(l)) return;
      other.push(l);
      if (other.length > 20) other.shift();
    },
  });
  if (r.code === 0) return null;
  return `tar exited with ${r.signal ?? r.code}: ${other.slice(-6).join("; ") || "no message"}`;
}

function isNoSpace(text: string): boolean {
  return /no space left|disk quota exceeded/i.test(text);
}

/** sha256 (hex) and size of a file, streamed. */
export async function sha256File(
  file: string,
  onProgress?: ProgressFn,
): Promise<{ sha256: string; sizeBytes: number }> {
  const h = createHash("sha256");
  let n = 0;
  let last = 0;
  for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) {
    h.update(chunk as Buffer);
    n += (chunk as Buffer).length;
    if (n - last >= 16 * 1024 * 1024) {
      last = n;
      onProgress?.(n);
    }
  }
  return { sha256: h.digest("hex"), sizeBytes: n };
}

/** Apparent size of a tree in bytes (du -sb), for progress; null when du fails. */
export async function treeBytes(dir: string): Promise<number | null> {
  const r = await run("du", ["-sbx", "--", dir], { allowFailure: true });
  const n = Number(r.stdout.split(/\s/)[0]);
  return r.stdout.trim() && Number.isFinite(n) ? n : null;
}
