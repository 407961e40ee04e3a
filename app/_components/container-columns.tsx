"use client";
import Link from "next/link";
import type { RouterOutputs } from "../_lib/trpc.js";
import { link, mono } from "../_lib/ui.js";
import type { Column } from "./DataTable.js";
import { StateBadge } from "./StateBadge.js";

/** The columns of a containers table (the Containers page, a tenant's page), sortable ones with the server's key. */
export const CONTAINER_SORTS = ["ctid", "hostname", "state", "node", "createdAt"] as const;
export type ContainerSort = (typeof CONTAINER_SORTS)[number];
export type ContainerRow = RouterOutputs["containers"]["table"]["rows"][number];

export const CONTAINER_COLUMNS: Column<ContainerRow, ContainerSort>[] = [
  { header: "CTID", sort: "ctid", className: mono, cell: (c) => c.ctid },
  {
    header: "Hostname",
    sort: "hostname",
    cell: (c) => (
      <>
        <Link className={link} href={`/containers/${c.id}`}>
          {c.hostname}
        </Link>
        {c.name && <span className="ml-2 font-mono text-xs text-slate-500">{c.name}</span>}
      </>
    ),
  },
  { header: "State", sort: "state", cell: (c) => <StateBadge state={c.state} /> },
  { header: "IP addresses", className: mono, cell: (c) => (c.ips.length ? c.ips.join(", ") : "—") },
  { header: "Template", cell: (c) => c.template },
  { header: "Plan", cell: (c) => c.plan.name },
  { header: "Owner", cell: (c) => c.tenant.name },
  { header: "Node", sort: "node", cell: (c) => c.node.name },
  {
    header: "Created",
    sort: "createdAt",
    className: "whitespace-nowrap text-xs",
    cell: (c) => c.createdAt.slice(0, 10),
  },
];
