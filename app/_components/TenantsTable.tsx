"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { when } from "../_lib/format.js";
import { useMe } from "../_lib/me.js";
import { useTRPC, type RouterOutputs } from "../_lib/trpc.js";
import { link, table, td, th } from "../_lib/ui.js";
import { Button } from "./Button.js";
import { Empty } from "./Empty.js";
import { ErrorBox } from "./ErrorBox.js";
import { ScrollBox } from "./ScrollBox.js";
import { TenantSuspend } from "./TenantSuspend.js";

type Tenant = RouterOutputs["tenants"]["list"][number];

/**
 * The tenants as a tree (platform → resellers → their customers), each after its parent, with its depth; a tenant
 * whose parent is not in the list starts a tree of its own.
 */
export function treeOrder(tenants: Tenant[]): { t: Tenant; depth: number }[] {
  const ids = new Set(tenants.map((t) => t.id));
  const kids = new Map<string, Tenant[]>();
  for (const t of tenants) {
    const p = t.parent && ids.has(t.parent.id) ? t.parent.id : "";
    kids.set(p, [...(kids.get(p) ?? []), t]);
  }
  const out: { t: Tenant; depth: number }[] = [];
  const walk = (parent: string, depth: number) => {
    for (const t of kids.get(parent) ?? []) {
      out.push({ t, depth });
      if (depth < 8) walk(t.id, depth + 1);
    }
  };
  walk("", 0);
  return out;
}

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
            {treeOrder(tenants).map(({ t, depth }) => (
              <tr key={t.id} data-depth={depth}>
                <td className={`${td} font-medium`}>
                  <span className="inline-flex items-center gap-1" style={{ paddingLeft: `${depth * 1.25}rem` }}>
                    {depth > 0 && (
                      <span aria-hidden className="text-slate-400">
                        └
                      </span>
                    )}
                    <Link className={link} href={`/tenants/${t.id}`}>
                      {t.name}
                    </Link>
                  </span>
                </td>
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
