"use client";
import { useQuery } from "@tanstack/react-query";
import { Fragment } from "react";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { Notice } from "../../../_components/Notice.js";
import { beancounterHint, RESOURCE_LABELS } from "../../../_lib/beancounters.js";
import { bytes } from "../../../_lib/format.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import { table, td, th } from "../../../_lib/ui.js";

function amount(v: number | null, unit: string): string {
  if (v === null) return "unlimited";
  return unit === "bytes" ? bytes(v) : v.toLocaleString();
}

/**
 * Live usage from the node: disk, and the beancounters like OpenVZ's /proc/user_beancounters (held, max
 * held, limit, fail count = how many times the limit was hit), with a plain-words hint under each
 * resource that was hit.
 */
export function UsageCard({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const u = useQuery(
    trpc.containers.usage.queryOptions({ containerId }, { refetchInterval: 10_000, trpc: { context: SOLO } }),
  );
  return (
    <Card title="Current usage" actions={<span className="text-xs text-slate-500">refreshes every 10 s</span>}>
      {u.isPending ? (
        <Loading what="Reading usage from the node" lines={5} />
      ) : u.error ? (
        <ErrorBox error={u.error} />
      ) : !u.data.available ? (
        <Notice tone="warn">Usage is not available right now: {u.data.reason}</Notice>
      ) : (
        <div className="flex flex-col gap-3">
          <p className="text-sm">
            Disk: <strong className="tabular-nums">{bytes(u.data.disk.bytes)}</strong> used of{" "}
            <span className="tabular-nums">
              {u.data.disk.limitBytes === null ? "unlimited" : bytes(u.data.disk.limitBytes)}
            </span>
            {u.data.disk.inodes !== null && <> · {u.data.disk.inodes.toLocaleString()} inodes</>}
          </p>
          <table className={table} aria-label="Beancounters">
            <thead>
              <tr>
                <th className={th}>Resource</th>
                <th className={`${th} text-right`}>Held</th>
                <th className={`${th} text-right`}>Max held</th>
                <th className={`${th} text-right`}>Limit</th>
                <th className={`${th} text-right`} title="how many times the limit was hit">
                  Fail count
                </th>
              </tr>
            </thead>
            <tbody>
              {u.data.beancounters.map((b) => {
                const hint = beancounterHint(b.resource, b.failcnt);
                return (
                  <Fragment key={b.resource}>
                    <tr data-testid={`bc-${b.resource}`}>
                      <td className={`${td} ${hint ? "border-b-0" : ""}`}>
                        {RESOURCE_LABELS[b.resource] ?? b.resource}
                        <span className="ml-1 font-mono text-xs text-slate-500">{b.resource}</span>
                        {b.unit !== "bytes" && <span className="ml-1 text-xs text-slate-500">({b.unit})</span>}
                      </td>
                      <td className={`${td} text-right whitespace-nowrap tabular-nums`}>{amount(b.held, b.unit)}</td>
                      <td className={`${td} text-right whitespace-nowrap tabular-nums`}>{amount(b.maxheld, b.unit)}</td>
                      <td className={`${td} text-right whitespace-nowrap tabular-nums`}>{amount(b.limit, b.unit)}</td>
                      <td
                        className={`${td} text-right tabular-nums ${b.failcnt > 0 ? "font-semibold text-red-700" : ""}`}
                      >
                        {b.failcnt.toLocaleString()}
                      </td>
                    </tr>
                    {hint && (
                      <tr>
                        <td
                          colSpan={5}
                          className={`${td} pt-0 text-xs text-amber-900`}
                          data-testid={`bc-hint-${b.resource}`}
                        >
                          <span aria-hidden>⚠ </span>
                          {hint}
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}
