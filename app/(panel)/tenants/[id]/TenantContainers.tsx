"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { CONTAINER_COLUMNS, CONTAINER_SORTS, type ContainerSort } from "../../../_components/container-columns.js";
import { PagedTable } from "../../../_components/PagedTable.js";
import { QueryView } from "../../../_components/QueryView.js";
import { SearchBox } from "../../../_components/TableTools.js";
import { useTableParams } from "../../../_lib/table-params.js";
import { useLive } from "../../../_lib/live.js";
import { pollEvery } from "../../../_lib/live-events.js";
import { useTRPC } from "../../../_lib/trpc.js";

const COLUMNS = CONTAINER_COLUMNS.filter((c) => c.header !== "Owner");

/** The tenant's containers with their state: the containers table filtered to the tenant. */
export function TenantContainers({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const live = useLive();
  const t = useTableParams<ContainerSort>(CONTAINER_SORTS, { sort: "ctid", dir: "asc" });
  const q = useQuery(
    trpc.containers.table.queryOptions(
      { tenantId, sort: t.sort, dir: t.dir, q: t.q, page: t.page, pageSize: t.pageSize },
      { placeholderData: keepPreviousData, refetchInterval: pollEvery(live, 10_000) },
    ),
  );
  return (
    <>
      <div className="mb-3">
        <SearchBox
          label="Search the tenant's containers"
          placeholder="CTID, hostname or IP address"
          value={t.q}
          onSearch={(s) => t.set({ q: s, page: 1 }, "replace")}
        />
      </div>
      <QueryView q={q}>
        {(data) =>
          data.total === 0 ? (
            <p className="py-2 text-sm text-slate-600">{t.q ? `No container matches “${t.q}”.` : "No containers."}</p>
          ) : (
            <PagedTable
              label="Tenant containers"
              columns={COLUMNS}
              rows={data.rows}
              rowKey={(c) => c.id}
              total={data.total}
              t={t}
            />
          )
        }
      </QueryView>
    </>
  );
}
