"use client";
import type { TableParams, useTableParams } from "../_lib/table-params.js";
import { DataTable, type Column } from "./DataTable.js";
import { Pager } from "./TableTools.js";

type Table<S extends string> = TableParams<S> & { set: ReturnType<typeof useTableParams<S>>["set"] };
type Selection<R> = Parameters<typeof DataTable<R, string>>[0]["selection"];

/**
 * One page of a server-sorted table and its pager, both driven by the table's URL state (useTableParams): a
 * new sort goes back to page 1, a new page size too.
 */
export function PagedTable<R, S extends string>({
  label,
  columns,
  rows,
  rowKey,
  total,
  t,
  selection,
}: {
  label: string;
  columns: Column<R, S>[];
  rows: R[];
  rowKey: (r: R) => string;
  total: number;
  t: Table<S>;
  selection?: Selection<R>;
}) {
  return (
    <>
      <DataTable
        label={label}
        columns={columns}
        rows={rows}
        rowKey={rowKey}
        sort={t.sort}
        dir={t.dir}
        onSort={(sort, dir) => t.set({ sort, dir, page: 1 })}
        selection={selection}
      />
      <Pager
        label={label}
        page={t.page}
        pageSize={t.pageSize}
        total={total}
        onPage={(to) => t.set((latest) => ({ page: to(latest.page) }))}
        onPageSize={(pageSize) => t.set({ pageSize, page: 1 })}
      />
    </>
  );
}
