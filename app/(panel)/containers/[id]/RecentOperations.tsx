"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../../_components/Card.js";
import { Empty } from "../../../_components/Empty.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { OperationsTable } from "../../../_components/OperationsTable.js";
import { useTRPC } from "../../../_lib/trpc.js";

export function RecentOperations({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const ops = useQuery(trpc.operations.list.queryOptions({ containerId, take: 10 }));
  return (
    <Card title="Recent operations">
      {ops.isPending ? (
        <Loading />
      ) : ops.error ? (
        <ErrorBox error={ops.error} />
      ) : ops.data.length === 0 ? (
        <Empty>No operations yet.</Empty>
      ) : (
        <OperationsTable rows={ops.data} label="Recent operations" detailed={false} />
      )}
    </Card>
  );
}
