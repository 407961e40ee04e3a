"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useState } from "react";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { Notice } from "../../../_components/Notice.js";
import { OperationPanel } from "../../../_components/OperationPanel.js";
import { PageHeader } from "../../../_components/PageHeader.js";
import { StateBadge } from "../../../_components/StateBadge.js";
import { seconds, when } from "../../../_lib/format.js";
import { useLive } from "../../../_lib/live.js";
import { pollEvery } from "../../../_lib/live-events.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import { isActive, type LiveOperation } from "../../../_lib/useOperation.js";
import { link } from "../../../_lib/ui.js";
import { ContainerActions } from "./ContainerActions.js";
import { ContainerTabs } from "./ContainerTabs.js";
import type { StartedOp } from "./types.js";

/** What the header shows while an operation that changes the container's state runs. */
const DOING: Record<string, string> = {
  start: "starting",
  stop: "stopping",
  restart: "restarting",
  reinstall: "reinstalling",
  restore: "restoring",
  destroy: "destroying",
};

export default function ContainerPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useMe();
  const [op, setOp] = useState<{ id: string; type: string; running: boolean } | null>(null);
  const [destroyed, setDestroyed] = useState(false);
  const live = useLive();
  // Not read again while this page's destroy runs: the container's event at its end would make the page "No such
  // container" before the operation panel shows that the destroy succeeded. (Read once if the page has nothing.)
  const destroying =
    op?.running === true &&
    op.type === "destroy" &&
    qc.getQueryData(trpc.containers.get.queryKey({ containerId: id })) !== undefined;
  const c = useQuery(
    trpc.containers.get.queryOptions(
      { containerId: id },
      {
        enabled: !destroyed && !destroying,
        refetchInterval: op?.running ? false : pollEvery(live, 15_000),
        trpc: { context: SOLO },
      },
    ),
  );
  const recent = useQuery(
    trpc.operations.list.queryOptions({ containerId: id, take: 10 }, { enabled: !destroyed, trpc: { context: SOLO } }),
  );

  // After a reload, pick up an operation that is still running on this container.
  const runningOp = recent.data?.find((o) => isActive(o.status));
  useEffect(() => {
    // also one started elsewhere (another tab, the CLI) after this page's own operation ended
    if (runningOp && (!op || (!op.running && op.id !== runningOp.id)))
      setOp({ id: runningOp.id, type: runningOp.type, running: true });
  }, [runningOp, op]);

  const started = (o: StartedOp) => setOp({ id: o.id, type: o.type, running: true });
  const finished = (o: LiveOperation) => {
    void qc.invalidateQueries(trpc.operations.pathFilter());
    if (o.type === "destroy" && o.status === "succeeded") {
      setOp({ id: o.id, type: o.type, running: false });
      setDestroyed(true);
      void qc.invalidateQueries(trpc.containers.list.queryFilter());
      return;
    }
    // The page stays busy (buttons off, the state shown as "stopping", …) until the container's fresh state is
    // here: a stopped container never shows "running" after its stop succeeded.
    void qc
      .invalidateQueries(trpc.containers.pathFilter())
      .finally(() => setOp((cur) => (cur?.id === o.id ? { ...cur, running: false } : cur)));
  };

  const panel = op && <OperationPanel key={op.id} operationId={op.id} onFinished={finished} />;

  if (destroyed) {
    return (
      <div className="flex flex-col gap-4">
        <PageHeader title="Container destroyed" />
        {panel}
        <Notice>
          The container was destroyed.{" "}
          <Link className={link} href="/containers">
            Back to containers
          </Link>
        </Notice>
      </div>
    );
  }
  if (c.isPending) return <Loading what="Loading container" />;
  if (c.error) {
    // the operation panel stays: a destroy that ended before its own answer arrived (the container's event came
    // first) shows its result here, and "Container destroyed" once the panel sees it succeed
    return (
      <div className="flex flex-col gap-3">
        {panel}
        <ErrorBox error={c.error} />
        <Link className={link} href="/containers">
          Back to containers
        </Link>
      </div>
    );
  }

  const ct = c.data;
  const busy = !!op?.running;
  const shownState = (busy && op && DOING[op.type]) || ct.state;
  const seller = me.role === "admin" || me.role === "reseller";
  return (
    <div className="flex flex-col gap-4">
      <PageHeader
        title={
          <span className="flex flex-wrap items-center gap-x-3">
            <span className="break-all">{ct.hostname}</span>
            <span data-testid="container-state">
              <StateBadge state={shownState} />
            </span>
          </span>
        }
        subtitle={
          <>
            CTID{" "}
            <span className="font-mono" data-testid="container-ctid">
              {ct.ctid}
            </span>
            {ct.name && (
              <>
                {" "}
                · name{" "}
                <span className="font-mono" data-testid="container-name">
                  {ct.name}
                </span>
              </>
            )}
            {ct.onboot && " · starts at boot"} · template {ct.template} · plan {ct.plan.name} · owner {ct.tenant.name} ·
            node {ct.node.name} · created {when(ct.createdAt)}
          </>
        }
        actions={<ContainerActions c={ct} busy={busy} onStarted={started} />}
      />
      {ct.suspension && (
        <div data-testid="suspension-notice">
          <Notice tone="warn">
            This container is suspended by {seller ? "you (its provider)" : "your provider"} since{" "}
            {when(ct.suspension.since)}: {ct.suspension.reason ?? "no reason given"}. It stays stopped until it is
            unsuspended{seller ? "" : "; contact your provider"}. Nothing in it was deleted.
          </Notice>
        </div>
      )}
      {ct.hostReboot && (
        <div data-testid="host-reboot-notice">
          <Notice tone="info">
            Its host restarted on {when(ct.hostReboot.resumedAt)}: this container was suspended for{" "}
            {seconds(ct.hostReboot.suspendedSec)} and then resumed with its processes, memory and connections as they
            were.
          </Notice>
        </div>
      )}
      {ct.description && (
        <p className="text-sm text-slate-600" data-testid="container-description">
          {ct.description}
        </p>
      )}
      {panel}
      <ContainerTabs c={ct} shownState={shownState} busy={busy} onStarted={started} />
    </div>
  );
}
