"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Card } from "../../../_components/Card.js";
import { Empty } from "../../../_components/Empty.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { StateBadge } from "../../../_components/StateBadge.js";
import { when } from "../../../_lib/format.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { link, table, td, th } from "../../../_lib/ui.js";

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
        <table className={table} aria-label="Recent operations">
          <thead>
            <tr>
              <th className={th}>When</th>
              <th className={th}>Operation</th>
              <th className={th}>Status</th>
              <th className={th}>By</th>
              <th className={th}>Result</th>
            </tr>
          </thead>
          <tbody>
            {ops.data.map((o) => (
              <tr key={o.id}>
                <td className={`${td} whitespace-nowrap text-xs`}>{when(o.createdAt)}</td>
                <td className={td}>
                  <Link className={link} href={`/operations/${o.id}`}>
                    {o.type}
                  </Link>
                </td>
                <td className={td}>
                  <StateBadge state={o.status} />
                </td>
                <td className={`${td} text-xs`}>{o.actor}</td>
                <td className={`${td} text-xs ${o.error ? "text-red-700" : "text-slate-600"}`}>{o.error ?? o.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Card>
  );
}
