"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../../_components/Button.js";
import { InlineConfirm } from "../../_components/InlineConfirm.js";
import { Empty } from "../../_components/Empty.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { showLimit } from "../../_lib/limits.js";
import { useTRPC } from "../../_lib/trpc.js";
import { table, td, th } from "../../_lib/ui.js";
import type { PlanRow } from "./types.js";
import { ScrollBox } from "../../_components/ScrollBox.js";

function summary(p: PlanRow): string {
  const l = p.limits;
  return [
    `RAM ${showLimit("ram", l.ram)}`,
    `swap ${showLimit("swap", l.swap)}`,
    `disk ${showLimit("diskspace", l.diskspace)}`,
    `vCPUs ${l.cpus || "all"}`,
    `CPU ${showLimit("cpulimit", l.cpulimit)}`,
    `${l.numproc} procs`,
  ].join(" · ");
}

export function PlansTable({
  plans,
  showOwner,
  onEdit,
  readOnly = false,
}: {
  plans: PlanRow[];
  showOwner: boolean;
  onEdit?: (p: PlanRow) => void;
  /** plans the viewer may use but not change (a reseller's view of the platform's plans) */
  readOnly?: boolean;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [confirming, setConfirming] = useState<string | null>(null);
  const del = useMutation(
    trpc.plans.delete.mutationOptions({
      onSuccess: () => {
        setConfirming(null);
        void qc.invalidateQueries(trpc.plans.pathFilter());
      },
    }),
  );
  if (plans.length === 0) return <Empty>{readOnly ? "No platform plans." : "No plans yet. Create one below."}</Empty>;
  return (
    <div className="flex flex-col gap-2">
      <ErrorBox error={del.error} />
      <ScrollBox label={readOnly ? "Platform plans" : "Plans"}>
        <table className={table} aria-label={readOnly ? "Platform plans" : "Plans"}>
          <thead>
            <tr>
              <th className={th}>Name</th>
              {showOwner && <th className={th}>Owner</th>}
              <th className={th}>Limits</th>
              <th className={`${th} text-right`}>Bandwidth</th>
              <th className={`${th} text-right`}>IPs</th>
              <th className={`${th} text-right`}>Traffic</th>
              <th className={th}>Templates</th>
              <th className={`${th} text-right`}>Containers</th>
              {!readOnly && (
                <th className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              )}
            </tr>
          </thead>
          <tbody>
            {plans.map((p) => (
              <tr key={p.id}>
                <td className={`${td} font-medium`}>{p.name}</td>
                {showOwner && <td className={td}>{p.owner.name}</td>}
                <td className={`${td} text-xs text-slate-600`}>{summary(p)}</td>
                <td className={`${td} text-right tabular-nums`}>
                  {p.bandwidthMbps ? `${p.bandwidthMbps} Mbit/s` : "—"}
                </td>
                <td className={`${td} text-right tabular-nums`}>{p.ipCount}</td>
                <td className={`${td} text-right tabular-nums whitespace-nowrap`}>
                  {p.trafficQuotaGb ? `${p.trafficQuotaGb} GB/month` : "—"}
                  {p.trafficQuotaGb > 0 && p.trafficOverage === "suspend" && (
                    <span className="block text-xs text-slate-600">then suspended</span>
                  )}
                </td>
                <td className={`${td} text-xs`}>{p.templates.join(", ")}</td>
                <td className={`${td} text-right tabular-nums`}>{p.containers}</td>
                {!readOnly && (
                  <td className={`${td} whitespace-nowrap text-right`}>
                    <span className="inline-flex gap-1">
                      <Button variant="secondary" className="px-2 py-0.5 text-xs" onClick={() => onEdit?.(p)}>
                        Edit
                      </Button>
                      <InlineConfirm
                        open={confirming === p.id}
                        label="Delete"
                        confirmLabel="Confirm delete"
                        ariaLabel={`Delete plan ${p.name}`}
                        busy={del.isPending}
                        onOpen={() => (del.reset(), setConfirming(p.id))}
                        onConfirm={() => del.mutate({ planId: p.id })}
                        onCancel={() => setConfirming(null)}
                      />
                    </span>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollBox>
    </div>
  );
}
