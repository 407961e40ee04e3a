"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Loading } from "../../_components/Loading.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { TenantCreateForm } from "../../_components/TenantCreateForm.js";
import { TenantsTable } from "../../_components/TenantsTable.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";

function Customers() {
  const me = useMe();
  const trpc = useTRPC();
  const q = useQuery(trpc.tenants.list.queryOptions());
  const customers = (q.data ?? []).filter((t) => t.kind === "customer" && t.id !== me.tenant.id);
  return (
    <>
      <PageHeader title="Customers" subtitle="Your customers and their first users." />
      <div className="flex flex-col gap-4">
        <Card title="Your customers">
          {q.isPending ? (
            <Loading />
          ) : q.error ? (
            <ErrorBox error={q.error} />
          ) : (
            <TenantsTable tenants={customers} showKind={false} />
          )}
        </Card>
        <div className="max-w-3xl">
          <TenantCreateForm mode="reseller" tenants={q.data ?? []} />
        </div>
      </div>
    </>
  );
}

export default function CustomersPage() {
  return (
    <RequireRole roles={["reseller", "admin"]}>
      <Customers />
    </RequireRole>
  );
}
