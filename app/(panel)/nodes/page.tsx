"use client";
import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";
import { AddNodeForm } from "./AddNodeForm.js";
import { NodeInfo } from "./NodeInfo.js";
import { NodeNetworks } from "./NodeNetworks.js";
import { QueryView } from "../../_components/QueryView.js";

function Nodes() {
  const trpc = useTRPC();
  const q = useQuery(trpc.nodes.list.queryOptions());
  const [open, setOpen] = useState<string | null>(null);
  return (
    <>
      <PageHeader title="Nodes" subtitle="Hosts running the container engine. New containers go to the first node." />
      <div className="flex flex-col gap-4">
        <Card>
          <QueryView q={q} empty="No nodes yet. Add the local engine below.">
            {(data) => (
              <table className={table} aria-label="Nodes">
                <thead>
                  <tr>
                    <th className={th}>Name</th>
                    <th className={th}>Endpoint</th>
                    <th className={`${th} text-right`}>Containers</th>
                    <th className={th}>Added</th>
                    <th className={th}>
                      <span className="sr-only">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((n) => (
                    <Fragment key={n.id}>
                      <tr>
                        <td className={`${td} font-medium`}>{n.name}</td>
                        <td className={`${td} ${mono}`}>{n.endpoint}</td>
                        <td className={`${td} text-right tabular-nums`}>{n._count.containers}</td>
                        <td className={`${td} text-xs`}>{when(n.createdAt)}</td>
                        <td className={`${td} text-right`}>
                          <Button variant="secondary" className="px-2 py-0.5 text-xs" aria-expanded={open === n.id} onClick={() => setOpen(open === n.id ? null : n.id)}>
                            {open === n.id ? "Hide details" : "Info & networks"}
                          </Button>
                        </td>
                      </tr>
                      {open === n.id && (
                        <tr>
                          <td colSpan={5} className="border-b border-slate-100 bg-slate-50 px-4 py-3">
                            <div className="flex flex-col gap-4">
                              <NodeInfo nodeId={n.id} name={n.name} />
                              <NodeNetworks nodeId={n.id} name={n.name} />
                            </div>
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  ))}
                </tbody>
              </table>
            )}
          </QueryView>
        </Card>
        <div className="max-w-3xl">
          <AddNodeForm />
        </div>
      </div>
    </>
  );
}

export default function NodesPage() {
  return (
    <RequireRole roles={["admin"]}>
      <Nodes />
    </RequireRole>
  );
}
