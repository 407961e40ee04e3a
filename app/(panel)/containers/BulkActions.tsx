"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Button } from "../../_components/Button.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { useTRPC } from "../../_lib/trpc.js";

/** Admin: start or stop the selected containers (one operation each); a summary of what started and what not. */
export function BulkActions({ selected, onDone }: { selected: Set<string>; onDone: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const run = useMutation(
    trpc.containers.bulkAction.mutationOptions({
      onSuccess: () => {
        onDone();
        void qc.invalidateQueries(trpc.containers.table.queryFilter());
        void qc.invalidateQueries(trpc.operations.pathFilter());
      },
    }),
  );
  const n = selected.size;
  const go = (action: "start" | "stop") => run.mutate({ containerIds: [...selected], action });
  const r = run.data;
  return (
    <div className="flex flex-col items-end gap-2">
      <div className="flex flex-wrap items-center gap-2">
        <span className="text-sm text-slate-600">{n} selected</span>
        <Button
          variant="secondary"
          disabled={n === 0}
          busy={run.isPending && run.variables?.action === "start"}
          onClick={() => go("start")}
        >
          Start selected
        </Button>
        <Button
          variant="secondary"
          disabled={n === 0}
          busy={run.isPending && run.variables?.action === "stop"}
          onClick={() => go("stop")}
        >
          Stop selected
        </Button>
      </div>
      <ErrorBox error={run.error} />
      {r && (
        <div
          role="status"
          data-testid="bulk-summary"
          className="max-w-xl rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm"
        >
          <p className="font-medium">
            {r.action === "start" ? "Start" : "Stop"}: {r.started} started, {r.refused} refused.
          </p>
          {r.results.some((x) => x.error) && (
            <ul className="mt-1 list-disc pl-5 text-slate-700">
              {r.results
                .filter((x) => x.error)
                .map((x) => (
                  <li key={x.containerId}>{x.error}</li>
                ))}
            </ul>
          )}
        </div>
      )}
    </div>
  );
}
