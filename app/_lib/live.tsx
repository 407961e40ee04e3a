"use client";
/**
 * One EventSource per tab (GET /api/events) for the logged-in pages: each event makes the matching React Query
 * queries stale (coalesced over a short window), so pages refetch through tRPC. While the stream is open,
 * useLive() is true and the operation and container queries poll only as a slow safety net (pollEvery); when
 * it fails they poll as before, and the stream reconnects with backoff. On (re)connect every such query is
 * refetched once, for what happened while the stream was down. The <html> element carries data-live
 * ("open" or "polling"), which the e2e story reads.
 */
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { backoffMs, parseEvent, staleBy, type Stale } from "./live-events.js";
import { useTRPC } from "./trpc.js";

const LiveContext = createContext(false);

/** Whether the tab's event stream is connected (false outside LiveUpdates). */
export function useLive(): boolean {
  return useContext(LiveContext);
}

/** The query key of one live operation (useOperation); shared so that events can find it. */
export const liveOperationKey = (operationId: string | null) => ["ovz-live-operation", operationId] as const;

/** Events are gathered this long before the queries they touch refetch: a burst of log lines is one refetch. */
const COALESCE_MS = 200;

type Trpc = ReturnType<typeof useTRPC>;

function invalidate(qc: QueryClient, trpc: Trpc, stale: Iterable<string>): void {
  for (const s of stale) {
    const st = JSON.parse(s) as Stale;
    if (st.what === "operation") void qc.invalidateQueries({ queryKey: liveOperationKey(st.operationId) });
    else if (st.what === "operations") void qc.invalidateQueries(trpc.operations.pathFilter());
    else if (st.what === "containers") void qc.invalidateQueries(trpc.containers.pathFilter());
    else void qc.invalidateQueries(trpc.backups.pathFilter());
  }
}

function catchUp(qc: QueryClient, trpc: Trpc): void {
  void qc.invalidateQueries({ queryKey: ["ovz-live-operation"] });
  for (const f of [trpc.operations.pathFilter(), trpc.containers.pathFilter(), trpc.backups.pathFilter()])
    void qc.invalidateQueries(f);
}

export function LiveUpdates({ children }: { children: ReactNode }) {
  const qc = useQueryClient();
  const trpc = useTRPC();
  const [live, setLive] = useState(false);

  useEffect(() => {
    if (typeof EventSource === "undefined") return; // polling only
    let es: EventSource | null = null;
    let attempt = 0;
    let everOpen = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let flush: ReturnType<typeof setTimeout> | undefined;
    const pending = new Set<string>();
    const mark = (open: boolean) => {
      setLive(open);
      document.documentElement.dataset.live = open ? "open" : "polling";
    };
    const down = () => {
      es?.close();
      es = null;
      mark(false);
      retry = setTimeout(connect, backoffMs(attempt++));
    };
    function connect() {
      es = new EventSource("/api/events");
      es.onopen = () => {
        attempt = 0;
        if (everOpen) catchUp(qc, trpc);
        everOpen = true;
        mark(true);
      };
      es.onmessage = (m: MessageEvent<string>) => {
        const e = parseEvent(m.data);
        if (!e) return;
        for (const s of staleBy(e)) pending.add(JSON.stringify(s));
        flush ??= setTimeout(() => {
          flush = undefined;
          const batch = [...pending];
          pending.clear();
          invalidate(qc, trpc, batch);
        }, COALESCE_MS);
      };
      es.addEventListener("end", down); // the session ended: the next attempt gets 401 and backs off
      es.onerror = down; // the browser's own reconnect is replaced by ours, with backoff
    }
    connect();
    return () => {
      clearTimeout(retry);
      clearTimeout(flush);
      es?.close();
      delete document.documentElement.dataset.live;
    };
  }, [qc, trpc]);

  return <LiveContext.Provider value={live}>{children}</LiveContext.Provider>;
}
