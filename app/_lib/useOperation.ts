"use client";
import { useQuery } from "@tanstack/react-query";
import { useRef } from "react";
import { liveOperationKey, useLive } from "./live.js";
import { pollEvery } from "./live-events.js";
import { useTRPCClient, type RouterOutputs } from "./trpc.js";

type OpGet = RouterOutputs["operations"]["get"];
export type OpLine = OpGet["lines"][number];
export type LiveOperation = Omit<OpGet, "lines"> & { lines: OpLine[] };

export function isActive(status: string | undefined): boolean {
  return status === "running" || status === "queued";
}

/**
 * Follows one operation while it runs: refetched on each of its events (LiveUpdates), or polled every ~700 ms
 * when the event stream is down, asking only for log lines after the last one seen
 * and appending them. Mount it keyed by the operation id (the accumulated log lives in a ref).
 */
export function useOperation(operationId: string | null) {
  const client = useTRPCClient();
  const live = useLive();
  const acc = useRef<{ id: string | null; after: number; lines: OpLine[] }>({ id: null, after: 0, lines: [] });
  return useQuery({
    queryKey: liveOperationKey(operationId),
    enabled: !!operationId,
    gcTime: 0,
    queryFn: async (): Promise<LiveOperation> => {
      const a = acc.current;
      if (a.id !== operationId) {
        a.id = operationId;
        a.after = 0;
        a.lines = [];
      }
      const op = await client.operations.get.query({ operationId: operationId!, afterLine: a.after });
      if (op.lines.length > 0) {
        a.lines = [...a.lines, ...op.lines.filter((l) => l.id > a.after)];
        a.after = a.lines[a.lines.length - 1]!.id;
      }
      return { ...op, lines: a.lines };
    },
    refetchInterval: (q) => (q.state.data && !isActive(q.state.data.status) ? false : pollEvery(live, 700)),
    refetchOnWindowFocus: false,
  });
}
