/**
 * CtRow for every container of the node: the panel's rows (owner, plan, name, description, addresses)
 * joined with the node's view (state, limits, root paths, usage). A container the node lost is listed
 * with status "error"; one the panel does not know is not listed (it is not the panel's).
 */
import fs from "node:fs";
import type { Db } from "../db/client.js";
import { engineFor } from "../engine/index.js";
import { defaultNode } from "../services/containers.js";
import { effectiveLimits } from "../services/limits.js";
import type { CtRow, CtStatus } from "./types.js";

/** beancounter resource → vzlist's UBC name */
const UBC_NAME: Record<string, string> = {
  memory: "physpages",
  swap: "swappages",
  numproc: "numproc",
  numfile: "numfile",
};
const CLK_TCK = 100;

/** Seconds since the container's init started (its /proc start time against the host's uptime). */
function uptimeOf(initPid: number, sysUptime: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${initPid}/stat`, "utf8");
    const start = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]) / CLK_TCK;
    return Math.max(0, sysUptime - start);
  } catch {
    return null;
  }
}

export async function loadRows(db: Db, opts: { usage?: boolean; disk?: boolean } = {}): Promise<CtRow[]> {
  const node = await defaultNode(db);
  const eng = engineFor(node.endpoint);
  const [cts, infos, usage] = await Promise.all([
    db.container.findMany({
      where: { nodeId: node.id },
      include: { plan: true, tenant: true, addresses: true },
      orderBy: { ctid: "asc" },
    }),
    eng.call("container.list", {}),
    opts.usage === false ? Promise.resolve([]) : eng.call("container.usage", {}),
  ]);
  const info = new Map(infos.map((i) => [i.ctid, i]));
  const use = new Map(usage.map((u) => [u.ctid, u]));
  // disk usage of every container and the fail counters of running ones, asked for all at once
  const [disks, counters] = await Promise.all([
    Promise.all(
      cts.map((c) =>
        opts.disk && info.has(c.ctid) ? eng.call("container.limits", { ctid: c.ctid }).catch(() => null) : null,
      ),
    ),
    Promise.all(
      cts.map((c) =>
        opts.usage !== false && use.has(c.ctid)
          ? eng.call("container.beancounters", { ctid: c.ctid }).catch(() => [])
          : [],
      ),
    ),
  ]);
  const sysUptime = Number(fs.readFileSync("/proc/uptime", "utf8").split(" ")[0]);
  const rows: CtRow[] = [];
  for (const [n, c] of cts.entries()) {
    const i = info.get(c.ctid);
    const u = use.get(c.ctid);
    const status: CtStatus =
      c.state === "creating" ? "creating" : !i ? "error" : i.state === "transitioning" ? "running" : i.state;
    const diskspace = disks[n]?.disk.bytes ?? null;
    const diskinodes = disks[n]?.disk.inodes ?? null;
    const failcnt: Record<string, number> = {};
    for (const b of counters[n] ?? []) failcnt[UBC_NAME[b.resource] ?? b.resource] = b.failcnt;
    const v4 = (a: string) => (a.includes(":") ? 1 : 0);
    rows.push({
      ctid: c.ctid,
      name: c.name,
      hostname: c.hostname,
      description: c.description,
      status,
      ips: c.addresses.map((a) => a.address).sort((a, b) => v4(a) - v4(b)),
      ostemplate: c.template,
      onboot: c.onboot,
      bootorder: c.bootorder,
      owner: c.tenant.name,
      plan: c.plan.name,
      root: i?.root ?? "",
      private: i?.rootfs ?? "",
      limits: i?.limits ?? effectiveLimits(c.plan, c.overrides),
      numproc: u?.nproc ?? null,
      physpages: u?.memBytes ?? null,
      swappages: u?.swapBytes ?? null,
      diskspace,
      diskinodes,
      uptime: u ? uptimeOf(u.initPid, sysUptime) : null,
      // per-container load averages need lxcfs-style accounting, which this product does not run
      laverage: null,
      failcnt,
      createdAt: c.createdAt,
    });
  }
  return rows;
}
