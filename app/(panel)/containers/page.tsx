"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { StateBadge } from "../../_components/StateBadge.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { link, mono, table, td, th } from "../../_lib/ui.js";
import { QueryView } from "../../_components/QueryView.js";
import { ScrollBox } from "../../_components/ScrollBox.js";

export default function ContainersPage() {
  const me = useMe();
  const trpc = useTRPC();
  const list = useQuery(trpc.containers.list.queryOptions(undefined, { refetchInterval: 5000 }));
  const seller = me.role !== "customer";
  return (
    <>
      <PageHeader
        title={seller ? "Containers" : "My containers"}
        subtitle={list.data ? `${list.data.length} container${list.data.length === 1 ? "" : "s"}` : undefined}
        actions={
          seller ? (
            <Link
              href="/containers/new"
              className="rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-blue-700"
            >
              New container
            </Link>
          ) : undefined
        }
      />
      <Card>
        <QueryView
          q={list}
          empty={
            seller
              ? "No containers yet. Create one with “New container”."
              : "You have no containers yet; your provider creates them for you."
          }
          loading="Loading containers"
        >
          {(data) => (
            <ScrollBox label="Containers">
              <table className={table} aria-label="Containers">
                <thead>
                  <tr>
                    <th className={th}>CTID</th>
                    <th className={th}>Hostname</th>
                    <th className={th}>State</th>
                    <th className={th}>IP addresses</th>
                    <th className={th}>Template</th>
                    <th className={th}>Plan</th>
                    <th className={th}>Owner</th>
                    <th className={th}>Node</th>
                  </tr>
                </thead>
                <tbody>
                  {data.map((c) => (
                    <tr key={c.id} className="hover:bg-slate-50">
                      <td className={`${td} ${mono}`}>{c.ctid}</td>
                      <td className={td}>
                        <Link className={link} href={`/containers/${c.id}`}>
                          {c.hostname}
                        </Link>
                        {c.name && <span className="ml-2 font-mono text-xs text-slate-500">{c.name}</span>}
                      </td>
                      <td className={td}>
                        <StateBadge state={c.state} />
                      </td>
                      <td className={`${td} ${mono}`}>{c.ips.length ? c.ips.join(", ") : "—"}</td>
                      <td className={td}>{c.template}</td>
                      <td className={td}>{c.plan.name}</td>
                      <td className={td}>{c.tenant.name}</td>
                      <td className={td}>{c.node.name}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </ScrollBox>
          )}
        </QueryView>
      </Card>
    </>
  );
}
