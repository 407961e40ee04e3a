"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../../_components/Card.js";
import { QueryView } from "../../../_components/QueryView.js";
import { TrafficBars } from "../../../_components/TrafficBars.js";
import { kbit, trafficBytes } from "../../../_lib/format.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";

/** The last 30 days (UTC) and this month's total against the plan's quota. */
export function TrafficCard({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.traffic.container.queryOptions(
      { containerId, days: 30 },
      // as often as the panel samples (no sooner than every 2 s); not at all when sampling is off
      {
        refetchInterval: (query) =>
          query.state.data
            ? query.state.data.intervalSec > 0
              ? Math.max(2, query.state.data.intervalSec) * 1000
              : false
            : 60_000,
        trpc: { context: SOLO },
      },
    ),
  );
  const every = q.data?.intervalSec;
  return (
    <Card
      title="Traffic"
      testId="traffic"
      actions={
        <span className="text-xs text-slate-500">
          UTC days ·{" "}
          {every === 0
            ? "not counted (sampling is off on this panel)"
            : every === undefined
              ? ""
              : `counted every ${every % 60 === 0 ? `${every / 60} min` : `${every} s`}`}
        </span>
      }
    >
      <QueryView q={q} loading="Loading traffic" lines={4}>
        {(t) => {
          const m = t.month;
          const pct = m.quotaBytes ? Math.min(100, (m.totalBytes / m.quotaBytes) * 100) : 0;
          return (
            <div className="flex flex-col gap-3">
              <TrafficBars days={t.days} label="Traffic of the last 30 days" />
              <div className="flex flex-col gap-1 text-sm">
                <p>
                  {m.month}:{" "}
                  <strong className="tabular-nums" data-testid="traffic-month-total">
                    {trafficBytes(m.totalBytes)}
                  </strong>{" "}
                  <span className="text-slate-500">
                    (received {trafficBytes(m.rxBytes)}, sent {trafficBytes(m.txBytes)})
                  </span>{" "}
                  {m.quotaBytes ? (
                    <>of {trafficBytes(m.quotaBytes)} quota</>
                  ) : (
                    <span className="text-slate-500">· no traffic quota</span>
                  )}
                  {m.throttled && (
                    <span
                      className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-inset ring-amber-600/20"
                      data-testid="traffic-throttled"
                    >
                      throttled to {kbit(m.throttleKbit)}
                    </span>
                  )}
                  {m.suspended && (
                    <span
                      className="ml-2 rounded-full bg-red-100 px-2 py-0.5 text-xs font-medium text-red-900 ring-1 ring-inset ring-red-600/20"
                      data-testid="traffic-suspended"
                    >
                      suspended over the quota
                    </span>
                  )}
                </p>
                {m.quotaBytes !== null && (
                  <div
                    className="h-2 w-full overflow-hidden rounded bg-slate-100"
                    role="progressbar"
                    aria-label="Traffic quota used"
                    aria-valuemin={0}
                    aria-valuemax={100}
                    aria-valuenow={Math.round(pct)}
                  >
                    <div
                      className={`h-full ${m.totalBytes > m.quotaBytes ? "bg-amber-500" : "bg-blue-500"}`}
                      style={{ width: `${pct}%` }}
                    />
                  </div>
                )}
                {m.quotaBytes !== null && (
                  <p className="text-xs text-slate-500">
                    {m.overage === "suspend"
                      ? "Over the quota the container is suspended (stopped) until the next month."
                      : `Over the quota the container is limited to ${kbit(m.throttleKbit)} until the next month.`}
                  </p>
                )}
              </div>
            </div>
          );
        }}
      </QueryView>
    </Card>
  );
}
