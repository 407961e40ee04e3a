"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { InlineConfirm } from "../../../_components/InlineConfirm.js";
import { Loading } from "../../../_components/Loading.js";
import { Notice } from "../../../_components/Notice.js";
import { bytes, when } from "../../../_lib/format.js";
import { useMakesContainers } from "../../../_lib/self-service.js";
import { useLive } from "../../../_lib/live.js";
import { pollEvery } from "../../../_lib/live-events.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import { link } from "../../../_lib/ui.js";
import type { StartedOp } from "./types.js";

/**
 * Full backups of this container: make one (an operation, its progress in the panel above), restore it
 * here (container stopped) or as a new container, download, delete. Backups of destroyed containers are
 * on the Backups page.
 */
export function BackupsCard({
  containerId,
  state,
  busy,
  onStarted,
}: {
  containerId: string;
  state: string;
  busy: boolean;
  onStarted: (op: StartedOp) => void;
}) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const live = useLive();
  // making a container (restore as new): sellers, and customers of a self-service plan (within its quota)
  const canCreate = useMakesContainers();
  const list = useQuery(
    trpc.backups.list.queryOptions(
      { containerId },
      { refetchInterval: busy ? pollEvery(live, 3000) : false, trpc: { context: SOLO } },
    ),
  );
  const [confirming, setConfirming] = useState<{ id: string; action: "restore" | "delete" } | null>(null);
  const [asNew, setAsNew] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries(trpc.backups.pathFilter());
  // an operation of this container (backup, restore) just ended: its backup row exists now
  const wasBusy = useRef(busy);
  useEffect(() => {
    if (wasBusy.current && !busy) void qc.invalidateQueries(trpc.backups.pathFilter());
    wasBusy.current = busy;
  }, [busy, qc, trpc]);
  const create = useMutation(trpc.backups.create.mutationOptions({ onSuccess: (op) => (onStarted(op), refresh()) }));
  const restore = useMutation(
    trpc.backups.restore.mutationOptions({ onSuccess: (op) => (setConfirming(null), onStarted(op)) }),
  );
  const restoreNew = useMutation(
    trpc.backups.restoreAsNew.mutationOptions({
      onSuccess: (op) => (setConfirming(null), setAsNew(op.containerId ?? null), refresh()),
    }),
  );
  const del = useMutation(trpc.backups.delete.mutationOptions({ onSuccess: () => (setConfirming(null), refresh()) }));
  const rows = list.data?.backups ?? [];
  // one change at a time: an operation on the container, or a backup change still on its way
  const blocked = busy || create.isPending || restore.isPending || del.isPending;
  return (
    <Card title="Backups" testId="backups-card">
      <div className="mb-3 flex items-center gap-3">
        <Button onClick={() => create.mutate({ containerId })} busy={create.isPending} disabled={blocked}>
          Back up now
        </Button>
        <span className="text-xs text-slate-500">
          {list.data && `${rows.length} of ${list.data.max} backups allowed by the plan. `}Restoring here needs the
          container stopped.
        </span>
      </div>
      <ErrorBox error={list.error ?? create.error ?? restore.error ?? restoreNew.error ?? del.error} />
      {asNew && (
        <Notice>
          Restoring as a new container:{" "}
          <a className={link} href={`/containers/${asNew}`} data-testid="restored-container-link">
            open it
          </a>
        </Notice>
      )}
      {list.isPending ? (
        <Loading what="Loading backups" lines={3} />
      ) : list.error ? null : rows.length === 0 ? (
        <p className="text-sm text-slate-500">No backups.</p>
      ) : (
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-slate-500">
            <tr>
              <th>Backup</th>
              <th>Made</th>
              <th>Size</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((b) => (
              <tr key={b.id} data-testid={`backup-${b.engineId}`} className="border-t border-slate-100">
                <td className="py-1 font-mono text-xs">{b.engineId}</td>
                <td>{when(b.createdAt)}</td>
                <td>{bytes(b.sizeBytes)}</td>
                <td className="flex flex-wrap justify-end gap-2 py-1">
                  <a className={`${link} text-xs`} href={`/api/backups/${b.id}/download`} download>
                    Download
                  </a>
                  <InlineConfirm
                    open={confirming?.id === b.id && confirming.action === "restore"}
                    label="Restore here"
                    confirmLabel="Replace this container's files"
                    busy={restore.isPending}
                    disabled={blocked && !restore.isPending}
                    onOpen={() => setConfirming({ id: b.id, action: "restore" })}
                    onConfirm={() => restore.mutate({ containerId, backupId: b.id })}
                    onCancel={() => setConfirming(null)}
                  />
                  {canCreate && (
                    <Button
                      variant="secondary"
                      className="px-2 py-0.5 text-xs"
                      busy={restoreNew.isPending}
                      onClick={() => restoreNew.mutate({ backupId: b.id })}
                    >
                      Restore as new container
                    </Button>
                  )}
                  <InlineConfirm
                    open={confirming?.id === b.id && confirming.action === "delete"}
                    label="Delete"
                    confirmLabel="Delete backup"
                    busy={del.isPending}
                    disabled={blocked && !del.isPending}
                    onOpen={() => setConfirming({ id: b.id, action: "delete" })}
                    onConfirm={() => del.mutate({ backupId: b.id })}
                    onCancel={() => setConfirming(null)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {state !== "stopped" && (
        <p className="mt-2 text-xs text-slate-500">Stop the container to restore a backup over it.</p>
      )}
    </Card>
  );
}
