"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { InlineConfirm } from "../../_components/InlineConfirm.js";
import { OperationPanel } from "../../_components/OperationPanel.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { QueryView } from "../../_components/QueryView.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { SelectField } from "../../_components/SelectField.js";
import { bytes, when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";
import { UploadForm } from "./UploadForm.js";

/** Templates per node (admins): list, delete, upload a tarball, build busybox or debian-12. */
export default function TemplatesPage() {
  return (
    <>
      <PageHeader
        title="Templates"
        subtitle="Operating system templates on each node. Plans choose which ones customers may install."
      />
      <RequireRole roles={["admin"]}>
        <Templates />
      </RequireRole>
    </>
  );
}

function Templates() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const [picked, setPicked] = useState("");
  const nodeId = picked || nodes.data?.[0]?.id || "";
  const list = useQuery({ ...trpc.templates.onNode.queryOptions({ nodeId }), enabled: !!nodeId });
  const [ops, setOps] = useState<string[]>([]);
  const [deleting, setDeleting] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries(trpc.templates.pathFilter());
  const del = useMutation(trpc.templates.delete.mutationOptions({ onSuccess: () => (setDeleting(null), refresh()) }));
  const build = useMutation(
    trpc.templates.build.mutationOptions({ onSuccess: (r) => setOps((o) => [r.operationId, ...o]) }),
  );
  const nodeName = nodes.data?.find((n) => n.id === nodeId)?.name ?? "";

  return (
    <div className="flex flex-col gap-4">
      <ErrorBox error={nodes.error} />
      <SelectField
        label="Node"
        value={nodeId}
        onChange={(v) => (setPicked(v), setDeleting(null), del.reset())}
        options={(nodes.data ?? []).map((n) => ({ value: n.id, label: n.name }))}
        wrapClassName="max-w-xs"
      />
      {ops.map((id) => (
        <OperationPanel key={id} operationId={id} title="Template operation" onFinished={refresh} />
      ))}
      <ErrorBox error={del.error} />
      <Card>
        <QueryView q={list} empty={`No templates on node ${nodeName}.`}>
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
                  <th className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
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
                    <td className={td}>
                      <InlineConfirm
                        open={deleting === t.name}
                        label="Delete"
                        ariaLabel={`Delete template ${t.name}`}
                        confirmLabel={`Delete ${t.name} from ${nodeName}`}
                        busy={del.isPending}
                        onOpen={() => (setDeleting(t.name), del.reset())}
                        onConfirm={() => del.mutate({ nodeId, name: t.name })}
                        onCancel={() => setDeleting(null)}
                      />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
      </Card>
      {nodeId && (
        <Card>
          <h2 className="mb-2 text-sm font-semibold text-slate-800">Upload a template to {nodeName}</h2>
          <p className="mb-3 text-xs text-slate-500">
            A root filesystem packed from its root (tar -C rootfs --numeric-owner -czf name.tar.gz .). The node checks
            it (an init, /bin/sh, safe paths) before it becomes a template.
          </p>
          <UploadForm key={nodeId} nodeId={nodeId} onStarted={(id) => setOps((o) => [id, ...o])} />
        </Card>
      )}
      {nodeId && (
        <Card>
          <h2 className="mb-2 text-sm font-semibold text-slate-800">Build a template on {nodeName}</h2>
          <p className="mb-3 text-xs text-slate-500">
            busybox comes from the node&apos;s busybox-static. debian-12 runs debootstrap on the node and needs its
            Debian mirror (OVZ_DEBIAN_MIRROR, deb.debian.org by default) to be reachable.
          </p>
          <div className="flex gap-2">
            {(["busybox", "debian-12"] as const).map((kind) => (
              <Button
                key={kind}
                variant="secondary"
                busy={build.isPending && build.variables?.kind === kind}
                onClick={() => build.mutate({ nodeId, kind })}
              >
                Build {kind}
              </Button>
            ))}
          </div>
          <ErrorBox error={build.error} />
        </Card>
      )}
    </div>
  );
}
