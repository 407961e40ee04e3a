"use client";
import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { AllocationSummary } from "../../_components/AllocationSummary.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Loading } from "../../_components/Loading.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { PlanForm } from "./PlanForm.js";
import { PlansTable } from "./PlansTable.js";
import { PoliciesCard } from "./PoliciesCard.js";
import type { PlanRow } from "./types.js";

function Plans() {
  const me = useMe();
  const trpc = useTRPC();
  const q = useQuery(trpc.plans.list.queryOptions());
  const [editing, setEditing] = useState<PlanRow | null>(null);
  const all = q.data ?? [];
  const mine = me.role === "admin" ? all : all.filter((p) => p.tenantId === me.tenant.id);
  const platform = all.filter((p) => p.tenantId !== me.tenant.id);
  return (
    <>
      <PageHeader
        title="Plans"
        subtitle="What a container gets: limits, bandwidth, IPs and the templates customers may install."
      />
      <div className="flex flex-col gap-4">
        {me.role === "reseller" && <AllocationSummary tenantId={me.tenant.id} />}
        <Card title={me.role === "admin" ? "All plans" : "Your plans"}>
          {q.isPending ? (
            <Loading />
          ) : q.error ? (
            <ErrorBox error={q.error} />
          ) : (
            <PlansTable plans={mine} showOwner={me.role === "admin"} onEdit={setEditing} />
          )}
        </Card>
        {/* A reseller may sell the platform's plans but not change them: listed apart, read-only. */}
        {me.role === "reseller" && q.data && (
          <Card title="Platform plans" testId="platform-plans">
            <p className="mb-2 text-xs text-slate-500">
              Offered by the platform: you may sell them to your customers; only the platform changes them.
            </p>
            <PlansTable plans={platform} showOwner={false} readOnly />
          </Card>
        )}
        <PoliciesCard />
        {editing ? (
          <PlanForm key={editing.id} plan={editing} onDone={() => setEditing(null)} />
        ) : (
          <PlanForm key="new" />
        )}
      </div>
    </>
  );
}

export default function PlansPage() {
  return (
    <RequireRole roles={["admin", "reseller"]}>
      <Plans />
    </RequireRole>
  );
}
