"use client";
import { useEffect, useId, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

/** An x-axis label: the time of day (seconds only when the ticks are seconds apart), the date for days. */
function timeLabel(sec: number, incr: number): string {
  const d = new Date(sec * 1000);
  const two = (n: number) => String(n).padStart(2, "0");
  if (incr >= 86_400) return `${d.getMonth() + 1}/${d.getDate()}`;
  return incr >= 60
    ? `${two(d.getHours())}:${two(d.getMinutes())}`
    : `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export interface Line {
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
export function TimeChart({
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
