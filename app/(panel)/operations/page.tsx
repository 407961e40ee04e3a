"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { Empty } from "../../_components/Empty.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Loading } from "../../_components/Loading.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { OperationsTable } from "../../_components/OperationsTable.js";
import { useTRPC } from "../../_lib/trpc.js";
import { isActive } from "../../_lib/useOperation.js";

export default function OperationsPage() {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.operations.list.queryOptions({ take: 100 }, { refetchInterval: (query) => (query.state.data?.some((o) => isActive(o.status)) ? 1500 : 10_000) }),
  );
  return (
    <>
      <PageHeader title="Operations" subtitle="Slow container actions (create, start, stop, restart, reinstall, destroy), newest first." />
      <Card>
        {q.isPending ? (
          <Loading />
        ) : q.error ? (
          <ErrorBox error={q.error} />
        ) : q.data.length === 0 ? (
          <Empty>No operations yet.</Empty>
        ) : (
          <OperationsTable rows={q.data} label="Operations" detailed />
        )}
      </Card>
    </>
  );
}
