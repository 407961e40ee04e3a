"use client";
import type { ReactNode } from "react";
import { table, td, th } from "../_lib/ui.js";
import { ScrollBox } from "./ScrollBox.js";

export interface Column<R, S extends string> {
  /** header text (also the sort button's name) */
  header: string;
  /** the server's sort key when the column sorts */
  sort?: S;
  className?: string;
  cell: (row: R) => ReactNode;
}

/**
 * A table whose sortable column headers are buttons (aria-sort on the header cell), optionally with a checkbox per
 * row. Sorting happens on the server: `onSort` gets the column's key and the new direction.
 */
export function DataTable<R, S extends string>({
  label,
  columns,
  rows,
  rowKey,
  sort,
  dir,
  onSort,
  selection,
}: {
  label: string;
  columns: Column<R, S>[];
  rows: R[];
  rowKey: (r: R) => string;
  sort: S;
  dir: "asc" | "desc";
  onSort: (sort: S, dir: "asc" | "desc") => void;
  selection?: {
    selected: Set<string>;
    toggle: (key: string) => void;
    toggleAll: (keys: string[]) => void;
    name: (r: R) => string;
  };
}) {
  const keys = rows.map(rowKey);
  const allOn = keys.length > 0 && keys.every((k) => selection?.selected.has(k));
  return (
    <ScrollBox label={label}>
      <table className={table} aria-label={label}>
        <thead>
          <tr>
            {selection && (
              <th className={`${th} w-8`}>
                <input
                  type="checkbox"
                  aria-label="Select all on this page"
                  checked={allOn}
                  onChange={() => selection.toggleAll(keys)}
                />
              </th>
            )}
            {columns.map((c) => {
              const active = c.sort !== undefined && c.sort === sort;
              return (
                <th
                  key={c.header}
                  className={`${th} ${c.className ?? ""}`}
                  aria-sort={
                    c.sort === undefined ? undefined : active ? (dir === "asc" ? "ascending" : "descending") : "none"
                  }
                >
                  {c.sort === undefined ? (
                    c.header
                  ) : (
                    <button
                      type="button"
                      className="inline-flex items-center gap-1 uppercase tracking-wide hover:text-slate-800 focus-visible:outline-2 focus-visible:outline-sky-600"
                      onClick={() => onSort(c.sort!, active && dir === "asc" ? "desc" : "asc")}
                    >
                      {c.header}
                      <span aria-hidden className={active ? "text-slate-800" : "text-slate-400"}>
                        {active ? (dir === "asc" ? "▲" : "▼") : "↕"}
                      </span>
                    </button>
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const k = rowKey(r);
            return (
              <tr key={k} className="hover:bg-slate-50">
                {selection && (
                  <td className={td}>
                    <input
                      type="checkbox"
                      aria-label={`Select ${selection.name(r)}`}
                      checked={selection.selected.has(k)}
                      onChange={() => selection.toggle(k)}
                    />
                  </td>
                )}
                {columns.map((c) => (
                  <td key={c.header} className={`${td} ${c.className ?? ""}`}>
                    {c.cell(r)}
                  </td>
                ))}
              </tr>
            );
          })}
        </tbody>
      </table>
    </ScrollBox>
  );
}
