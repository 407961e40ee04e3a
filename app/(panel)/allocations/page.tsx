"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { Empty } from "../../_components/Empty.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Loading } from "../../_components/Loading.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { useTRPC } from "../../_lib/trpc.js";
import { ResellerAllocation } from "./ResellerAllocation.js";

function Allocations() {
  const trpc = useTRPC();
  const q = useQuery(trpc.allocations.list.queryOptions());
  return (
    <>
      <PageHeader
        title="Allocations"
        subtitle="What each reseller may sell in total (containers on its own and its customers' plans); “used” is what it sells now."
      />
      {q.isPending ? (
        <Loading />
      ) : q.error ? (
        <ErrorBox error={q.error} />
      ) : q.data.length === 0 ? (
        <Card>
          <Empty>No resellers yet; create one on the Tenants page.</Empty>
        </Card>
      ) : (
        <div className="flex flex-col gap-4">
          {q.data.map((r) => (
            <ResellerAllocation key={r.tenantId} row={r} />
          ))}
        </div>
      )}
    </>
  );
}

export default function AllocationsPage() {
  return (
    <RequireRole roles={["admin"]}>
      <Allocations />
    </RequireRole>
  );
}
