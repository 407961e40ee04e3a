import type { ReactNode } from "react";
import { Card } from "../../../_components/Card.js";
import { StateBadge } from "../../../_components/StateBadge.js";
import { when } from "../../../_lib/format.js";
import { showLimit } from "../../../_lib/limits.js";
import type { ContainerView } from "./types.js";

/** The container at a glance: what it is, where it runs, and the plan's main limits. */
export function SummaryCard({ c, state }: { c: ContainerView; state: string }) {
  const rows: [string, ReactNode][] = [
    ["State", <StateBadge state={state} />],
    ["Hostname", <span className="break-all">{c.hostname}</span>],
    ["CTID", <span className="font-mono">{c.ctid}</span>],
    ["Name", c.name ? <span className="font-mono">{c.name}</span> : "—"],
    ["Template", c.template],
    ["Plan", c.plan.name],
    ["RAM", showLimit("ram", c.limits.ram)],
    ["Disk", showLimit("diskspace", c.limits.diskspace)],
    ["vCPUs", showLimit("cpus", c.limits.cpus)],
    ["Owner", c.tenant.name],
    ["Node", c.node.name],
    ["Starts at boot", c.onboot ? "yes" : "no"],
    ["Created", when(c.createdAt)],
  ];
  return (
    <Card title="Summary" testId="summary-card">
      <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-500">{k}</dt>
            <dd className="min-w-0">{v}</dd>
          </div>
        ))}
      </dl>
    </Card>
  );
}
