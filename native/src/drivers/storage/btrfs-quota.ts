/**
 * Disk limits and usage of the btrfs storage driver (btrfs.ts): a container's limit is an exclusive qgroup
 * limit, so data still shared with the template is not charged to it; btrfs has no inode limits.
 */
import { EngineError } from "../../errors.js";
import { run } from "../../exec.js";
import { checkCtid } from "./common.js";
import { btrfs, parseQgroupShow, subvolumeId, toolError, toolMessage, type QgroupRow } from "./btrfs-tools.js";
import type { VolumeUsage } from "./types.js";

/** Refuse a limit btrfs cannot apply, before touching the volume. */
export function checkQuotaRequest(ctid: number, q: { bytes: number | null; inodes: number | null }): void {
  checkCtid(ctid);
  if (q.inodes !== null && q.inodes > 0) {
    throw new EngineError(
      "UNSUPPORTED",
      "btrfs has no inode limits; set diskinodes to 0 or use a storage driver with project quota (XFS/ext4)",
    );
  }
  if (q.bytes !== null && (!Number.isSafeInteger(q.bytes) || q.bytes <= 0)) {
    throw new EngineError("LIMIT_OUT_OF_RANGE", `disk space limit must be a positive number of bytes, got ${q.bytes}`);
  }
}

/** Set (or, with null, lift) the exclusive limit of the qgroup of the container volume at `p`. */
export async function limitQgroup(root: string, ctid: number, p: string, bytes: number | null): Promise<void> {
  const size = bytes === null ? "none" : String(bytes);
  // Name the qgroup explicitly and issue the ioctl on the pool root rather than inside the container's
  // subvolume, so the call does not depend on (or reserve metadata in) the possibly full container.
  const args = ["qgroup", "limit", "-e", size, `0/${await subvolumeId(p)}`, root];
  const what = `setting the disk limit of container ${ctid}`;
  const first = await run("btrfs", args, { allowFailure: true });
  if (first.code === 0) return;
  // Seen once in ~100 test runs (cause not identified; the stderr was lost): a limit change failing right
  // after the container hit EDQUOT. Retry once after committing the filesystem, then report with the state
  // of the qgroup so the cause is visible.
  await run("btrfs", ["filesystem", "sync", root], { allowFailure: true });
  const second = await run("btrfs", args, { allowFailure: true });
  if (second.code === 0) return;
  const show = await run("btrfs", ["qgroup", "show", "-re", "--raw", "-f", p], { allowFailure: true });
  throw toolError(
    new Error(
      `btrfs ${args.join(" ")} failed (exit ${second.code}): ${toolMessage(second)} ` +
        `(first attempt: ${toolMessage(first)}; qgroup state: ${toolMessage(show).replace(/\s+/g, " ")})`,
    ),
    what,
  );
}

/** Commits the filesystem so qgroup numbers are current; shared by concurrent callers, rate-limited. */
export class UsageSync {
  private lastSync = 0;
  private syncing: Promise<void> | null = null;

  constructor(
    private readonly root: string,
    private readonly intervalMs: number,
  ) {}

  async sync(): Promise<void> {
    if (this.syncing) return this.syncing;
    if (this.intervalMs > 0 && Date.now() - this.lastSync < this.intervalMs) return;
    const started = Date.now();
    this.syncing = run("btrfs", ["filesystem", "sync", this.root], { allowFailure: true })
      .then(() => {
        this.lastSync = started;
      })
      .finally(() => {
        this.syncing = null;
      });
    return this.syncing;
  }
}

/** Exclusive bytes and limit of the qgroup of the container volume at `p`. */
export async function qgroupUsage(root: string, ctid: number, p: string, usageSync: UsageSync): Promise<VolumeUsage> {
  const id = await subvolumeId(p);
  await usageSync.sync();
  const r = await btrfs(["qgroup", "show", "-re", "--raw", "-f", p], `reading the disk usage of container ${ctid}`);
  const row = parseQgroupShow(r.stdout).get(`0/${id}`);
  if (!row || row.exclusive === null) {
    throw new EngineError(
      "HOST_TOOL_FAILED",
      `no qgroup 0/${id} for container ${ctid} (are quotas enabled on ${root}?)`,
    );
  }
  return { bytes: row.exclusive, limitBytes: row.maxExclusive, inodes: null, limitInodes: null };
}

/** Exclusive bytes of each volume's qgroup (what deleting it would free), with one qgroup listing for all. */
export async function exclusiveSizes(
  root: string,
  usageSync: UsageSync,
  names: string[],
  pathOf: (name: string) => string,
): Promise<Map<string, number | null>> {
  const out = new Map<string, number | null>();
  if (!names.length) return out;
  const ids = new Map<string, number>();
  for (const n of names) ids.set(n, await subvolumeId(pathOf(n)));
  await usageSync.sync();
  const r = await run("btrfs", ["qgroup", "show", "-re", "--raw", root], { allowFailure: true });
  const rows = r.code === 0 ? parseQgroupShow(r.stdout) : new Map<string, QgroupRow>();
  for (const n of names) out.set(n, rows.get(`0/${ids.get(n)}`)?.exclusive ?? null);
  return out;
}
