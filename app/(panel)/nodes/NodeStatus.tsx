"use client";
import { useQuery } from "@tanstack/react-query";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";

/** Whether the panel reaches the node's engine now (engine.info), else the reason; re-checked every 10 s. */
export function NodeStatus({ nodeId, name }: { nodeId: string; name: string }) {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.nodes.info.queryOptions({ nodeId }), retry: false, refetchInterval: 10_000 });
  if (q.isPending)
    return (
      <span className="text-xs text-slate-500" data-testid={`node-status-${name}`}>
        checking…
      </span>
    );
  if (q.error) {
    return (
      <span className="text-xs text-red-700" data-testid={`node-status-${name}`}>
        <span className="font-semibold">unreachable</span>
        <span className="block max-w-md break-words">{errInfo(q.error)?.message}</span>
      </span>
    );
  }
  return (
    <span
      className="text-xs text-green-700"
      data-testid={`node-status-${name}`}
      title={`${q.data.hostname}, engine ${q.data.version}`}
    >
      <span className="font-semibold">reachable</span> · {q.data.hostname}
    </span>
  );
}
