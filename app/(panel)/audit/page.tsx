"use client";
import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { TextField } from "../../_components/TextField.js";
import { when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";
import { QueryView } from "../../_components/QueryView.js";
import { ScrollBox } from "../../_components/ScrollBox.js";

const PAGE = 100;

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

function Audit() {
  const trpc = useTRPC();
  const [action, setAction] = useState("");
  const [cursors, setCursors] = useState<number[]>([]);
  const beforeId = cursors[cursors.length - 1];
  const q = useQuery(
    trpc.audit.list.queryOptions(
      { take: PAGE, beforeId, action: action.trim() || undefined },
      { placeholderData: keepPreviousData },
    ),
  );
  return (
    <>
      <PageHeader title="Audit log" subtitle="Who did what, when, and from where." />
      <Card>
        <div className="mb-3 flex items-end gap-3">
          <TextField
            wrapClassName="w-64"
            label="Action starts with"
            value={action}
            onChange={(v) => {
              setAction(v);
              setCursors([]);
            }}
            placeholder="container., auth.login …"
            autoComplete="off"
          />
        </div>
        <QueryView q={q} empty="No entries.">
          {(data) => (
            <ScrollBox label="Audit log">
              <table className={table} aria-label="Audit log">
                <thead>
                  <tr>
                    <th className={th}>When</th>
                    <th className={th}>Who</th>
                    <th className={th}>Action</th>
                    <th className={th}>Target</th>
                    <th className={th}>From IP</th>
                    <th className={th}>Details</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((a) => (
                    <tr key={a.id}>
                      <td className={`${td} whitespace-nowrap text-xs`}>{when(a.at)}</td>
                      <td className={`${td} whitespace-nowrap`}>{a.actor}</td>
                      <td className={`${td} ${mono}`}>{a.action}</td>
                      <td className={td}>{a.target}</td>
                      <td className={`${td} ${mono}`}>{a.ip ?? "—"}</td>
                      <td className={`${td} text-xs text-slate-500`}>
                        <div className="max-w-xs truncate" title={details(a.details)}>
                          {details(a.details)}
                        </div>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollBox>
          )}
        </QueryView>
        <div className="mt-3 flex gap-2">
          <Button variant="secondary" disabled={cursors.length === 0} onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </Button>
          <Button
            variant="secondary"
            disabled={!q.data || q.data.length < PAGE}
            onClick={() => q.data && setCursors((c) => [...c, q.data[q.data.length - 1]!.id])}
          >
            Older
          </Button>
        </div>
      </Card>
    </>
  );
}

export default function AuditPage() {
  return (
    <RequireRole roles={["admin", "reseller"]}>
      <Audit />
    </RequireRole>
  );
}
