"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { QueryView } from "../../_components/QueryView.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { TextField } from "../../_components/TextField.js";
import { trafficBytes } from "../../_lib/format.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { table, td, th } from "../../_lib/ui.js";
import { ScrollBox } from "../../_components/ScrollBox.js";

function thisMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

function Traffic() {
  const me = useMe();
  const trpc = useTRPC();
  const [month, setMonth] = useState(thisMonth());
  const valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(month);
  const q = useQuery(
    trpc.traffic.tenant.queryOptions({ month: valid ? month : thisMonth() }, { refetchInterval: 60_000 }),
  );
  return (
    <>
      <PageHeader
        title="Traffic"
        subtitle={
          me.role === "admin"
            ? "Received + sent bytes of every tenant's containers in a month (UTC)."
            : "Received + sent bytes of your and your customers' containers in a month (UTC)."
        }
      />
      <div className="flex flex-col gap-4">
        <div className="max-w-xs">
          <TextField
            label="Month"
            type="month"
            value={month}
            onChange={setMonth}
            error={valid ? undefined : "a month like 2026-11"}
          />
        </div>
        <Card>
          <QueryView q={q} loading="Loading traffic">
            {(r) => {
              const max = Math.max(1, ...r.tenants.map((t) => t.totalBytes));
              const sum = r.tenants.reduce((a, t) => a + t.totalBytes, 0);
              return (
                <ScrollBox label="Traffic per tenant">
                  <table className={table} aria-label="Traffic per tenant">
                    <thead>
                      <tr>
                        <th className={th}>Tenant</th>
                        <th className={th}>Kind</th>
                        <th className={`${th} text-right`}>Containers</th>
                        <th className={`${th} text-right`}>Received</th>
                        <th className={`${th} text-right`}>Sent</th>
                        <th className={`${th} text-right`}>Total</th>
                        <th className={`${th} w-1/4`}>
                          <span className="sr-only">Share</span>
                        </th>
                      </tr>
                    </thead>
                    <tbody>
                      {r.tenants.map((t) => (
                        <tr key={t.tenantId} data-testid={`traffic-${t.name}`}>
                          <td className={`${td} font-medium`}>{t.name}</td>
                          <td className={td}>{t.kind}</td>
                          <td className={`${td} text-right tabular-nums`}>{t.containers}</td>
                          <td className={`${td} text-right tabular-nums`}>{trafficBytes(t.rxBytes)}</td>
                          <td className={`${td} text-right tabular-nums`}>{trafficBytes(t.txBytes)}</td>
                          <td className={`${td} text-right font-medium tabular-nums`}>{trafficBytes(t.totalBytes)}</td>
                          <td className={td}>
                            <div className="h-2 w-full rounded bg-slate-100" aria-hidden>
                              <div
                                className="h-2 rounded bg-blue-500"
                                style={{ width: `${(t.totalBytes / max) * 100}%` }}
                              />
                            </div>
                          </td>
                        </tr>
                      ))}
                    </tbody>
                    <tfoot>
                      <tr>
                        <td className={`${td} font-semibold`} colSpan={5}>
                          All of {r.month}
                        </td>
                        <td className={`${td} text-right font-semibold tabular-nums`}>{trafficBytes(sum)}</td>
                        <td className={td} />
                      </tr>
                    </tfoot>
                  </table>
                </ScrollBox>
              );
            }}
          </QueryView>
        </Card>
      </div>
    </>
  );
}

export default function TrafficPage() {
  return (
    <RequireRole roles={["admin", "reseller"]}>
      <Traffic />
    </RequireRole>
  );
}
