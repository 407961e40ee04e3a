"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { InlineConfirm } from "../../_components/InlineConfirm.js";
import { Notice } from "../../_components/Notice.js";
import { OperationPanel } from "../../_components/OperationPanel.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { bytes, when } from "../../_lib/format.js";
import { useMakesContainers } from "../../_lib/self-service.js";
import { useTRPC } from "../../_lib/trpc.js";
import { link } from "../../_lib/ui.js";

/** Every backup the caller may see, destroyed containers' included: restore one as a new container, download. */
export default function BackupsPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  // making a container (restore as new): sellers, and customers of a self-service plan (within its quota)
  const canCreate = useMakesContainers();
  const list = useQuery(trpc.backups.all.queryOptions());
  const [op, setOp] = useState<{ id: string; containerId: string | null } | null>(null);
  const [deleting, setDeleting] = useState<string | null>(null);
  const del = useMutation(
    trpc.backups.delete.mutationOptions({
      onSuccess: () => (setDeleting(null), void qc.invalidateQueries(trpc.backups.pathFilter())),
    }),
  );
  const restoreNew = useMutation(
    trpc.backups.restoreAsNew.mutationOptions({
      onSuccess: (o) => setOp({ id: o.id, containerId: o.containerId ?? null }),
    }),
  );
  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title="Backups"
        subtitle="Full backups of your containers; they stay after a container is destroyed."
      />
      {op && (
        <>
          <OperationPanel
            operationId={op.id}
            onFinished={() => void qc.invalidateQueries(trpc.containers.pathFilter())}
          />
          {op.containerId && (
            <Notice>
              New container:{" "}
              <a className={link} href={`/containers/${op.containerId}`} data-testid="restored-container-link">
                open it
              </a>
            </Notice>
          )}
        </>
      )}
      <ErrorBox error={list.error ?? restoreNew.error ?? del.error} />
      <Card>
        {(list.data ?? []).length === 0 ? (
          <p className="text-sm text-slate-500">No backups.</p>
        ) : (
          <table className="w-full text-sm">
            <thead className="text-left text-xs text-slate-500">
              <tr>
                <th>Backup</th>
                <th>Container</th>
                <th>Made</th>
                <th>Size</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.data!.map((b) => (
                <tr key={b.id} data-testid={`backup-${b.engineId}`} className="border-t border-slate-100">
                  <td className="py-1 font-mono text-xs">{b.engineId}</td>
                  <td>
                    {b.ctid} ({b.hostname}){b.containerId ? "" : " — destroyed"}
                  </td>
                  <td>{when(b.createdAt)}</td>
                  <td>{bytes(b.sizeBytes)}</td>
                  <td className="flex justify-end gap-2 py-1">
                    <a className={`${link} text-xs`} href={`/api/backups/${b.id}/download`} download>
                      Download
                    </a>
                    {canCreate && (
                      <Button
                        variant="secondary"
                        className="px-2 py-0.5 text-xs"
                        busy={restoreNew.isPending && restoreNew.variables?.backupId === b.id}
                        onClick={() => restoreNew.mutate({ backupId: b.id })}
                      >
                        Restore as new container
                      </Button>
                    )}
                    <InlineConfirm
                      open={deleting === b.id}
                      label="Delete"
                      confirmLabel="Delete backup"
                      ariaLabel={`Delete backup ${b.engineId}`}
                      busy={del.isPending}
                      onOpen={() => setDeleting(b.id)}
                      onConfirm={() => del.mutate({ backupId: b.id })}
                      onCancel={() => setDeleting(null)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </div>
  );
}
