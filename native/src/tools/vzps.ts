/**
 * vzps: ps for the whole host with a CTID column (0 = host processes), like OpenVZ's vzps. Run as root:
 *   node --import tsx native/src/tools/vzps.ts -E 101 -o ctid,pid,vpid,user,args
 *   node --import tsx native/src/tools/vzps.ts aux
 * The running containers, their init pids and cgroups come from the engine (container.usage, OVZ_SOCKET,
 * spawn-free unlike container.list); a process belongs to a container when its cgroup is at or below that
 * container's cgroup (which holds its init). Processes come from /proc.
 */
import os from "node:os";
import { readFile } from "node:fs/promises";
import { EngineClient } from "../protocol/client.js";
import { EngineError } from "../errors.js";
import { containerCgroups, ctidOf } from "../hostscope/ctmap.js";
import {
  listPids,
  mapLimit,
  parseBootTime,
  parseCgroupFile,
  parseMemTotal,
  parsePasswd,
  parseStat,
  readOr,
  readProc,
} from "../hostscope/proc.js";
import {
  isSelected,
  parseVzpsArgs,
  renderVzps,
  UsageError,
  usageErrorText,
  VZPS_HELP,
  type VzpsOptions,
} from "../hostscope/vzps.js";

async function main(argv: string[]): Promise<number> {
  let opts: VzpsOptions;
  try {
    opts = parseVzpsArgs(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(usageErrorText(e));
      return 1;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(VZPS_HELP);
    return 0;
  }

  const socket = process.env.OVZ_SOCKET ?? "/run/ovz/engine.sock";
  const client = new EngineClient(socket);
  let running: Array<{ ctid: number; initPid: number; cgroup?: string }>;
  try {
    running = await client.call("container.usage", {});
  } catch (e) {
    process.stderr.write(`vzps: ${e instanceof EngineError ? e.message : (e as Error).message}\n`);
    return 1;
  } finally {
    client.close();
  }
  for (const c of opts.ctids ?? []) {
    if (c !== 0 && !running.some((r) => r.ctid === c)) process.stderr.write(`vzps: container ${c} is not running\n`);
  }

  const inits = await Promise.all(
    running.map(async (r) => ({
      ctid: r.ctid,
      cgroup: r.cgroup,
      cgroups: await readOr(`/proc/${r.initPid}/cgroup`).then((t) => (t === null ? null : parseCgroupFile(t))),
    })),
  );
  const { map, skipped } = containerCgroups(inits);
  for (const s of skipped)
    process.stderr.write(
      `vzps: warning: processes of container ${s.ctid} cannot be told apart (${s.reason}); they show as CTID 0\n`,
    );

  const [stat, uptime, meminfo, passwd, selfStat] = await Promise.all([
    readOr("/proc/stat"),
    readOr("/proc/uptime"),
    readOr("/proc/meminfo"),
    readOr("/etc/passwd"),
    readFile("/proc/self/stat", "utf8"),
  ]);
  const procs = (await mapLimit(await listPids(), 64, (pid) => readProc(pid))).filter((p) => p !== null);
  const self = { euid: process.geteuid?.() ?? 0, ttyNr: parseStat(selfStat)?.ttyNr ?? 0 };
  const chosen = procs
    .map((proc) => ({ proc, ctid: ctidOf(proc.cgroups, map) }))
    .filter((x) => isSelected(x.proc, x.ctid, opts, self));
  const out = renderVzps(chosen, opts, {
    nowMs: Date.now(),
    bootMs: parseBootTime(stat ?? "") * 1000,
    uptimeSec: Number((uptime ?? "").split(" ")[0]) || os.uptime(),
    memTotalBytes: parseMemTotal(meminfo ?? "") || os.totalmem(),
    users: parsePasswd(passwd ?? ""),
  });
  process.stdout.write(out);
  // like procps ps: status 1 when no process was selected
  return chosen.length ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e) => {
    process.stderr.write(`vzps: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
