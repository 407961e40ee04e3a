"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../../_components/Card.js";
import { OperationsTable } from "../../../_components/OperationsTable.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import { QueryView } from "../../../_components/QueryView.js";

export function RecentOperations({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const ops = useQuery(trpc.operations.list.queryOptions({ containerId, take: 10 }, { trpc: { context: SOLO } }));
  return (
    <Card title="Recent operations">
      <QueryView q={ops} empty="No operations yet." loading="Loading operations" lines={3}>
        {(data) => <OperationsTable rows={data} label="Recent operations" detailed={false} />}
      </QueryView>
    </Card>
  );
}
