"use client";
import Link from "next/link";
import { when } from "../_lib/format.js";
import { link, table, td, th } from "../_lib/ui.js";
import { StateBadge } from "./StateBadge.js";

export interface OperationRow {
  id: string;
  type: string;
  status: string;
  progress: number;
  actor: string;
  error: string | null;
  message: string | null;
  createdAt: Date | string;
  container: { id: string; ctid: number; hostname: string } | null;
}

/** Operations, newest first: on the Operations page (with container and progress) and per container. */
export function OperationsTable({ rows, label, detailed }: { rows: OperationRow[]; label: string; detailed: boolean }) {
  return (
    <table className={table} aria-label={label}>
      <thead>
        <tr>
          <th className={th}>When</th>
          <th className={th}>Operation</th>
          {detailed && <th className={th}>Container</th>}
          <th className={th}>Status</th>
          {detailed && <th className={`${th} text-right`}>Progress</th>}
          <th className={th}>By</th>
          <th className={th}>Result</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((o) => (
          <tr key={o.id}>
            <td className={`${td} whitespace-nowrap text-xs`}>{when(o.createdAt)}</td>
            <td className={td}>
              <Link className={link} href={`/operations/${o.id}`}>
                {o.type}
              </Link>
            </td>
            {detailed && (
              <td className={td}>
                {o.container ? (
                  <Link className={link} href={`/containers/${o.container.id}`}>
                    {o.container.ctid} ({o.container.hostname})
                  </Link>
                ) : (
                  <span className="text-slate-500">gone</span>
                )}
              </td>
            )}
            <td className={td}>
              <StateBadge state={o.status} />
            </td>
            {detailed && <td className={`${td} text-right tabular-nums`}>{o.progress}%</td>}
            <td className={`${td} text-xs`}>{o.actor}</td>
            <td className={`${td} text-xs ${o.error ? "text-red-700" : "text-slate-600"}`}>{o.error ?? o.message}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
