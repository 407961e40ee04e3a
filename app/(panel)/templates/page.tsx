"use client";
import { useQuery } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { bytes, when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";
import { QueryView } from "../../_components/QueryView.js";

export default function TemplatesPage() {
  const trpc = useTRPC();
  const q = useQuery(trpc.templates.list.queryOptions());
  return (
    <>
      <PageHeader
        title="Templates"
        subtitle="Operating system templates available on the default node. Plans choose which ones customers may install."
      />
      <Card>
        <QueryView q={q} empty="No templates on the node.">
          {(data) => (
            <table className={table} aria-label="Templates">
              <thead>
                <tr>
                  <th className={th}>Name</th>
                  <th className={th}>Distribution</th>
                  <th className={th}>Release</th>
                  <th className={th}>Arch</th>
                  <th className={th}>Init</th>
                  <th className={th}>Source</th>
                  <th className={`${th} text-right`}>Size</th>
                  <th className={th}>Built</th>
                  <th className={th}>SHA-256</th>
                </tr>
              </thead>
              <tbody>
                {data.map((t) => (
                  <tr key={t.name}>
                    <td className={`${td} font-medium`}>{t.name}</td>
                    <td className={td}>{t.distro}</td>
                    <td className={td}>{t.release}</td>
                    <td className={td}>{t.arch}</td>
                    <td className={td}>{t.init}</td>
                    <td className={td}>{t.source}</td>
                    <td className={`${td} text-right tabular-nums`}>{bytes(t.sizeBytes)}</td>
                    <td className={`${td} text-xs`}>{when(t.createdAt)}</td>
                    <td className={`${td} ${mono}`} title={t.sha256}>
                      {t.sha256.slice(0, 12)}…
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
      </Card>
    </>
  );
}
