"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Suspense } from "react";
import { Card } from "../../_components/Card.js";
import { type Column } from "../../_components/DataTable.js";
import { PagedTable } from "../../_components/PagedTable.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { QueryView } from "../../_components/QueryView.js";
import { StateBadge } from "../../_components/StateBadge.js";
import { SearchBox } from "../../_components/TableTools.js";
import { when } from "../../_lib/format.js";
import { useTableParams } from "../../_lib/table-params.js";
import { useLive } from "../../_lib/live.js";
import { pollEvery } from "../../_lib/live-events.js";
import { useTRPC, type RouterOutputs } from "../../_lib/trpc.js";
import { isActive } from "../../_lib/useOperation.js";
import { link } from "../../_lib/ui.js";

const SORTS = ["createdAt", "kind", "status"] as const;
type Sort = (typeof SORTS)[number];
type Row = RouterOutputs["operations"]["table"]["rows"][number];

const COLUMNS: Column<Row, Sort>[] = [
  { header: "When", sort: "createdAt", className: "whitespace-nowrap text-xs", cell: (o) => when(o.createdAt) },
  {
    header: "Operation",
    sort: "kind",
    cell: (o) => (
      <Link className={link} href={`/operations/${o.id}`}>
        {o.type}
      </Link>
    ),
  },
  {
    header: "Container",
    cell: (o) =>
      o.container ? (
        <Link className={link} href={`/containers/${o.container.id}`}>
          {o.container.ctid} ({o.container.hostname})
        </Link>
      ) : (
        <span className="text-slate-500">gone</span>
      ),
  },
  { header: "Status", sort: "status", cell: (o) => <StateBadge state={o.status} /> },
  { header: "Progress", className: "text-right tabular-nums", cell: (o) => `${o.progress}%` },
  { header: "By", className: "text-xs", cell: (o) => o.actor },
  {
    header: "Result",
    className: "text-xs",
    cell: (o) => <span className={o.error ? "text-red-700" : "text-slate-600"}>{o.error ?? o.message}</span>,
  },
];

function Operations() {
  const trpc = useTRPC();
  const t = useTableParams<Sort>(SORTS, { sort: "createdAt", dir: "desc" });
  const live = useLive();
  const q = useQuery(
    trpc.operations.table.queryOptions(
      { sort: t.sort, dir: t.dir, q: t.q, page: t.page, pageSize: t.pageSize },
      {
        placeholderData: keepPreviousData,
        refetchInterval: (query) =>
          pollEvery(live, query.state.data?.rows.some((o) => isActive(o.status)) ? 1500 : 10_000),
      },
    ),
  );
  return (
    <>
      <PageHeader
        title="Operations"
        subtitle="Slow container actions (create, start, stop, restart, reinstall, destroy), newest first."
      />
      <Card>
        <div className="mb-3">
          <SearchBox
            label="Search operations"
            placeholder="kind, status, user, hostname or CTID"
            value={t.q}
            onSearch={(s) => t.set({ q: s, page: 1 }, "replace")}
          />
        </div>
        <QueryView q={q}>
          {(data) =>
            data.total === 0 ? (
              <p className="py-4 text-sm text-slate-600">
                {t.q ? `No operation matches “${t.q}”.` : "No operations yet."}
              </p>
            ) : (
              <PagedTable
                label="Operations"
                columns={COLUMNS}
                rows={data.rows}
                rowKey={(o) => o.id}
                total={data.total}
                t={t}
              />
            )
          }
        </QueryView>
      </Card>
    </>
  );
}

export default function OperationsPage() {
  return (
    <Suspense>
      <Operations />
    </Suspense>
  );
}
