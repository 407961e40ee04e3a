"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { InlineConfirm } from "../../_components/InlineConfirm.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";
import { AddNodeForm } from "./AddNodeForm.js";
import { JoinNodeCard } from "./JoinNodeCard.js";
import { NodeDashboard } from "./NodeDashboard.js";
import { NodeInfo } from "./NodeInfo.js";
import { NodeNetworks } from "./NodeNetworks.js";
import { NodeStatus } from "./NodeStatus.js";

const KIND = { socket: "local socket", tls: "TLS" } as const;
import { QueryView } from "../../_components/QueryView.js";

function Nodes() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.nodes.list.queryOptions());
  const [open, setOpen] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);
  const del = useMutation(
    trpc.nodes.delete.mutationOptions({
      onSuccess: () => (setConfirming(null), void qc.invalidateQueries(trpc.nodes.pathFilter())),
    }),
  );
  return (
    <>
      <PageHeader
        title="Nodes"
        subtitle="Hosts running the container engine: on this host (a Unix socket) or joined from another host (mutual TLS). New containers go to the first node."
      />
      <div className="flex flex-col gap-4">
        <Card>
          <QueryView q={q} empty="No nodes yet. Add the local engine below.">
            {(data) => (
              <table className={table} aria-label="Nodes">
                <thead>
                  <tr>
                    <th className={th}>Name</th>
                    <th className={th}>Endpoint</th>
                    <th className={th}>Kind</th>
                    <th className={th}>Status</th>
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
                      <tr data-testid={`node-${n.name}`}>
                        <td className={`${td} font-medium`}>{n.name}</td>
                        <td className={`${td} ${mono}`}>{n.endpoint}</td>
                        <td className={`${td} text-xs`} data-testid={`node-kind-${n.name}`}>
                          {n.kind ? KIND[n.kind] : "invalid endpoint"}
                        </td>
                        <td className={td}>
                          <NodeStatus nodeId={n.id} name={n.name} />
                        </td>
                        <td className={`${td} text-right tabular-nums`}>{n._count.containers}</td>
                        <td className={`${td} text-xs`}>{when(n.createdAt)}</td>
                        <td className={`${td} whitespace-nowrap text-right`}>
                          <span className="inline-flex gap-1">
                            <Button
                              variant="secondary"
                              className="px-2 py-0.5 text-xs"
                              aria-expanded={open === n.id}
                              onClick={() => setOpen(open === n.id ? null : n.id)}
                            >
                              {open === n.id ? "Hide details" : "Info & networks"}
                            </Button>
                            <InlineConfirm
                              open={confirming === n.id}
                              label="Remove"
                              confirmLabel="Confirm remove"
                              ariaLabel={`Remove node ${n.name}`}
                              busy={del.isPending}
                              onOpen={() => (del.reset(), setConfirming(n.id))}
                              onConfirm={() => del.mutate({ nodeId: n.id })}
                              onCancel={() => setConfirming(null)}
                            />
                          </span>
                        </td>
                      </tr>
                      {open === n.id && (
                        <tr>
                          <td colSpan={8} className="border-b border-slate-100 bg-slate-50 px-4 py-3">
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
          <ErrorBox error={del.error} />
        </Card>
        {q.data && q.data.length > 0 && <NodeDashboard nodes={q.data.map((n) => ({ id: n.id, name: n.name }))} />}
        <div className="flex max-w-4xl flex-col gap-4">
          <JoinNodeCard />
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
