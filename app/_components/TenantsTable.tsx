"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { when } from "../_lib/format.js";
import { useMe } from "../_lib/me.js";
import { useTRPC, type RouterOutputs } from "../_lib/trpc.js";
import { table, td, th } from "../_lib/ui.js";
import { Button } from "./Button.js";
import { Empty } from "./Empty.js";
import { ErrorBox } from "./ErrorBox.js";
import { ScrollBox } from "./ScrollBox.js";
import { TenantSuspend } from "./TenantSuspend.js";

type Tenant = RouterOutputs["tenants"]["list"][number];

export function TenantsTable({ tenants, showKind }: { tenants: Tenant[]; showKind: boolean }) {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const update = useMutation(
    trpc.tenants.update.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.tenants.pathFilter()) }),
  );
  if (tenants.length === 0) return <Empty>None yet.</Empty>;
  return (
    <div className="flex flex-col gap-2">
      <ErrorBox error={update.error} />
      <ScrollBox label="Tenants">
        <table className={table} aria-label="Tenants">
          <thead>
            <tr>
              <th className={th}>Name</th>
              {showKind && <th className={th}>Kind</th>}
              {showKind && <th className={th}>Parent</th>}
              <th className={`${th} text-right`}>Users</th>
              <th className={`${th} text-right`}>Containers</th>
              <th className={th}>Created</th>
              <th className={th}>Status</th>
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tenants.map((t) => (
              <tr key={t.id}>
                <td className={`${td} font-medium`}>{t.name}</td>
                {showKind && <td className={td}>{t.kind}</td>}
                {showKind && <td className={td}>{t.parent?.name ?? "—"}</td>}
                <td className={`${td} text-right tabular-nums`}>{t.counts.users}</td>
                <td className={`${td} text-right tabular-nums`}>{t.counts.containers}</td>
                <td className={`${td} text-xs`}>{when(t.createdAt)}</td>
                <td className={td}>
                  {t.disabled ? (
                    <span className="font-medium text-red-700">disabled</span>
                  ) : !t.suspension ? (
                    <span className="text-green-700">active</span>
                  ) : null}
                  {t.suspension && (
                    <span className="block font-medium text-amber-700" data-testid="tenant-suspension">
                      suspended: {t.suspension.reason ?? "no reason given"}
                    </span>
                  )}
                </td>
                <td className={`${td} text-right`}>
                  {t.kind === "customer" && t.id !== me.tenant.id && (
                    <TenantSuspend tenant={{ id: t.id, name: t.name, suspended: !!t.suspension }} />
                  )}{" "}
                  {t.kind !== "platform" && (
                    <Button
                      variant="secondary"
                      className="px-2 py-0.5 text-xs"
                      busy={update.isPending && update.variables?.tenantId === t.id}
                      onClick={() => update.mutate({ tenantId: t.id, disabled: !t.disabled })}
                    >
                      {t.disabled ? "Enable" : "Disable"}
                    </Button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </ScrollBox>
    </div>
  );
}
