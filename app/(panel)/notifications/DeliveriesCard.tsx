"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { QueryView } from "../../_components/QueryView.js";
import { when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";

const TONE: Record<string, string> = {
  delivered: "text-green-700",
  pending: "text-amber-700",
  failed: "text-red-700",
};

/** The delivery log: the caller's webhook POSTs and emails, newest first, with attempts and the last error. */
export function DeliveriesCard() {
  const trpc = useTRPC();
  const q = useQuery({ ...trpc.notifications.deliveries.queryOptions(), refetchInterval: 5000 });
  return (
    <Card title="Delivery log">
      <QueryView q={q} empty="Nothing sent yet.">
        {(rows) => (
          <table className={table} aria-label="Deliveries">
            <thead>
              <tr>
                <th className={th}>When</th>
                <th className={th}>Event</th>
                <th className={th}>To</th>
                <th className={th}>Status</th>
                <th className={th}>Attempts</th>
                <th className={th}>Last answer</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((d) => (
                <tr key={d.id}>
                  <td className={`${td} text-xs`}>{when(d.createdAt)}</td>
                  <td className={`${td} ${mono}`}>{d.event}</td>
                  <td className={`${td} break-all text-xs`}>
                    {d.channel === "email" ? `email ${d.to ?? ""}` : (d.endpoint?.url ?? "deleted endpoint")}
                  </td>
                  <td className={`${td} ${TONE[d.status] ?? ""}`}>
                    {d.status}
                    {d.status === "pending" && d.attempts > 0 && (
                      <span className="block text-xs text-slate-500">next try {when(d.nextAttemptAt)}</span>
                    )}
                  </td>
                  <td className={td}>{d.attempts}</td>
                  <td className={`${td} text-xs`}>
                    {d.lastStatus !== null && <span>HTTP {d.lastStatus} </span>}
                    {d.lastError && <span className="text-red-700">{d.lastError}</span>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
    </Card>
  );
}
