/**
 * Deleting btrfs volumes of the storage driver (btrfs.ts): a subvolume with the ones nested in it and its
 * qgroup, or a half-made plain tree.
 *
 * Qgroup cleanup (measured on kernel 6.18, btrfs-progs 6.2): `btrfs subvolume delete` only unlinks the
 * subvolume; its qgroup 0/<id> stays (shown as <stale>) and `btrfs qgroup destroy` fails with EBUSY until
 * the cleaner thread has dropped the subvolume — which happens at the next transaction commit, up to 30 s
 * later. So we delete with --commit-after (wakes the cleaner), wait with `btrfs subvolume sync <id>`
 * (then a few ms), and destroy the qgroup; recent kernels remove the qgroup of a dropped subvolume
 * themselves, so "No such file or directory" from destroy means done.
 */
import fs from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { EngineError, isEngineError } from "../../errors.js";
import { run } from "../../exec.js";
import { pathExists } from "./common.js";
import {
  btrfs,
  findNestedSubvolumes,
  isReadOnly,
  SUBVOL_ROOT_INO,
  subvolumeId,
  toolError,
  toolMessage,
} from "./btrfs-tools.js";

/** Remove whatever is at `p`: a subvolume (with nested ones and its qgroup) or a half-made plain tree. Idempotent. */
export async function removeAny(root: string, p: string, clearRo: boolean): Promise<void> {
  let st;
  try {
    st = await fs.lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return;
    throw e;
  }
  if (st.isDirectory() && st.ino === SUBVOL_ROOT_INO) {
    await deleteSubvolume(root, p, clearRo);
    return;
  }
  if (st.isDirectory()) {
    // A plain directory (crash before/while the volume was made). rm -r would rmdir empty nested subvolumes
    // and leave their qgroups behind, so delete those properly first.
    for (const sub of await findNestedSubvolumes(p, st.dev)) await deleteSubvolume(root, sub, true);
  }
  await fs.rm(p, { recursive: true, force: true });
}

async function deleteSubvolume(root: string, p: string, clearRo: boolean): Promise<void> {
  const id = await subvolumeId(p);
  if (clearRo && (await isReadOnly(p))) {
    await btrfs(["property", "set", "-ts", p, "ro", "false"], `clearing the ro flag of ${p}`);
  }
  const del = () => run("btrfs", ["subvolume", "delete", "--commit-after", p], { allowFailure: true });
  let r = await del();
  if (r.code !== 0 && /not empty/i.test(toolMessage(r))) {
    // Subvolumes nested inside (a container may create them: subvolume creation needs no privilege).
    const st = await fs.lstat(p);
    for (const sub of await findNestedSubvolumes(p, st.dev)) await deleteSubvolume(root, sub, true);
    r = await del();
  }
  if (r.code !== 0) {
    if (!(await pathExists(p))) return; // deleted concurrently
    throw toolError(new Error(`btrfs subvolume delete ${p} failed: ${toolMessage(r)}`), `deleting volume ${p}`);
  }
  await destroyQgroup(root, id);
}

/** Make sure qgroup 0/<id> of a deleted subvolume is gone (see the file comment for why this waits). */
async function destroyQgroup(root: string, id: number): Promise<void> {
  // Wait until the cleaner has dropped the subvolume: a few ms after --commit-after, longer for huge volumes.
  const dropped = await run("btrfs", ["subvolume", "sync", root, String(id)], {
    allowFailure: true,
    timeoutMs: 60_000,
  }).then(
    () => true,
    (e: unknown) => {
      if (isEngineError(e, "TIMEOUT")) return false;
      throw e;
    },
  );
  let last = "";
  for (let attempt = 0; attempt < 4; attempt++) {
    const r = await run("btrfs", ["qgroup", "destroy", `0/${id}`, root], { allowFailure: true });
    if (r.code === 0) return;
    last = toolMessage(r);
    // Kernel removed it itself once the subvolume was dropped (6.x), or quotas are off: nothing to do.
    if (/no such file|not exist|ENOENT|not enabled/i.test(last)) return;
    if (!/busy/i.test(last)) break;
    // Still being dropped after a minute (a very large volume): the kernel removes the qgroup when the drop
    // finishes, and init() clears stale qgroups (image pools) on kernels that do not. Not worth failing the delete
    // for.
    if (!dropped) return;
    await run("btrfs", ["filesystem", "sync", root], { allowFailure: true });
    await sleep(100 * (attempt + 1));
  }
  throw new EngineError(
    "HOST_TOOL_FAILED",
    `subvolume ${id} was deleted but its qgroup 0/${id} could not be removed (${last}); run "btrfs qgroup clear-stale ${root}"`,
    { details: { qgroup: `0/${id}` } },
  );
}
