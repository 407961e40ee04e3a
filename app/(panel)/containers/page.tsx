"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Suspense, useState } from "react";
import { Card } from "../../_components/Card.js";
import { CONTAINER_COLUMNS, CONTAINER_SORTS, type ContainerSort } from "../../_components/container-columns.js";
import { PagedTable } from "../../_components/PagedTable.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { QueryView } from "../../_components/QueryView.js";
import { SearchBox } from "../../_components/TableTools.js";
import { useMe } from "../../_lib/me.js";
import { useMakesContainers } from "../../_lib/self-service.js";
import { useTableParams } from "../../_lib/table-params.js";
import { useLive } from "../../_lib/live.js";
import { pollEvery } from "../../_lib/live-events.js";
import { useTRPC } from "../../_lib/trpc.js";
import { BulkActions } from "./BulkActions.js";

function Containers() {
  const me = useMe();
  const trpc = useTRPC();
  const t = useTableParams<ContainerSort>(CONTAINER_SORTS, { sort: "ctid", dir: "asc" });
  const live = useLive();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const list = useQuery(
    trpc.containers.table.queryOptions(
      { sort: t.sort, dir: t.dir, q: t.q, page: t.page, pageSize: t.pageSize },
      { refetchInterval: pollEvery(live, 5000), placeholderData: keepPreviousData },
    ),
  );
  const seller = me.role !== "customer";
  // customers create their own containers when one of their plans is self-service (docs/self-service.md)
  const selfService = useMakesContainers() && !seller;
  const admin = me.role === "admin";
  const total = list.data?.total;
  const toggle = (k: string) =>
    setSelected((s) => {
      const n = new Set(s);
      if (n.has(k)) n.delete(k);
      else n.add(k);
      return n;
    });
  const toggleAll = (keys: string[]) =>
    setSelected((s) =>
      keys.every((k) => s.has(k)) ? new Set([...s].filter((k) => !keys.includes(k))) : new Set([...s, ...keys]),
    );
  return (
    <>
      <PageHeader
        title={seller ? "Containers" : "My containers"}
        subtitle={total !== undefined ? `${total} container${total === 1 ? "" : "s"}${t.q ? " found" : ""}` : undefined}
        actions={
          seller || selfService ? (
            <Link
              href="/containers/new"
              className="rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-blue-700"
            >
              {seller ? "New container" : "Create container"}
            </Link>
          ) : undefined
        }
      />
      <Card>
        <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
          <SearchBox
            label="Search containers"
            placeholder="CTID, hostname or IP address"
            value={t.q}
            onSearch={(q) => t.set({ q, page: 1 }, "replace")}
          />
          {admin && <BulkActions selected={selected} onDone={() => setSelected(new Set())} />}
        </div>
        <QueryView q={list} loading="Loading containers">
          {(data) =>
            data.total === 0 ? (
              <p className="py-4 text-sm text-slate-600">
                {t.q
                  ? `No container matches “${t.q}”.`
                  : seller
                    ? "No containers yet. Create one with “New container”."
                    : selfService
                      ? "You have no containers yet. Create one with “Create container”."
                      : "You have no containers yet; your provider creates them for you."}
              </p>
            ) : (
              <PagedTable
                label="Containers"
                columns={CONTAINER_COLUMNS}
                rows={data.rows}
                rowKey={(c) => c.id}
                total={data.total}
                t={t}
                selection={
                  admin ? { selected, toggle, toggleAll, name: (c) => `${c.ctid} (${c.hostname})` } : undefined
                }
              />
            )
          }
        </QueryView>
      </Card>
    </>
  );
}

export default function ContainersPage() {
  return (
    <Suspense>
      <Containers />
    </Suspense>
  );
}
