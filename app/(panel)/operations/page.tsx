"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { OperationsTable } from "../../_components/OperationsTable.js";
import { useTRPC } from "../../_lib/trpc.js";
import { isActive } from "../../_lib/useOperation.js";
import { QueryView } from "../../_components/QueryView.js";

export default function OperationsPage() {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.operations.list.queryOptions(
      { take: 100 },
      { refetchInterval: (query) => (query.state.data?.some((o) => isActive(o.status)) ? 1500 : 10_000) },
    ),
  );
  return (
    <>
      <PageHeader
        title="Operations"
        subtitle="Slow container actions (create, start, stop, restart, reinstall, destroy), newest first."
      />
      <Card>
        <QueryView q={q} empty="No operations yet.">
          {(data) => <OperationsTable rows={data} label="Operations" detailed />}
        </QueryView>
      </Card>
    </>
  );
}
