"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Card } from "../../_components/Card.js";
import { QueryView } from "../../_components/QueryView.js";
import { SelectField } from "../../_components/SelectField.js";
import { TimeChart } from "../../_components/TimeChart.js";
import { bytes } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { SOLO } from "../../_lib/trpc-link.js";

const RANGES = [
  [1, "1h", "1 hour"],
  [24, "24h", "24 hours"],
  [168, "7d", "7 days"],
] as const;

const pct = (v: number) => `${v.toFixed(v < 10 ? 1 : 0)} %`;

/** A used/total bar with its numbers: an ARIA meter, red from 90 %. */
function Meter({
  label,
  used,
  total,
  fmt,
}: {
  label: string;
  used: number;
  total: number;
  fmt: (v: number) => string;
}) {
  const share = total > 0 ? Math.min(100, Math.round((used / total) * 100)) : 0;
  return (
    <div className="flex min-w-0 flex-col gap-1">
      <div className="flex justify-between gap-2 text-sm">
        <span className="text-slate-600">{label}</span>
        <span className="tabular-nums">
          {fmt(used)} of {fmt(total)}
        </span>
      </div>
      <div
        role="meter"
        aria-label={`${label} used`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={share}
        aria-valuetext={`${share} % (${fmt(used)} of ${fmt(total)})`}
        className="h-2 w-full overflow-hidden rounded-full bg-slate-200"
      >
        <div className={`h-full ${share >= 90 ? "bg-red-600" : "bg-blue-600"}`} style={{ width: `${share}%` }} />
      </div>
    </div>
  );
}

function Stat({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="flex flex-col">
      <span className="text-xs text-slate-600">{label}</span>
      <span className="text-lg font-semibold tabular-nums" data-testid={testId}>
        {value}
      </span>
    </div>
  );
}

/**
 * Admins: each node's load now (CPU, load average, memory, pool, containers) and its history (sampled once a
 * minute by the panel, kept 30 days: server/services/node-stats.ts).
 */
export function NodeDashboard({ nodes }: { nodes: { id: string; name: string }[] }) {
  const trpc = useTRPC();
  const [nodeId, setNodeId] = useState(nodes[0]?.id ?? "");
  const [hours, setHours] = useState<number>(24);
  const node = nodes.find((n) => n.id === nodeId) ?? nodes[0];
  const q = useQuery({
    ...trpc.nodes.stats.queryOptions(
      { nodeId: node?.id ?? "", hours },
      { refetchInterval: 30_000, trpc: { context: SOLO } },
    ),
    enabled: Boolean(node),
  });
  if (!node) return null;
  return (
    <Card
      title="Node dashboard"
      testId="node-dashboard"
      actions={
        <div className="flex flex-wrap items-end gap-2">
          {nodes.length > 1 && (
            <SelectField
              label="Node"
              value={node.id}
              onChange={setNodeId}
              options={nodes.map((n) => ({ value: n.id, label: n.name }))}
            />
          )}
          <div
            role="group"
            aria-label="Time range"
            className="inline-flex overflow-hidden rounded border border-slate-300"
          >
            {RANGES.map(([h, short, label]) => (
              <button
                key={h}
                type="button"
                aria-pressed={hours === h}
                aria-label={label}
                onClick={() => setHours(h)}
                className={`px-2 py-0.5 text-xs ${hours === h ? "bg-slate-800 text-white" : "bg-white text-slate-700 hover:bg-slate-100"}`}
              >
                {short}
              </button>
            ))}
          </div>
        </div>
      }
    >
      <QueryView q={q} loading={`Asking node ${node.name}`} lines={4}>
        {({ current: c, history }) => {
          const t = history.map((h) => h.at);
          const used = c.memory.totalBytes - c.memory.availableBytes;
          return (
            <div className="flex flex-col gap-4">
              <div className="grid grid-cols-2 gap-4 sm:grid-cols-4">
                <Stat
                  label={`CPU (${c.cpus} CPUs)`}
                  value={c.cpuPct === null ? "–" : pct(c.cpuPct)}
                  testId="node-cpu"
                />
                <Stat
                  label="Load (1, 5, 15 min)"
                  value={c.load.map((l) => l.toFixed(2)).join(" ")}
                  testId="node-load"
                />
                <Stat
                  label="Containers running"
                  value={`${c.containers.running} of ${c.containers.total}`}
                  testId="node-containers"
                />
                <Stat
                  label="Up for"
                  value={`${Math.floor(c.uptimeSec / 86_400)} d ${Math.floor((c.uptimeSec % 86_400) / 3600)} h`}
                  testId="node-uptime"
                />
              </div>
              <div className="grid grid-cols-1 gap-4 md:grid-cols-3">
                <Meter label="Memory" used={used} total={c.memory.totalBytes} fmt={bytes} />
                <Meter label="Swap" used={c.swap.totalBytes - c.swap.freeBytes} total={c.swap.totalBytes} fmt={bytes} />
                <Meter label="Pool" used={c.pool.totalBytes - c.pool.freeBytes} total={c.pool.totalBytes} fmt={bytes} />
              </div>
              {history.length < 2 ? (
                <p className="text-sm text-slate-600" data-testid="node-history-empty">
                  The panel records this node&apos;s load once a minute; the graphs appear after two samples.
                </p>
              ) : (
                <div className="grid grid-cols-1 gap-4 lg:grid-cols-3">
                  <TimeChart
                    title="CPU (% of all CPUs)"
                    testId="node-chart-cpu"
                    t={t}
                    fmt={pct}
                    lines={[{ label: "CPU", color: "#2563eb", values: history.map((h) => h.cpuPct) }]}
                  />
                  <TimeChart
                    title="Memory"
                    testId="node-chart-memory"
                    t={t}
                    fmt={bytes}
                    lines={[
                      { label: "used", color: "#16a34a", values: history.map((h) => h.memUsedBytes) },
                      { label: "total", color: "#dc2626", dash: true, values: history.map((h) => h.memTotalBytes) },
                    ]}
                  />
                  <TimeChart
                    title="Containers"
                    testId="node-chart-containers"
                    t={t}
                    fmt={(v) => String(Math.round(v))}
                    lines={[
                      { label: "running", color: "#0891b2", values: history.map((h) => h.running) },
                      { label: "all", color: "#64748b", values: history.map((h) => h.containers) },
                    ]}
                  />
                </div>
              )}
            </div>
          );
        }}
      </QueryView>
    </Card>
  );
}
