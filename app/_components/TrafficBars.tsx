import { trafficBytes } from "../_lib/format.js";

export interface DayTraffic {
  day: string;
  rxBytes: number;
  txBytes: number;
}

const W = 640;
const H = 140;
const PAD_BOTTOM = 18;

/**
 * Daily traffic as stacked bars (received below, sent on top), inline SVG: no chart library. Each bar
 * has a <title> (tooltip, and what assistive tech reads), the chart a summary label.
 */
export function TrafficBars({ days, label }: { days: DayTraffic[]; label: string }) {
  const max = Math.max(1, ...days.map((d) => d.rxBytes + d.txBytes));
  const slot = W / Math.max(1, days.length);
  const bar = Math.max(2, slot * 0.7);
  const scale = (v: number) => (v / max) * (H - PAD_BOTTOM - 4);
  const total = days.reduce((a, d) => a + d.rxBytes + d.txBytes, 0);
  return (
    <figure className="flex flex-col gap-1">
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className="h-36 w-full"
        role="img"
        aria-label={`${label}: ${trafficBytes(total)} in ${days.length} days, at most ${trafficBytes(max)} a day`}
        data-testid="traffic-bars"
      >
        <line x1={0} x2={W} y1={H - PAD_BOTTOM} y2={H - PAD_BOTTOM} className="stroke-slate-300" strokeWidth={1} />
        {days.map((d, i) => {
          const x = i * slot + (slot - bar) / 2;
          const rx = scale(d.rxBytes);
          const tx = scale(d.txBytes);
          const base = H - PAD_BOTTOM;
          return (
            <g key={d.day} data-day={d.day}>
              <title>{`${d.day}: received ${trafficBytes(d.rxBytes)}, sent ${trafficBytes(d.txBytes)}`}</title>
              <rect x={x} y={base - rx} width={bar} height={rx} className="fill-blue-500" />
              <rect x={x} y={base - rx - tx} width={bar} height={tx} className="fill-emerald-500" />
              {(days.length - 1 - i) % 7 === 0 && (
                <text
                  x={i === days.length - 1 ? x + bar : i === 0 ? x : x + bar / 2}
                  y={H - 4}
                  textAnchor={i === days.length - 1 ? "end" : i === 0 ? "start" : "middle"}
                  className="fill-slate-500"
                  fontSize={10}
                >
                  {d.day.slice(5)}
                </text>
              )}
            </g>
          );
        })}
      </svg>
      <figcaption className="flex gap-4 text-xs text-slate-500">
        <span className="inline-flex items-center gap-1">
          <span aria-hidden className="inline-block h-2 w-2 rounded-sm bg-blue-500" /> received
        </span>
        <span className="inline-flex items-center gap-1">
          <span aria-hidden className="inline-block h-2 w-2 rounded-sm bg-emerald-500" /> sent
        </span>
        <span>highest day: {trafficBytes(max === 1 && total === 0 ? 0 : max)}</span>
      </figcaption>
    </figure>
  );
}
