"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { describePolicy, PolicyForm } from "../../../_components/BackupPolicyForm.js";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { SelectField } from "../../../_components/SelectField.js";
import { when } from "../../../_lib/format.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";

const PLAN_DEFAULT = "";

/**
 * The container's scheduled backups (docs/backup-policies.md): the policy in effect (its own or its plan's),
 * the next run (with this container's jitter) and the last one; whoever sees the container may choose one of
 * their policies or make a new one, within the plan's limits.
 */
export function BackupPolicyCard({ containerId, tenantId }: { containerId: string; tenantId: string }) {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const view = useQuery(trpc.backupPolicies.forContainer.queryOptions({ containerId }, { trpc: { context: SOLO } }));
  const policies = useQuery(trpc.backupPolicies.list.queryOptions(undefined, { trpc: { context: SOLO } }));
  const [choice, setChoice] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const refresh = () => void qc.invalidateQueries(trpc.backupPolicies.pathFilter());
  const set = useMutation(trpc.backupPolicies.setForContainer.mutationOptions({ onSuccess: () => refresh() }));
  const v = view.data;
  const effective = v?.own ?? v?.plan ?? null;
  const selected = choice ?? v?.own?.id ?? PLAN_DEFAULT;
  const options = [
    { value: PLAN_DEFAULT, label: `The plan's default (${v?.plan?.name ?? "none"})` },
    // the server accepts the container owner's policies and the caller's own (admins: any)
    ...(policies.data ?? [])
      .filter((p) => me.role === "admin" || p.tenantId === tenantId || p.tenantId === me.tenant.id)
      .map((p) => ({ value: p.id, label: `${p.name}: ${describePolicy(p)}` })),
  ];
  return (
    <Card title="Scheduled backups" testId="backup-policy-card">
      <ErrorBox error={view.error ?? policies.error} />
      {view.isPending ? (
        <Loading what="Loading the backup policy" lines={2} />
      ) : v ? (
        <dl className="mb-3 grid grid-cols-1 gap-x-4 gap-y-1 text-sm sm:grid-cols-[max-content_1fr]">
          <dt className="text-slate-500">Policy</dt>
          <dd data-testid="policy-effective">
            {effective
              ? `${effective.name} (${v.source === "plan" ? "the plan's default" : "this container's own"}): ${describePolicy(effective)}`
              : "None: nothing is backed up on a schedule."}
          </dd>
          <dt className="text-slate-500">Next run</dt>
          <dd data-testid="policy-next">{effective ? when(v.nextRunAt) : "—"}</dd>
          <dt className="text-slate-500">Last run</dt>
          <dd data-testid="policy-last">
            {v.lastRunAt ? `${when(v.lastRunAt)}: ${v.lastStatus ?? "unknown"}` : "None yet"}
          </dd>
        </dl>
      ) : null}
      <form
        className="flex flex-col gap-2 sm:flex-row sm:items-end"
        aria-label="Choose the backup policy"
        onSubmit={(e) => {
          e.preventDefault();
          set.mutate({ containerId, policyId: selected === PLAN_DEFAULT ? null : selected });
        }}
      >
        <SelectField
          label="Backup policy of this container"
          value={selected}
          onChange={setChoice}
          options={options}
          wrapClassName="min-w-0 flex-1"
        />
        <Button type="submit" busy={set.isPending}>
          Save policy
        </Button>
        <Button variant="secondary" onClick={() => setAdding((a) => !a)} aria-expanded={adding}>
          New policy
        </Button>
      </form>
      <ErrorBox error={set.error} />
      <p className="mt-1 text-xs text-slate-500">
        {v && `The plan keeps at most ${v.maxBackups} backups and ${v.maxSnapshots} snapshots per container. `}
        Scheduled runs start within the jitter window after the time (UTC); manual backups are never pruned.
      </p>
      {adding && (
        <PolicyForm
          onCreated={(id) => {
            setChoice(id);
            setAdding(false);
            refresh();
          }}
        />
      )}
    </Card>
  );
}
