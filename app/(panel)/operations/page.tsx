"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Card } from "../../_components/Card.js";
import { Empty } from "../../_components/Empty.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Loading } from "../../_components/Loading.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { StateBadge } from "../../_components/StateBadge.js";
import { when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { isActive } from "../../_lib/useOperation.js";
import { link, table, td, th } from "../../_lib/ui.js";

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
          <table className={table} aria-label="Operations">
            <thead>
              <tr>
                <th className={th}>When</th>
                <th className={th}>Operation</th>
                <th className={th}>Container</th>
                <th className={th}>Status</th>
                <th className={`${th} text-right`}>Progress</th>
                <th className={th}>By</th>
                <th className={th}>Result</th>
              </tr>
            </thead>
            <tbody>
              {q.data.map((o) => (
                <tr key={o.id}>
                  <td className={`${td} whitespace-nowrap text-xs`}>{when(o.createdAt)}</td>
                  <td className={td}>
                    <Link className={link} href={`/operations/${o.id}`}>
                      {o.type}
                    </Link>
                  </td>
                  <td className={td}>
                    {o.container ? (
                      <Link className={link} href={`/containers/${o.container.id}`}>
                        {o.container.ctid} ({o.container.hostname})
                      </Link>
                    ) : (
                      <span className="text-slate-400">gone</span>
                    )}
                  </td>
                  <td className={td}>
                    <StateBadge state={o.status} />
                  </td>
                  <td className={`${td} text-right tabular-nums`}>{o.progress}%</td>
                  <td className={`${td} text-xs`}>{o.actor}</td>
                  <td className={`${td} text-xs ${o.error ? "text-red-700" : "text-slate-600"}`}>{o.error ?? o.message}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Card>
    </>
  );
}
