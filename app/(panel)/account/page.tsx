"use client";
import { Card } from "../../_components/Card.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { useMe } from "../../_lib/me.js";
import { ChangePasswordForm } from "./ChangePasswordForm.js";
import { TokensCard } from "./TokensCard.js";
import { TwoFactorCard } from "./TwoFactorCard.js";

export default function AccountPage() {
  const me = useMe();
  const rows: [string, string][] = [
    ["Name", me.name],
    ["Email", me.email],
    ["Role", me.role],
    ["Tenant", `${me.tenant.name} (${me.tenant.kind})`],
    ["Two-factor login", me.totpEnabled ? "on" : "off"],
  ];
  return (
    <>
      <PageHeader title="Account" />
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
        <Card title="Profile">
          <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
            {rows.map(([k, v]) => (
              <div key={k} className="contents">
                <dt className="text-slate-500">{k}</dt>
                <dd>{v}</dd>
              </div>
            ))}
          </dl>
        </Card>
        <ChangePasswordForm />
        <TwoFactorCard />
        <div className="xl:col-span-2">
          <TokensCard />
        </div>
      </div>
    </>
  );
}
