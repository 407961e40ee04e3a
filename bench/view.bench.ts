/**
 * Container view benchmark (lxcfs, native/src/lxcfs.ts): what the engine's lxcfs costs.
 *
 *   1. memory: lxcfs's resident memory (VmRSS) with no container, with N running busybox containers, and after
 *      each of them read /proc/meminfo, /proc/stat, /proc/cpuinfo, /proc/uptime and /proc/loadavg --reads times
 *      (all N at once)
 *   2. read time: one read of /proc/meminfo inside a container (served by lxcfs) vs on the host (the kernel's),
 *      both as one busybox awk reading the whole file --reads times (no process per read) and as --reads `cat`s
 *      (one process per read, what scripts do); µs per read, the lxc-attach of the loop subtracted
 *
 * Usage: npx tsx bench/view.bench.ts [--n 20] [--reads 500]
 * Writes bench/results/view-<ISO date>.json, bench/results/view-latest.md and the <!-- bench:view --> section of
 * README.md.
 */
import { readFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { run } from "../native/src/exec.js";
import { argValue, publishResults } from "./common.js";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";

const N = argValue("n", 20);
const READS = argValue("reads", 500);
const FIRST = 3000;

/** one awk process opens, reads whole (buffered) and closes the file READS times: no process per read */
const readLoop = (file: string) =>
  `awk 'BEGIN { for (i = 0; i < ${READS}; i++) { while ((getline l < "${file}") > 0) {}; close("${file}") } }'`;
const catLoop = (file: string) => `i=0; while [ $i -lt ${READS} ]; do cat ${file} >/dev/null; i=$((i+1)); done`;

async function rssKiB(te: TestEngine): Promise<number> {
  const pid = Number((await readFile(path.join(te.stateDir, "lxcfs.pid"), "utf8")).trim());
  const status = await readFile(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
}

/** ms of a shell script inside the container (minus an empty one: the lxc-attach) and on the host */
async function timed(te: TestEngine, where: "inside" | "host", script: string): Promise<number> {
  const once = async (s: string) => {
    const t0 = performance.now();
    if (where === "inside") {
      const r = await te.client.call("container.exec", { ctid: FIRST, argv: ["sh", "-c", s], timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(`inside: ${r.stderr}`);
    } else await run("busybox", ["sh", "-c", s]);
    return performance.now() - t0;
  };
  const base = await once("true");
  return (await once(script)) - base;
}

async function main(): Promise<void> {
  const te = await startTestEngine({ poolSize: "4G" });
  try {
    await te.client.call("template.build", { kind: "busybox" });
    const idle0 = await rssKiB(te);
    const ctids = Array.from({ length: N }, (_, i) => FIRST + i);
    for (const ctid of ctids) {
      await te.client.call("container.create", { ctid, template: "busybox", limits: { ram: "256M", cpus: 1 } });
      await te.client.call("container.start", { ctid });
    }
    const idleN = await rssKiB(te);
    const all = "/proc/meminfo /proc/stat /proc/cpuinfo /proc/uptime /proc/loadavg";
    const everyFile = `i=0; while [ $i -lt ${READS} ]; do cat ${all} >/dev/null; i=$((i+1)); done`;
    await Promise.all(
      ctids.map((ctid) =>
        te.client.call("container.exec", { ctid, argv: ["sh", "-c", everyFile], timeoutMs: 600_000 }),
      ),
    );
    const afterReads = await rssKiB(te);
    const us = (ms: number) => Math.round((ms * 1000) / READS);
    const read = {
      inside: us(await timed(te, "inside", readLoop("/proc/meminfo"))),
      host: us(await timed(te, "host", readLoop("/proc/meminfo"))),
    };
    const cat = {
      inside: us(await timed(te, "inside", catLoop("/proc/meminfo"))),
      host: us(await timed(te, "host", catLoop("/proc/meminfo"))),
    };
    const date = new Date().toISOString();
    const md = [
      `Run ${date.slice(0, 10)} on ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), N = ${N} busybox ` +
        `containers, ${READS} reads each; other load on the machine moves these numbers.`,
      "",
      "| measure | value |",
      "|---|---|",
      `| lxcfs RSS, no container | ${(idle0 / 1024).toFixed(1)} MiB |`,
      `| lxcfs RSS, ${N} running containers | ${(idleN / 1024).toFixed(1)} MiB |`,
      `| lxcfs RSS after all ${N} read 5 files ${READS} times at once | ${(afterReads / 1024).toFixed(1)} MiB ` +
        `(${((afterReads - idle0) / N).toFixed(0)} KiB per container) |`,
      `| one whole read of /proc/meminfo (open, read, close in one awk): inside (lxcfs) / host (kernel) | ` +
        `${read.inside} µs / ` +
        `${read.host} µs |`,
      `| one \`cat /proc/meminfo\` (a process per read): inside / host | ${cat.inside} µs / ${cat.host} µs |`,
    ].join("\n");
    const out = publishResults({
      name: "view",
      title: "Container view (lxcfs)",
      date,
      result: { date, n: N, reads: READS, rssKiB: { idle0, idleN, afterReads }, usPerRead: { read, cat } },
      md,
      log: console.log,
    });
    console.log(md);
    console.log(`wrote ${out}`);
  } finally {
    await te.cleanup();
  }
}

await main();
