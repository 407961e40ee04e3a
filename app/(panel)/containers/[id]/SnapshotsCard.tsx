"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { InlineConfirm } from "../../../_components/InlineConfirm.js";
import { Loading } from "../../../_components/Loading.js";
import { Notice } from "../../../_components/Notice.js";
import { TextField } from "../../../_components/TextField.js";
import { bytes, when } from "../../../_lib/format.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";

/** Take (instant, CoW), list, roll back (the container is stopped and started around it), delete. */
export function SnapshotsCard({ containerId, busy }: { containerId: string; busy: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.snapshots.list.queryOptions({ containerId }, { trpc: { context: SOLO } }));
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [confirming, setConfirming] = useState<{ name: string; action: "rollback" | "delete" } | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const refresh = () => {
    void qc.invalidateQueries(trpc.snapshots.list.queryFilter({ containerId }));
    void qc.invalidateQueries(trpc.containers.get.queryFilter({ containerId }));
  };
  const create = useMutation(
    trpc.snapshots.create.mutationOptions({
      onSuccess: (s) => (setName(""), setDescription(""), setDone(`Snapshot "${s.name}" taken.`), refresh()),
    }),
  );
  const rollback = useMutation(
    trpc.snapshots.rollback.mutationOptions({
      onSuccess: (_r, v) => (setConfirming(null), setDone(`Rolled back to "${v.name}".`), refresh()),
    }),
  );
  const del = useMutation(
    trpc.snapshots.delete.mutationOptions({
      onSuccess: (_r, v) => (setConfirming(null), setDone(`Snapshot "${v.name}" deleted.`), refresh()),
    }),
  );
  const fields = errInfo(create.error)?.fields;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    create.mutate({ containerId, ...(name ? { name } : {}), ...(description ? { description } : {}) });
  };
  const snaps = list.data?.snapshots ?? [];
  // one change at a time: an operation on the container, or a snapshot change still on its way
  const blocked = busy || create.isPending || rollback.isPending || del.isPending;
  return (
    <Card title="Snapshots" testId="snapshots-card">
      <form onSubmit={submit} noValidate className="mb-3 flex flex-wrap items-end gap-2">
        <TextField label="Name (optional)" value={name} onChange={setName} error={fields?.name} wrapClassName="w-48" />
        <TextField
          label="Description (optional)"
          value={description}
          onChange={setDescription}
          error={fields?.description}
          wrapClassName="min-w-64 flex-1"
        />
        <Button type="submit" busy={create.isPending} disabled={blocked}>
          Take snapshot
        </Button>
      </form>
      <ErrorBox error={list.error ?? create.error ?? rollback.error ?? del.error} />
      {done && <Notice>{done}</Notice>}
      <p className="mb-2 text-xs text-slate-500">
        {list.data && `${snaps.length} of ${list.data.max} snapshots allowed by the plan. `}A roll back replaces the
        whole root filesystem; a running container is stopped and started again.
      </p>
      {list.isPending ? (
        <Loading what="Loading snapshots" lines={3} />
      ) : list.error ? null : snaps.length === 0 ? (
        <p className="text-sm text-slate-500">No snapshots.</p>
      ) : (
        <table className="w-full text-sm">
          <thead className="text-left text-xs text-slate-500">
            <tr>
              <th>Name</th>
              <th>Description</th>
              <th>Taken</th>
              <th>Size</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {snaps.map((s) => (
              <tr key={s.name} data-testid={`snapshot-${s.name}`} className="border-t border-slate-100">
                <td className="py-1 font-mono">{s.name}</td>
                <td>{s.description}</td>
                <td>{when(s.createdAt)}</td>
                <td>{s.sizeBytes === null ? "—" : bytes(s.sizeBytes)}</td>
                <td className="flex justify-end gap-2 py-1">
                  <InlineConfirm
                    open={confirming?.name === s.name && confirming.action === "rollback"}
                    label="Roll back"
                    confirmLabel={`Roll back to ${s.name}`}
                    ariaLabel={`Roll back to snapshot ${s.name}`}
                    busy={rollback.isPending}
                    disabled={blocked && !rollback.isPending}
                    onOpen={() => (setDone(null), setConfirming({ name: s.name, action: "rollback" }))}
                    onConfirm={() => rollback.mutate({ containerId, name: s.name })}
                    onCancel={() => setConfirming(null)}
                  />
                  <InlineConfirm
                    open={confirming?.name === s.name && confirming.action === "delete"}
                    label="Delete"
                    confirmLabel="Delete snapshot"
                    ariaLabel={`Delete snapshot ${s.name}`}
                    busy={del.isPending}
                    disabled={blocked && !del.isPending}
                    onOpen={() => (setDone(null), setConfirming({ name: s.name, action: "delete" }))}
                    onConfirm={() => del.mutate({ containerId, name: s.name })}
                    onCancel={() => setConfirming(null)}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
