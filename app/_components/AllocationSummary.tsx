"use client";
import { useQuery } from "@tanstack/react-query";
import { mib } from "../_lib/format.js";
import { useTRPC } from "../_lib/trpc.js";

const ITEMS = [
  ["containers", "Containers", String],
  ["cpus", "vCPUs", String],
  ["ramMb", "RAM", mib],
  ["swapMb", "Swap", mib],
  ["diskMb", "Disk", mib],
  ["ipCount", "IPs", String],
] as const;

/** A reseller's allocation: used of allowed, per item. */
export function AllocationSummary({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.allocations.get.queryOptions({ tenantId }));
  if (!q.data) return null;
  const { allocation, used } = q.data;
  return (
    <div className="flex flex-wrap items-baseline gap-x-4 gap-y-1 rounded-lg border border-slate-200 bg-white px-4 py-2 text-xs shadow-sm">
      <span className="font-semibold text-slate-700">Your allocation</span>
      {!allocation ? (
        <span className="text-amber-800">
          none yet: ask the platform administrator to set one before selling containers.
        </span>
      ) : (
        ITEMS.map(([k, label, f]) => {
          const over = used[k] > allocation[k];
          return (
            <span
              key={k}
              className={`whitespace-nowrap tabular-nums ${over ? "font-semibold text-red-700" : "text-slate-600"}`}
            >
              {label} {f(used[k])} / {f(allocation[k])}
            </span>
          );
        })
      )}
    </div>
  );
}
