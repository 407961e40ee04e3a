"use client";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useRef } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { bytes, when } from "../../../_lib/format.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";

/**
 * The end of the container's console output: what its init and boot scripts wrote to /dev/console (the
 * node keeps a bounded copy across restarts). Read when the tab opens and on Refresh.
 */
export function BootLogCard({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const q = useQuery(trpc.containers.bootLog.queryOptions({ containerId }, { trpc: { context: SOLO } }));
  const pre = useRef<HTMLPreElement>(null);
  useEffect(() => {
    const el = pre.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [q.data?.text]);
  return (
    <Card
      title="Boot log"
      testId="boot-log"
      actions={
        <Button variant="secondary" busy={q.isFetching} onClick={() => void q.refetch()}>
          Refresh
        </Button>
      }
    >
      {q.isPending ? (
        <Loading what="Reading the boot log from the node" lines={4} />
      ) : q.error ? (
        <ErrorBox error={q.error} />
      ) : !q.data.enabled && !q.data.text ? (
        <p className="text-sm text-slate-600" data-testid="boot-log-off">
          This container&apos;s node does not keep console output. An administrator can turn it on with
          OVZ_CONSOLE_LOG=on in the node&apos;s engine settings (containers started then have a boot log, but cannot be
          checkpointed or moved live).
        </p>
      ) : (
        <div className="flex flex-col gap-2">
          <pre
            ref={pre}
            aria-label="Boot log output"
            className="max-h-96 min-h-16 overflow-auto whitespace-pre-wrap break-all rounded-md bg-slate-900 p-2 font-mono text-xs leading-relaxed text-slate-100"
          >
            {q.data.text || "(nothing yet: the container has not written to its console since it was made)"}
          </pre>
          <p className="text-xs text-slate-500">
            {q.data.truncated ? `The last part of ${bytes(q.data.bytes)} kept` : `${bytes(q.data.bytes)} kept`} · read{" "}
            {when(q.data.readAt)}
          </p>
        </div>
      )}
    </Card>
  );
}
