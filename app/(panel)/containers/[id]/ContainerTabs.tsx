"use client";
import { useQueryClient } from "@tanstack/react-query";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { Tabs, type TabDef } from "../../../_components/Tabs.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { BackupPolicyCard } from "./BackupPolicyCard.js";
import { BackupsCard } from "./BackupsCard.js";
import { BootLogCard } from "./BootLogCard.js";
import { CloneCard } from "./CloneCard.js";
import { ConsoleCard } from "./ConsoleCard.js";
import { DestroyForm } from "./DestroyForm.js";
import { FeaturesCard } from "./FeaturesCard.js";
import { FirewallCard } from "./FirewallCard.js";
import { HostnameCard } from "./HostnameCard.js";
import { LimitsCard } from "./LimitsCard.js";
import { LiveLimitsForm } from "./LiveLimitsForm.js";
import { MigrateCard } from "./MigrateCard.js";
import { NetworkCard } from "./NetworkCard.js";
import { RecentOperations } from "./RecentOperations.js";
import { ReinstallForm } from "./ReinstallForm.js";
import { ResetPasswordForm } from "./ResetPasswordForm.js";
import { SnapshotsCard } from "./SnapshotsCard.js";
import { SshKeysCard } from "./SshKeysCard.js";
import { SummaryCard } from "./SummaryCard.js";
import { SuspendCard } from "./SuspendCard.js";
import { TrafficCard } from "./TrafficCard.js";
import type { ContainerView, StartedOp } from "./types.js";
import { UsageCard } from "./UsageCard.js";
import { UsageGraphs } from "./UsageGraphs.js";

export const CONTAINER_TABS = [
  { id: "summary", label: "Summary" },
  { id: "console", label: "Console" },
  { id: "resources", label: "Resources" },
  { id: "network", label: "Network" },
  { id: "firewall", label: "Firewall" },
  { id: "snapshots", label: "Snapshots" },
  { id: "backups", label: "Backups" },
  { id: "settings", label: "Settings" },
] as const satisfies readonly TabDef<string>[];
export type ContainerTab = (typeof CONTAINER_TABS)[number]["id"];

const isTab = (v: string | null): v is ContainerTab => CONTAINER_TABS.some((t) => t.id === v);

/**
 * The container page's tabs. The tab is in the URL (`?tab=network`; Summary has none), so a reload, a link and
 * the back button show the same tab. Only the shown tab's cards are rendered, and each card asks for its own
 * data in a request of its own (SOLO), showing a skeleton until it arrives.
 */
export function ContainerTabs({
  c,
  shownState,
  busy,
  onStarted,
}: {
  c: ContainerView;
  shownState: string;
  busy: boolean;
  onStarted: (op: StartedOp) => void;
}) {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const asked = params.get("tab");
  const tab: ContainerTab = isTab(asked) ? asked : "summary";
  const select = (t: ContainerTab) => {
    if (t === tab) return;
    const q = new URLSearchParams(params.toString());
    if (t === "summary") q.delete("tab");
    else q.set("tab", t);
    const s = q.toString();
    router.push(s ? `${pathname}?${s}` : pathname, { scroll: false });
  };
  const seller = me.role === "admin" || me.role === "reseller";
  return (
    <Tabs label="Container" tabs={CONTAINER_TABS} selected={tab} onSelect={select} idPrefix="ct">
      {tab === "summary" && (
        <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
          <SummaryCard c={c} state={shownState} />
          <RecentOperations containerId={c.id} />
        </div>
      )}
      {tab === "console" && (
        <div className="flex min-w-0 flex-col gap-4">
          <ConsoleCard containerId={c.id} running={c.state === "running"} />
          <BootLogCard containerId={c.id} />
        </div>
      )}
      {tab === "resources" && (
        <>
          <UsageGraphs containerId={c.id} />
          <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
            <UsageCard containerId={c.id} />
            <LimitsCard c={c} />
          </div>
          {me.role === "admin" && <LiveLimitsForm c={c} />}
        </>
      )}
      {tab === "network" && (
        <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
          <NetworkCard c={c} />
          <TrafficCard containerId={c.id} />
        </div>
      )}
      {tab === "firewall" && <FirewallCard c={c} />}
      {tab === "snapshots" && <SnapshotsCard containerId={c.id} busy={busy} />}
      {tab === "backups" && (
        <div className="flex min-w-0 flex-col gap-4">
          <BackupsCard containerId={c.id} state={c.state} busy={busy} onStarted={onStarted} />
          <BackupPolicyCard containerId={c.id} tenantId={c.tenant.id} />
        </div>
      )}
      {tab === "settings" && (
        <div className="grid grid-cols-1 gap-4 xl:grid-cols-2">
          <div className="flex min-w-0 flex-col gap-4">
            <HostnameCard c={c} busy={busy} />
            <ResetPasswordForm c={c} />
            <SshKeysCard containerId={c.id} />
            <FeaturesCard containerId={c.id} />
          </div>
          <div className="flex min-w-0 flex-col gap-4">
            {(seller || c.plan.customerMaxContainers > 0) && <CloneCard c={c} busy={busy} />}
            <ReinstallForm c={c} busy={busy} onStarted={onStarted} />
            {me.role === "admin" && <MigrateCard c={c} busy={busy} onStarted={onStarted} />}
            {seller && (
              <SuspendCard
                c={c}
                busy={busy}
                onStarted={onStarted}
                onChanged={() => void qc.invalidateQueries(trpc.containers.get.queryFilter({ containerId: c.id }))}
              />
            )}
            {/* customers destroy their own self-service containers (server: not suspended, not a billed service) */}
            {(seller || (c.plan.customerMaxContainers > 0 && !c.suspension && !c.externalId)) && (
              <DestroyForm c={c} busy={busy} onStarted={onStarted} />
            )}
          </div>
        </div>
      )}
    </Tabs>
  );
}
