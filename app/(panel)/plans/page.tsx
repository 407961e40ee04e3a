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
import type { PlanRow } from "./types.js";

function Plans() {
  const me = useMe();
  const trpc = useTRPC();
  const q = useQuery(trpc.plans.list.queryOptions());
  const [editing, setEditing] = useState<PlanRow | null>(null);
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
            <PlansTable plans={q.data} showOwner={me.role === "admin"} onEdit={setEditing} />
          )}
        </Card>
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
