"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";
import { Card } from "../../../_components/Card.js";
import { QueryView } from "../../../_components/QueryView.js";
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

/** An x-axis label: the time of day (seconds only when the ticks are seconds apart), the date for days. */
function timeLabel(sec: number, incr: number): string {
  const d = new Date(sec * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  if (incr >= 86_400) return `${d.getMonth() + 1}/${d.getDate()}`;
  return incr >= 60
    ? `${two(d.getHours())}:${two(d.getMinutes())}`
    : `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

const rate = (v: number) => `${bytes(v)}/s`;
const pct = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} %`;

interface Line {
  label: string;
  color: string;
  values: (number | null)[];
  dash?: boolean;
}

/**
 * One time-series chart (uPlot): a heading, the canvas, and a text summary for screen readers. The
 * wrapper carries data-testid, data-points (how many samples) and data-max (the largest value of the
 * first series) for tests.
 */
function Chart({
  title,
  testId,
  t,
  lines,
  fmt,
  min,
}: {
  title: string;
  testId: string;
  t: number[];
  lines: Line[];
  fmt: (v: number) => string;
  min?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const headingId = useId();
  const first = lines[0]!.values.filter((v): v is number => v !== null);
  const max = first.length ? Math.max(...first) : 0;
  const last = first.length ? first[first.length - 1]! : 0;
  const key = lines.map((l) => l.label).join("|");

  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const data: uPlot.AlignedData = [t.map((x) => x / 1000), ...lines.map((l) => l.values)];
    if (plot.current) {
      plot.current.setData(data);
      return;
    }
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height: 160,
      scales: { y: { range: (_u, lo, hi) => [Math.min(min ?? 0, lo), hi > 0 ? hi * 1.1 : 1] } },
      axes: [
        { space: 70, values: (_u, ticks, _ax, _space, incr) => ticks.map((v) => timeLabel(v, incr)) },
        { values: (_u, ticks) => ticks.map((v) => fmt(v)), size: 70 },
      ],
      series: [
        {},
        ...lines.map((l) => ({
          label: l.label,
          stroke: l.color,
          width: 1.5,
          dash: l.dash ? [6, 4] : undefined,
          value: (_u: uPlot, v: number | null) => (v === null ? "–" : fmt(v)),
        })),
      ],
      legend: { show: true },
    };
    plot.current = new uPlot(opts, data, el);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [t, lines]);

  // a new set of series (another range keeps them; the limit line may come or go) → a new plot
  useEffect(
    () => () => {
      plot.current?.destroy();
      plot.current = null;
    },
    [key],
  );

  useEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => plot.current?.setSize({ width: Math.max(200, el.clientWidth), height: 160 }));
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  return (
    <section aria-labelledby={headingId} className="min-w-0">
      <h3 id={headingId} className="mb-1 text-sm font-semibold text-slate-700">
        {title}
      </h3>
      <div
        ref={box}
        data-testid={testId}
        data-points={t.length}
        data-max={max}
        className="w-full"
        role="img"
        aria-label={`${title}: ${t.length} samples, latest ${fmt(last)}, highest ${fmt(max)}`}
      />
    </section>
  );
}

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
              <Chart
                title={`CPU (% of one core${u.limits.cpus ? `; ${u.limits.cpus} vCPU = ${u.limits.cpus * 100} %` : ""})`}
                testId="usage-cpu"
                t={t}
                fmt={pct}
                lines={[{ label: "CPU", color: "#2563eb", values: col("cpuPct") }]}
              />
              <Chart
                title="RAM"
                testId="usage-ram"
                t={t}
                fmt={bytes}
                lines={[
                  { label: "RAM", color: "#16a34a", values: col("memBytes") },
                  { label: "swap", color: "#a855f7", values: col("swapBytes") },
                  ...(u.limits.ramBytes
                    ? [{ label: "limit", color: "#dc2626", dash: true, values: t.map(() => u.limits.ramBytes) }]
                    : []),
                ]}
              />
              <Chart
                title="Disk I/O"
                testId="usage-io"
                t={t}
                fmt={rate}
                lines={[
                  { label: "read", color: "#0891b2", values: col("ioReadBps") },
                  { label: "write", color: "#ea580c", values: col("ioWriteBps") },
                ]}
              />
              <Chart
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
