"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { Suspense } from "react";
import { Card } from "../../../_components/Card.js";
import { PageHeader } from "../../../_components/PageHeader.js";
import { QueryView } from "../../../_components/QueryView.js";
import { RequireRole } from "../../../_components/RequireRole.js";
import { when, mib } from "../../../_lib/format.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC, type RouterOutputs } from "../../../_lib/trpc.js";
import { link, table, td, th } from "../../../_lib/ui.js";
import { DeleteTenant } from "./DeleteTenant.js";
import { RenameTenant } from "./RenameTenant.js";
import { TenantContainers } from "./TenantContainers.js";
import { TenantUsers } from "./TenantUsers.js";

type Detail = RouterOutputs["tenants"]["get"];

function Facts({ t }: { t: Detail }) {
  const me = useMe();
  const back = me.role === "admin" ? "/tenants" : "/customers";
  const status = t.disabled
    ? "disabled"
    : t.suspendedAt
      ? `suspended: ${t.suspendReason ?? "no reason given"}`
      : "active";
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
      <dt className="text-slate-500">Kind</dt>
      <dd>{t.kind}</dd>
      <dt className="text-slate-500">Parent</dt>
      <dd>
        {t.parent ? (
          me.role === "admin" ? (
            <Link className={link} href={`/tenants/${t.parent.id}`}>
              {t.parent.name}
            </Link>
          ) : (
            t.parent.name
          )
        ) : (
          "—"
        )}
      </dd>
      <dt className="text-slate-500">Status</dt>
      <dd>{status}</dd>
      <dt className="text-slate-500">Created</dt>
      <dd>{when(t.createdAt)}</dd>
      <dt className="text-slate-500">Customers</dt>
      <dd>{t.children}</dd>
      <dt className="text-slate-500">All tenants</dt>
      <dd>
        <Link className={link} href={back}>
          back to the list
        </Link>
      </dd>
    </dl>
  );
}

function Usage({ t }: { t: Detail }) {
  const states = Object.entries(t.states);
  return (
    <div className="flex flex-col gap-3 text-sm">
      <p>
        {t.containers} container{t.containers === 1 ? "" : "s"}
        {states.length > 0 && ` (${states.map(([s, n]) => `${n} ${s}`).join(", ")})`}
      </p>
      {t.planUsage.length > 0 && (
        <table className={table} aria-label="Plans in use">
          <thead>
            <tr>
              <th className={th}>Plan</th>
              <th className={`${th} text-right`}>Containers</th>
            </tr>
          </thead>
          <tbody>
            {t.planUsage.map((p) => (
              <tr key={p.planId}>
                <td className={td}>{p.name}</td>
                <td className={`${td} text-right tabular-nums`}>{p.containers}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {t.allocation && (
        <p data-testid="tenant-allocation">
          Allocation:{" "}
          {t.allocation.limits
            ? `${t.allocation.used.containers} / ${t.allocation.limits.containers} containers, ` +
              `${t.allocation.used.cpus} / ${t.allocation.limits.cpus} vCPUs, ` +
              `${mib(t.allocation.used.ramMb)} / ${mib(t.allocation.limits.ramMb)} RAM, ` +
              `${mib(t.allocation.used.diskMb)} / ${mib(t.allocation.limits.diskMb)} disk`
            : "none set yet"}
        </p>
      )}
    </div>
  );
}

function Tenant() {
  const me = useMe();
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const q = useQuery(trpc.tenants.get.queryOptions({ tenantId: id }));
  return (
    <QueryView q={q} loading="Loading the tenant">
      {(t) => (
        <>
          <PageHeader
            title={t.name}
            subtitle={`${t.kind[0]!.toUpperCase()}${t.kind.slice(1)}: users, containers and plan usage.`}
          />
          <div className="flex flex-col gap-4">
            <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
              <Card title="Details">
                <Facts t={t} />
              </Card>
              <Card title="Plan usage">
                <Usage t={t} />
              </Card>
            </div>
            <Card title="Users">
              <TenantUsers t={t} />
            </Card>
            <Card title="Containers">
              <TenantContainers tenantId={t.id} />
            </Card>
            {t.kind !== "platform" && t.id !== me.tenant.id && (
              <Card title="Rename">
                <RenameTenant t={t} />
              </Card>
            )}
            {t.kind !== "platform" && (
              <Card title="Delete tenant">
                <DeleteTenant t={{ id: t.id, name: t.name, kind: t.kind }} />
              </Card>
            )}
          </div>
        </>
      )}
    </QueryView>
  );
}

export default function TenantPage() {
  return (
    <RequireRole roles={["admin", "reseller"]}>
      <Suspense>
        <Tenant />
      </Suspense>
    </RequireRole>
  );
}
