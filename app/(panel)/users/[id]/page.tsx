"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { Suspense } from "react";
import { Card } from "../../../_components/Card.js";
import { PageHeader } from "../../../_components/PageHeader.js";
import { QueryView } from "../../../_components/QueryView.js";
import { RequireRole } from "../../../_components/RequireRole.js";
import { when } from "../../../_lib/format.js";
import { useTRPC, type RouterOutputs } from "../../../_lib/trpc.js";
import { link } from "../../../_lib/ui.js";
import { UserActions } from "./UserActions.js";
import { UserActivity } from "./UserActivity.js";

type User = RouterOutputs["users"]["get"];

function Facts({ u }: { u: User }) {
  return (
    <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm" data-testid="user-facts">
      <dt className="text-slate-500">Email</dt>
      <dd className="break-all">{u.email}</dd>
      <dt className="text-slate-500">Role</dt>
      <dd>{u.role}</dd>
      <dt className="text-slate-500">Tenant</dt>
      <dd>
        <Link className={link} href={`/tenants/${u.tenant.id}`}>
          {u.tenant.name}
        </Link>{" "}
        <span className="text-xs text-slate-500">({u.tenant.kind})</span>
      </dd>
      <dt className="text-slate-500">Status</dt>
      <dd>
        {u.disabled ? (
          <span className="font-medium text-red-700">disabled</span>
        ) : u.tenant.disabled ? (
          <span className="font-medium text-red-700">tenant disabled</span>
        ) : (
          <span className="text-green-700">active</span>
        )}
      </dd>
      <dt className="text-slate-500">Two-factor login</dt>
      <dd>{u.totpEnabled ? "on" : "off"}</dd>
      <dt className="text-slate-500">Created</dt>
      <dd>{when(u.createdAt)}</dd>
      <dt className="text-slate-500">Last login</dt>
      <dd>{u.lastLogin ? when(u.lastLogin) : "never (or not recorded)"}</dd>
      <dt className="text-slate-500">Open sessions</dt>
      <dd>{u.sessions}</dd>
    </dl>
  );
}

function UserDetail() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const q = useQuery(trpc.users.get.queryOptions({ userId: id }));
  return (
    <QueryView q={q} loading="Loading the user">
      {(u) => (
        <>
          <PageHeader title={u.name} subtitle={`User of ${u.tenant.name}: details, actions and recent activity.`} />
          <div className="flex flex-col gap-4">
            <div className="grid grid-cols-1 gap-4 lg:grid-cols-2">
              <Card title="Details">
                <Facts u={u} />
              </Card>
              <Card title="Actions">
                <UserActions u={u} />
              </Card>
            </div>
            <Card title="Recent activity">
              <UserActivity userId={u.id} />
            </Card>
          </div>
        </>
      )}
    </QueryView>
  );
}

export default function UserPage() {
  return (
    <RequireRole roles={["admin", "reseller"]}>
      <Suspense>
        <UserDetail />
      </Suspense>
    </RequireRole>
  );
}
