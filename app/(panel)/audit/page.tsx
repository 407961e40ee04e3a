"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { Suspense } from "react";
import { Card } from "../../_components/Card.js";
import { type Column } from "../../_components/DataTable.js";
import { PagedTable } from "../../_components/PagedTable.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { QueryView } from "../../_components/QueryView.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { SearchBox } from "../../_components/TableTools.js";
import { when } from "../../_lib/format.js";
import { useTableParams } from "../../_lib/table-params.js";
import { useTRPC, type RouterOutputs } from "../../_lib/trpc.js";
import { mono } from "../../_lib/ui.js";

const SORTS = ["time", "actor", "action"] as const;
type Sort = (typeof SORTS)[number];
type Row = RouterOutputs["audit"]["table"]["rows"][number];

function details(json: string): string {
  if (!json || json === "{}") return "";
  try {
    return Object.entries(JSON.parse(json) as Record<string, unknown>)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : String(v)}`)
      .join(" ");
  } catch {
    return json;
  }
}

const COLUMNS: Column<Row, Sort>[] = [
  { header: "When", sort: "time", className: "whitespace-nowrap text-xs", cell: (a) => when(a.at) },
  { header: "Who", sort: "actor", className: "whitespace-nowrap", cell: (a) => a.actor },
  { header: "Action", sort: "action", className: mono, cell: (a) => a.action },
  { header: "Target", cell: (a) => a.target },
  { header: "From IP", className: mono, cell: (a) => a.ip ?? "—" },
  {
    header: "Details",
    className: "text-xs text-slate-500",
    cell: (a) => (
      <div className="max-w-xs truncate" title={details(a.details)}>
        {details(a.details)}
      </div>
    ),
  },
];

function Audit() {
  const trpc = useTRPC();
  const t = useTableParams<Sort>(SORTS, { sort: "time", dir: "desc", pageSize: 50 });
  const q = useQuery(
    trpc.audit.table.queryOptions(
      { sort: t.sort, dir: t.dir, q: t.q, page: t.page, pageSize: t.pageSize },
      { placeholderData: keepPreviousData },
    ),
  );
  return (
    <>
      <PageHeader title="Audit log" subtitle="Who did what, when, and from where." />
      <Card>
        <div className="mb-3">
          <SearchBox
            label="Search by action or user"
            placeholder="container.start, admin@ …"
            value={t.q}
            onSearch={(s) => t.set({ q: s, page: 1 }, "replace")}
          />
        </div>
        <QueryView q={q}>
          {(data) =>
            data.total === 0 ? (
              <p className="py-4 text-sm text-slate-600">{t.q ? `No entry matches “${t.q}”.` : "No entries."}</p>
            ) : (
              <PagedTable
                label="Audit log"
                columns={COLUMNS}
                rows={data.rows}
                rowKey={(a) => String(a.id)}
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

export default function AuditPage() {
  return (
    <RequireRole roles={["admin", "reseller"]}>
      <Suspense>
        <Audit />
      </Suspense>
    </RequireRole>
  );
}
