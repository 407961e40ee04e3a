"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { InlineConfirm } from "../../_components/InlineConfirm.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { QueryView } from "../../_components/QueryView.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";
import { AddPoolForm } from "./AddPoolForm.js";
import { ScrollBox } from "../../_components/ScrollBox.js";

function Pools() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.pools.list.queryOptions());
  const [confirming, setConfirming] = useState<string | null>(null);
  const del = useMutation(
    trpc.pools.delete.mutationOptions({
      onSuccess: () => {
        setConfirming(null);
        void qc.invalidateQueries(trpc.pools.pathFilter());
      },
    }),
  );
  return (
    <>
      <PageHeader
        title="IP pools"
        subtitle="Addresses per node that containers get: venet pools are routed, veth pools belong to an engine network (bridge)."
      />
      <div className="flex flex-col gap-4">
        <Card>
          <ErrorBox error={del.error} />
          <QueryView
            q={q}
            empty="No IP pools yet: containers whose plan gives IP addresses cannot be created until a node has one. Add one below."
          >
            {(pools) => (
              <ScrollBox label="IP pools">
                <table className={table} aria-label="IP pools">
                  <thead>
                    <tr>
                      <th className={th}>Name</th>
                      <th className={th}>Node</th>
                      <th className={th}>Kind</th>
                      <th className={th}>Subnet</th>
                      <th className={th}>Range</th>
                      <th className={th}>Gateway</th>
                      <th className={`${th} text-right`}>Used</th>
                      <th className={th}>
                        <span className="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {pools.map((p) => (
                      <tr key={p.id} data-testid={`pool-${p.name}`}>
                        <td className={`${td} font-medium`}>{p.name}</td>
                        <td className={td}>{p.node.name}</td>
                        <td className={td}>
                          {p.kind}
                          {p.network && <span className="text-slate-500"> · network {p.network}</span>}
                        </td>
                        <td className={`${td} ${mono}`}>{p.cidr}</td>
                        <td className={`${td} ${mono}`}>
                          {p.total === null
                            ? "addresses outside every pool (vzctl --ipadd)"
                            : `${p.rangeStart} – ${p.rangeEnd}`}
                        </td>
                        <td className={`${td} ${mono}`}>{p.gateway ?? "—"}</td>
                        <td className={`${td} text-right tabular-nums whitespace-nowrap`}>
                          {p.total === null
                            ? p.used.toLocaleString()
                            : `${p.used.toLocaleString()} / ${p.total.toLocaleString()}`}
                        </td>
                        <td className={`${td} whitespace-nowrap text-right`}>
                          <InlineConfirm
                            open={confirming === p.id}
                            label="Delete"
                            confirmLabel="Confirm delete"
                            ariaLabel={`Delete pool ${p.name}`}
                            busy={del.isPending}
                            onOpen={() => (del.reset(), setConfirming(p.id))}
                            onConfirm={() => del.mutate({ poolId: p.id })}
                            onCancel={() => setConfirming(null)}
                          />
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </ScrollBox>
            )}
          </QueryView>
        </Card>
        <div className="max-w-3xl">
          <AddPoolForm />
        </div>
      </div>
    </>
  );
}

export default function PoolsPage() {
  return (
    <RequireRole roles={["admin"]}>
      <Pools />
    </RequireRole>
  );
}
