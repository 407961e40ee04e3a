/**
 * Live migration between two nodes (two real engines, own netns and btrfs pools, bytes relayed by this
 * process as the panel does): frozen time (source freeze → running on the target) and total time, against
 * the container's files and memory, side by side in the same run with
 *   - the same container's checkpoint + restore on ONE node (no transfer: the floor of the frozen time),
 *   - an offline migration (stop, copy, start: what a panel without CRIU does; its downtime).
 *   npx tsx bench/migrate.bench.ts [--reps 3]
 * Results: bench/results/migrate-<date>.json, migrate-latest.md and README's <!-- bench:migrate --> block.
 */
import { appendFile, mkdir, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { startTestEngine, type TestEngine } from "../native/test/helpers/engine.js";
import { dialEngine } from "../native/src/protocol/dial.js";
import { migrate, type MigrateEnd } from "../native/src/protocol/migrate-run.js";
import { argValue, publishResults } from "./common.js";

const reps = argValue("reps", 3);
const log = (m: string) => process.stderr.write(`${m}\n`);
if (process.getuid?.() !== 0) {
  log("migrate.bench: needs root (it starts two real engines)");
  process.exit(1);
}

const CASES = [
  { name: "small (busybox, idle)", filesMb: 0, memMb: 0 },
  { name: "+256 MB of files", filesMb: 256, memMb: 0 },
  { name: "+128 MB of memory", filesMb: 0, memMb: 128 },
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const end = (te: TestEngine, name: string): MigrateEnd => ({ name, endpoint: te.env.OVZ_SOCKET!, engine: te.client });

const [A, B] = await Promise.all([startTestEngine({ poolSize: "4G" }), startTestEngine({ poolSize: "4G" })]);
try {
  await Promise.all([
    A.client.call("template.build", { kind: "busybox" }),
    B.client.call("template.build", { kind: "busybox" }),
  ]);
  type Row =
    | { case: string; failed: string }
    | {
        case: string;
        liveFrozenMs: number;
        liveTotalMs: number;
        localCheckpointRestoreMs: number;
        offlineDowntimeMs: number;
        filesBytes: number;
        dumpBytes: number;
      };
  const rows: Row[] = [];
  let ctid = 400;
  for (const c of CASES) {
    const live: { frozen: number; total: number; base: number; dump: number }[] = [];
    const local: number[] = [];
    const offline: number[] = [];
    const failures: string[] = [];
    for (let r = 0; r < reps; r++) {
      ctid++;
      const made = await A.client.call("container.create", {
        ctid,
        template: "busybox",
        limits: { ram: 1024 * 1024 * 1024 },
      });
      if (c.filesMb) {
        await mkdir(path.join(made.rootfs, "data"), { recursive: true });
        const chunk = Buffer.alloc(1024 * 1024, 7);
        for (let i = 0; i < c.filesMb; i++) await appendFile(path.join(made.rootfs, "data/blob"), chunk);
      }
      // memory held by a shell under init (CRIU dumps init's tree): a variable of N MB, then it idles
      const hog = c.memMb
        ? [
            `::respawn:/bin/sh -c 'x=$(head -c ${c.memMb * 1024 * 1024} /dev/zero | tr "\\0" a); while :; do sleep 1000; done'`,
          ]
        : [];
      await appendFile(path.join(made.rootfs, "etc/inittab"), [...hog, ""].join("\n"));
      await writeFile(path.join(made.rootfs, "root/.bench"), "x");
      await A.client.call("container.start", { ctid });
      await new Promise((res) => setTimeout(res, c.memMb ? 10_000 : 500));

      // ours: live migration A → B
      const m = await migrate({
        ctid,
        live: true,
        source: end(A, "a"),
        target: end(B, "b"),
        dial: (e) => dialEngine(e),
        log: () => {},
        progress: () => {},
      }).catch((e: Error) => e);
      if (m instanceof Error) {
        failures.push(m.message.slice(0, 300));
        log(`live migration failed: ${m.message}`);
        await A.client.call("container.destroy", { ctid, force: true }).catch(() => {});
        continue;
      }
      live.push({ frozen: m.frozenMs!, total: m.totalMs, base: m.bytes.base, dump: m.bytes.dump });

      // baseline 1: offline migration back B → A (stop, copy, start): its downtime
      const o = await migrate({
        ctid,
        live: false,
        source: end(B, "b"),
        target: end(A, "a"),
        dial: (e) => dialEngine(e),
        log: () => {},
        progress: () => {},
      });
      offline.push(o.frozenMs!);

      // baseline 2: checkpoint + restore on one node (no transfer), once the freshly started container holds its memory
      // again
      await new Promise((res) => setTimeout(res, c.memMb ? 10_000 : 500));
      const t0 = performance.now();
      await A.client.call("container.checkpoint", { ctid });
      await A.client.call("container.restore", { ctid });
      local.push(performance.now() - t0);
      await A.client.call("container.destroy", { ctid, force: true });
    }
    if (!live.length) {
      rows.push({ case: c.name, failed: failures[0] ?? "no run" });
      continue;
    }
    const row = {
      case: c.name,
      liveFrozenMs: median(live.map((x) => x.frozen)),
      liveTotalMs: median(live.map((x) => x.total)),
      localCheckpointRestoreMs: median(local),
      offlineDowntimeMs: median(offline),
      filesBytes: median(live.map((x) => x.base)),
      dumpBytes: median(live.map((x) => x.dump)),
    };
    log(JSON.stringify(row));
    rows.push(row);
  }
  const date = new Date().toISOString();
  const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MB`;
  const md = [
    `Live migration between two nodes on one machine, \`npx tsx bench/migrate.bench.ts\` (root), median of ${reps}, ${os.cpus().length} CPUs, ${date.slice(0, 10)}:`,
    "",
    "| container | live: frozen | live: total | checkpoint+restore on one node (baseline) | offline move: downtime (baseline) | files sent | dump |",
    "|---|---|---|---|---|---|---|",
    ...rows.map((r) =>
      "failed" in r
        ? `| ${r.case} | failed: ${String(r.failed).replace(/\|/g, "/").slice(0, 160)} | | | | | |`
        : `| ${r.case} | ${r.liveFrozenMs} ms | ${r.liveTotalMs} ms | ${Math.round(r.localCheckpointRestoreMs)} ms | ${r.offlineDowntimeMs} ms | ${mb(r.filesBytes)} | ${mb(r.dumpBytes)} |`,
    ),
    "",
    "Frozen = from the source's freeze (CRIU dump starts) until the container runs on the target; the files are",
    "copied before the freeze (btrfs send), only their changes after it (btrfs send -p), so the frozen time",
    "grows with memory, not with files. The goal for a small container is ≤ 300 ms.",
  ].join("\n");
  log(
    `results: ${publishResults({ name: "migrate", title: "Live migration", date, result: { date, reps, rows }, md, log })}`,
  );
} finally {
  await Promise.all([A.cleanup(), B.cleanup()]);
}
