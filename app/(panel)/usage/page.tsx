"use client";
import { useQuery } from "@tanstack/react-query";
import { Fragment, useState } from "react";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { QueryView } from "../../_components/QueryView.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { TextField } from "../../_components/TextField.js";
import { bytes, trafficBytes } from "../../_lib/format.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { table, td, th } from "../../_lib/ui.js";
import { ScrollBox } from "../../_components/ScrollBox.js";

function thisMonth(): string {
  return new Date().toISOString().slice(0, 7);
}

const coreHours = (h: number) => (h < 0.01 && h > 0 ? "< 0.01" : h.toFixed(2));
const num = `${td} text-right tabular-nums whitespace-nowrap`;

interface Totals {
  cpuCoreHours: number;
  ramAvgBytes: number;
  ramPeakBytes: number;
  diskAvgBytes: number;
  ioReadBytes: number;
  ioWriteBytes: number;
  netRxBytes: number;
  netTxBytes: number;
}

function Cells({ t }: { t: Totals }) {
  return (
    <>
      <td className={num}>{coreHours(t.cpuCoreHours)}</td>
      <td className={num}>{bytes(t.ramAvgBytes)}</td>
      <td className={num}>{bytes(t.ramPeakBytes)}</td>
      <td className={num}>{bytes(t.diskAvgBytes)}</td>
      <td className={num}>{trafficBytes(t.ioReadBytes + t.ioWriteBytes)}</td>
      <td className={num}>{trafficBytes(t.netRxBytes + t.netTxBytes)}</td>
    </>
  );
}

function Usage() {
  const me = useMe();
  const trpc = useTRPC();
  const [month, setMonth] = useState(thisMonth());
  const [open, setOpen] = useState<string | null>(null);
  const valid = /^\d{4}-(0[1-9]|1[0-2])$/.test(month);
  const q = useQuery(
    trpc.usage.tenants.queryOptions({ month: valid ? month : thisMonth() }, { refetchInterval: 60_000 }),
  );
  return (
    <>
      <PageHeader
        title="Usage"
        subtitle={`${me.role === "admin" ? "Every tenant's" : "Your and your customers'"} containers in a month (UTC), from hourly averages: CPU in core-hours, RAM and disk averaged over the month (peak = highest hour), disk I/O and network in bytes. Billing systems read the same numbers with an API token (usage.tenants).`}
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
          <QueryView q={q} loading="Loading usage">
            {(r) => (
              <ScrollBox label="Usage per tenant">
                <table className={table} aria-label="Usage per tenant">
                  <thead>
                    <tr>
                      <th className={th}>Tenant</th>
                      <th className={th}>Kind</th>
                      <th className={`${th} text-right`}>Containers</th>
                      <th className={`${th} text-right`}>CPU (core-h)</th>
                      <th className={`${th} text-right`}>RAM avg</th>
                      <th className={`${th} text-right`}>RAM peak</th>
                      <th className={`${th} text-right`}>Disk avg</th>
                      <th className={`${th} text-right`}>Disk I/O</th>
                      <th className={`${th} text-right`}>Network</th>
                    </tr>
                  </thead>
                  <tbody>
                    {r.tenants.map((t) => (
                      <Fragment key={t.tenantId}>
                        <tr data-testid={`usage-${t.name}`}>
                          <td className={`${td} font-medium`}>
                            {t.days.length > 0 ? (
                              <button
                                type="button"
                                className="text-left hover:underline"
                                aria-expanded={open === t.tenantId}
                                onClick={() => setOpen(open === t.tenantId ? null : t.tenantId)}
                              >
                                {t.name}{" "}
                                <span className="text-xs text-slate-500">
                                  ({t.days.length} day{t.days.length === 1 ? "" : "s"})
                                </span>
                              </button>
                            ) : (
                              t.name
                            )}
                          </td>
                          <td className={td}>{t.kind}</td>
                          <td className={num}>{t.containers}</td>
                          <Cells t={t.month} />
                        </tr>
                        {open === t.tenantId &&
                          t.days.map((d) => (
                            <tr key={d.day} className="bg-slate-50 text-xs" data-testid={`usage-${t.name}-${d.day}`}>
                              <td className={`${td} pl-8`} colSpan={3}>
                                {d.day}
                              </td>
                              <Cells t={d} />
                            </tr>
                          ))}
                      </Fragment>
                    ))}
                  </tbody>
                </table>
                {r.tenants.every((t) => t.days.length === 0) && (
                  <p className="mt-3 text-sm text-slate-600">
                    No usage recorded in {r.month} yet: the panel records it while containers run.
                  </p>
                )}
              </ScrollBox>
            )}
          </QueryView>
        </Card>
      </div>
    </>
  );
}

export default function UsagePage() {
  return (
    <RequireRole roles={["admin", "reseller"]}>
      <Usage />
    </RequireRole>
  );
}
