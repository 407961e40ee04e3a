/**
 * I/O weights (the `ioweight` setting: io.weight and io.bfq.weight on cgroup v2, blkio.bfq.weight on v1)
 * share a disk only where its queue has a scheduler that reads them. Linux's default for loop devices is
 * none, under which two containers reading at once with weights 100 and 500 got 1:1.00 in the Debian 12
 * VM; with BFQ tuned for weights over its latency heuristics (low_latency=0, strict_guarantees=1) they got
 * 1:3.5. So on the loop device of the engine's own pool image the engine chooses BFQ (loading the module if
 * needed). A pool on a disk of the admin's keeps the scheduler the admin chose. OVZ_IO_SCHEDULER=keep leaves
 * the loop device alone too.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { run } from "../../exec.js";

const read = (f: string) => readFile(f, "utf8").catch(() => "");

/** Put BFQ on `dev` (e.g. /dev/loop0), tuned for weights; true when BFQ runs it now. Best effort: never throws. */
export async function preferBfq(dev: string, sys = "/sys", env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (env.OVZ_IO_SCHEDULER === "keep") return false;
  const queue = path.join(sys, "block", path.basename(dev), "queue");
  const file = path.join(queue, "scheduler");
  let offered = await read(file);
  if (!offered) return false;
  if (!/\bbfq\b/.test(offered)) {
    await run("modprobe", ["-q", "bfq"], { allowFailure: true }).catch(() => null);
    offered = await read(file);
    if (!/\bbfq\b/.test(offered)) return false;
  }
  if (!offered.includes("[bfq]")) await writeFile(file, "bfq").catch(() => {});
  await writeFile(path.join(queue, "iosched", "low_latency"), "0").catch(() => {});
  await writeFile(path.join(queue, "iosched", "strict_guarantees"), "1").catch(() => {});
  return (await read(file)).includes("[bfq]");
}
