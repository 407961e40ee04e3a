"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Card } from "../../../_components/Card.js";
import { QueryView } from "../../../_components/QueryView.js";
import { TimeChart } from "../../../_components/TimeChart.js";
import { bytes } from "../../../_lib/format.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";

const RANGES = [
  ["1h", "1 hour"],
  ["24h", "24 hours"],
  ["7d", "7 days"],
  ["30d", "30 days"],
  ["1y", "1 year"],
] as const;
type Range = (typeof RANGES)[number][0];

const rate = (v: number) => `${bytes(v)}/s`;
const pct = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} %`;

/** Usage history of a container: CPU, RAM (with its limit), disk I/O and network, for a chosen range. */
export function UsageGraphs({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const [range, setRange] = useState<Range>("1h");
  const q = useQuery(
    trpc.usage.container.queryOptions(
      { containerId, range },
      // as often as the panel samples (no sooner than every 2 s); coarse ranges change slowly anyway
      {
        refetchInterval: (query) => {
          const s = query.state.data?.intervalSec;
          return s === undefined ? 30_000 : s > 0 ? Math.max(2, s) * 1000 : false;
        },
        trpc: { context: SOLO },
      },
    ),
  );
  const every = q.data?.intervalSec;
  return (
    <Card
      title="Usage history"
      testId="usage-graphs"
      actions={
        <div className="flex flex-wrap items-center gap-2">
          <span className="text-xs text-slate-500">
            {every === 0
              ? "not sampled (sampling is off on this panel)"
              : every === undefined
                ? ""
                : `sampled every ${every} s`}
          </span>
          <div
            role="group"
            aria-label="Time range"
            className="inline-flex overflow-hidden rounded border border-slate-300"
          >
            {RANGES.map(([r, label]) => (
              <button
                key={r}
                type="button"
                aria-pressed={range === r}
                aria-label={label}
                onClick={() => setRange(r)}
                className={`px-2 py-0.5 text-xs ${range === r ? "bg-slate-800 text-white" : "bg-white text-slate-700 hover:bg-slate-100"}`}
              >
                {r}
              </button>
            ))}
          </div>
        </div>
      }
    >
      <QueryView q={q} loading="Loading usage history" lines={6}>
        {(u) => {
          if (u.points.length === 0) {
            return (
              <p className="text-sm text-slate-600" data-testid="usage-empty">
                No usage recorded in the last {RANGES.find(([r]) => r === u.range)![1]}. The panel records usage while
                the container runs
                {u.intervalSec > 0
                  ? ` (every ${u.intervalSec} s; the first point appears after two samples)`
                  : " — but sampling is off on this panel (OVZ_USAGE_INTERVAL_SEC=0)"}
                .
              </p>
            );
          }
          const p = u.points;
          const t = p.map((x) => x.t);
          const col = <K extends keyof (typeof p)[number]>(k: K) => p.map((x) => x[k] as number | null);
          return (
            <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
              <TimeChart
                title={`CPU (% of one core${u.limits.cpus ? `; ${u.limits.cpus} vCPU = ${u.limits.cpus * 100} %` : ""})`}
                testId="usage-cpu"
                t={t}
                fmt={pct}
                lines={[{ label: "CPU", color: "#2563eb", values: col("cpuPct") }]}
              />
              <TimeChart
                title={u.limits.ramBytes ? `RAM (limit now ${bytes(u.limits.ramBytes)})` : "RAM"}
                testId="usage-ram"
                t={t}
                fmt={bytes}
                lines={[
                  { label: "RAM", color: "#16a34a", values: col("memBytes") },
                  { label: "swap", color: "#a855f7", values: col("swapBytes") },
                  // the limit in force at each point (a gap where it was unlimited or not recorded)
                  ...(p.some((x) => x.ramLimitBytes !== null)
                    ? [{ label: "limit", color: "#dc2626", dash: true, values: col("ramLimitBytes") }]
                    : []),
                ]}
              />
              <TimeChart
                title="Disk I/O"
                testId="usage-io"
                t={t}
                fmt={rate}
                lines={[
                  { label: "read", color: "#0891b2", values: col("ioReadBps") },
                  { label: "write", color: "#ea580c", values: col("ioWriteBps") },
                ]}
              />
              <TimeChart
                title="Network"
                testId="usage-net"
                t={t}
                fmt={rate}
                lines={[
                  { label: "received", color: "#0d9488", values: col("netRxBps") },
                  { label: "sent", color: "#d97706", values: col("netTxBps") },
                ]}
              />
              {p.at(-1)!.diskBytes !== null && (
                <p className="text-sm lg:col-span-2">
                  Disk space: <strong className="tabular-nums">{bytes(p.at(-1)!.diskBytes)}</strong>
                  {u.limits.diskBytes ? <> of {bytes(u.limits.diskBytes)}</> : null}
                </p>
              )}
            </div>
          );
        }}
      </QueryView>
    </Card>
  );
}
