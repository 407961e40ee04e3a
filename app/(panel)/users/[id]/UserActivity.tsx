"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type Column } from "../../../_components/DataTable.js";
import { PagedTable } from "../../../_components/PagedTable.js";
import { QueryView } from "../../../_components/QueryView.js";
import { when } from "../../../_lib/format.js";
import { useTableParams } from "../../../_lib/table-params.js";
import { useTRPC, type RouterOutputs } from "../../../_lib/trpc.js";
import { mono } from "../../../_lib/ui.js";

const SORTS = ["time", "action"] as const;
type Sort = (typeof SORTS)[number];
type Row = RouterOutputs["audit"]["table"]["rows"][number];

const COLUMNS: Column<Row, Sort>[] = [
  { header: "When", sort: "time", className: "whitespace-nowrap text-xs", cell: (a) => when(a.at) },
  { header: "Action", sort: "action", className: mono, cell: (a) => a.action },
  { header: "Target", cell: (a) => <span className="break-all">{a.target}</span> },
  { header: "As", className: "text-xs text-slate-500", cell: (a) => a.actor },
  { header: "From IP", className: mono, cell: (a) => a.ip ?? "—" },
];

/** What the user did: the audit table filtered by the user (audit.table with userId), paged in the URL. */
export function UserActivity({ userId }: { userId: string }) {
  const trpc = useTRPC();
  const t = useTableParams<Sort>(SORTS, { sort: "time", dir: "desc", pageSize: 10 });
  const q = useQuery(
    trpc.audit.table.queryOptions(
      { userId, sort: t.sort, dir: t.dir, q: "", page: t.page, pageSize: t.pageSize },
      { placeholderData: keepPreviousData },
    ),
  );
  return (
    <QueryView q={q}>
      {(data) =>
        data.total === 0 ? (
          <p className="text-sm text-slate-600">Nothing recorded for this user yet.</p>
        ) : (
          <PagedTable
            label="Recent activity"
            columns={COLUMNS}
            rows={data.rows}
            rowKey={(a) => String(a.id)}
            total={data.total}
            t={t}
          />
        )
      }
    </QueryView>
  );
}
