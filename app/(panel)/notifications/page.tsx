"use client";
import { PageHeader } from "../../_components/PageHeader.js";
import { useMe } from "../../_lib/me.js";
import { DefaultsCard } from "./DefaultsCard.js";
import { DeliveriesCard } from "./DeliveriesCard.js";
import { PrefsCard } from "./PrefsCard.js";
import { SmtpCard } from "./SmtpCard.js";
import { WebhooksCard } from "./WebhooksCard.js";

/**
 * Notifications: the caller's preferences, webhook endpoints and delivery log; the defaults for their customers
 * for admins and resellers; the SMTP server for admins.
 */
export default function NotificationsPage() {
  const me = useMe();
  return (
    <>
      <PageHeader title="Notifications" />
      <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
        <PrefsCard />
        {me.role !== "customer" && <DefaultsCard />}
        {me.role === "admin" && <SmtpCard />}
        <div className="xl:col-span-2">
          <WebhooksCard />
        </div>
        <div className="xl:col-span-2">
          <DeliveriesCard />
        </div>
      </div>
    </>
  );
}
