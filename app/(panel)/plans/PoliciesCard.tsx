"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describePolicy, PolicyForm } from "../../_components/BackupPolicyForm.js";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { InlineConfirm } from "../../_components/InlineConfirm.js";
import { Loading } from "../../_components/Loading.js";
import { useTRPC } from "../../_lib/trpc.js";

/** The backup policies sellers give their plans as the default (docs/backup-policies.md). */
export function PoliciesCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.backupPolicies.list.queryOptions());
  const [adding, setAdding] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries(trpc.backupPolicies.pathFilter());
  const del = useMutation(
    trpc.backupPolicies.delete.mutationOptions({
      onSuccess: () => {
        setConfirming(null);
        refresh();
        void qc.invalidateQueries(trpc.plans.pathFilter());
      },
    }),
  );
  return (
    <Card
      title="Backup policies"
      testId="backup-policies"
      actions={
        <Button variant="secondary" onClick={() => setAdding((a) => !a)} aria-expanded={adding}>
          New policy
        </Button>
      }
    >
      <ErrorBox error={q.error ?? del.error} />
      {q.isPending ? (
        <Loading what="Loading backup policies" lines={2} />
      ) : (q.data ?? []).length === 0 ? (
        <p className="text-sm text-slate-500">No backup policies yet.</p>
      ) : (
        <ul className="flex flex-col divide-y divide-slate-100 text-sm">
          {(q.data ?? []).map((p) => (
            <li key={p.id} className="flex flex-wrap items-center justify-between gap-2 py-1">
              <span className="min-w-0 break-words">
                <strong>{p.name}</strong>: {describePolicy(p)} · {p.plans} plan(s), {p.containers} container(s)
              </span>
              <InlineConfirm
                open={confirming === p.id}
                label="Delete"
                ariaLabel={`Delete backup policy ${p.name}`}
                confirmLabel={`Delete policy ${p.name}`}
                busy={del.isPending}
                onOpen={() => setConfirming(p.id)}
                onConfirm={() => del.mutate({ policyId: p.id })}
                onCancel={() => setConfirming(null)}
              />
            </li>
          ))}
        </ul>
      )}
      {adding && (
        <PolicyForm
          onCreated={() => {
            setAdding(false);
            refresh();
          }}
        />
      )}
    </Card>
  );
}
