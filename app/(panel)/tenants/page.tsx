"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Loading } from "../../_components/Loading.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { TenantCreateForm } from "../../_components/TenantCreateForm.js";
import { TenantsTable } from "../../_components/TenantsTable.js";
import { useTRPC } from "../../_lib/trpc.js";

function Tenants() {
  const trpc = useTRPC();
  const q = useQuery(trpc.tenants.list.queryOptions());
  return (
    <>
      <PageHeader title="Tenants" subtitle="Resellers and customers, each with its users." />
      <div className="flex flex-col gap-4">
        <Card title="All tenants">
          {q.isPending ? (
            <Loading />
          ) : q.error ? (
            <ErrorBox error={q.error} />
          ) : (
            <TenantsTable tenants={q.data} showKind />
          )}
        </Card>
        <div className="max-w-3xl">
          <TenantCreateForm mode="admin" tenants={q.data ?? []} />
        </div>
      </div>
    </>
  );
}

export default function TenantsPage() {
  return (
    <RequireRole roles={["admin"]}>
      <Tenants />
    </RequireRole>
  );
}
