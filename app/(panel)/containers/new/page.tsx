"use client";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { AllocationSummary } from "../../../_components/AllocationSummary.js";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { PageHeader } from "../../../_components/PageHeader.js";
import { RequireRole } from "../../../_components/RequireRole.js";
import { SelectField } from "../../../_components/SelectField.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { showLimit } from "../../../_lib/limits.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { CreateProgress, useCreateContainer } from "./CreateProgress.js";
import { SelfServiceCreate } from "./SelfServiceCreate.js";
import { NET_MODE_LABELS, NET_MODES, type NetMode } from "../../../../server/services/net-modes.js";

function NewContainer() {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const tenants = useQuery(trpc.tenants.list.queryOptions());
  const plans = useQuery(trpc.plans.list.queryOptions());
  const [tenantId, setTenantId] = useState("");
  const [planId, setPlanId] = useState("");
  const [template, setTemplate] = useState("");
  const [hostname, setHostname] = useState("");
  const [netMode, setNetMode] = useState<NetMode>("venet");
  const { create, fields, op, result, start, finished } = useCreateContainer(
    () => setHostname(""),
    () => void qc.invalidateQueries(trpc.allocations.pathFilter()),
  );
  const customers = (tenants.data ?? [])
    .filter((t) => t.kind === "customer")
    .sort((a, b) => (a.parent?.name ?? "").localeCompare(b.parent?.name ?? ""));
  const plan = plans.data?.find((p) => p.id === planId);
  const templates = plan?.templates ?? [];

  const submit = (e: FormEvent) => {
    e.preventDefault();
    start({ tenantId, planId, template, hostname, netMode });
  };

  return (
    <>
      <PageHeader title="New container" subtitle="Create a container for one of your customers from a plan." />
      <div className="flex max-w-3xl flex-col gap-4">
        {me.role === "reseller" && <AllocationSummary tenantId={me.tenant.id} />}
        <Card>
          <form
            onSubmit={submit}
            noValidate
            className="grid grid-cols-1 gap-3 sm:grid-cols-2"
            aria-label="New container"
          >
            <SelectField
              label="Customer"
              value={tenantId}
              onChange={setTenantId}
              placeholder={tenants.isPending ? "Loading…" : customers.length ? "Choose a customer" : "No customers yet"}
              options={customers.map((t) => ({
                value: t.id,
                label: t.name,
                group: me.role === "admin" ? `Customers of ${t.parent?.name ?? "the platform"}` : undefined,
              }))}
              error={fields.tenantId}
            />
            <SelectField
              label="Plan"
              value={planId}
              onChange={(v) => {
                setPlanId(v);
                const p = plans.data?.find((x) => x.id === v);
                setTemplate(p?.templates[0] ?? "");
              }}
              placeholder={plans.isPending ? "Loading…" : plans.data?.length ? "Choose a plan" : "No plans yet"}
              options={[...(plans.data ?? [])]
                .sort((a, b) => a.owner.name.localeCompare(b.owner.name) || a.name.localeCompare(b.name))
                .map((p) => ({ value: p.id, label: p.name, group: `Plans of ${p.owner.name}` }))}
              error={fields.planId}
              hint={
                plan
                  ? `RAM ${showLimit("ram", plan.limits.ram)} · disk ${showLimit("diskspace", plan.limits.diskspace)} · vCPUs ${plan.limits.cpus || "all"} · ${plan.ipCount} IP`
                  : undefined
              }
            />
            <SelectField
              label="Template"
              value={template}
              onChange={setTemplate}
              placeholder={plan ? undefined : "Choose a plan first"}
              options={templates.map((t) => ({ value: t, label: t }))}
              error={fields.template}
              disabled={!plan}
            />
            <TextField
              label="Hostname"
              value={hostname}
              onChange={setHostname}
              placeholder="web1.example.com"
              error={fields.hostname}
              autoComplete="off"
              spellCheck={false}
            />
            <SelectField
              label="Network mode"
              value={netMode}
              onChange={(v) => setNetMode(v as typeof netMode)}
              options={NET_MODES.map((m) => ({ value: m, label: NET_MODE_LABELS[m].create }))}
              error={fields.netMode}
              hint={
                plan
                  ? `The plan's ${plan.ipCount} address(es) come from the node's ${netMode === "none" ? "—" : netMode} IP pools.`
                  : undefined
              }
            />
            <div className="flex flex-col gap-3 sm:col-span-2">
              <ErrorBox
                error={create.error}
                title={errInfo(create.error)?.domainCode === "QUOTA_EXCEEDED" ? "Allocation exceeded" : undefined}
              />
              <ErrorBox error={tenants.error ?? plans.error} />
              <div>
                <Button type="submit" busy={create.isPending} disabled={!!op && !result}>
                  Create container
                </Button>
              </div>
            </div>
          </form>
        </Card>
        <CreateProgress op={op} result={result} onFinished={finished} />
      </div>
    </>
  );
}

/** Sellers create for their customers; customers for themselves, within their self-service quota. */
function ByRole() {
  return useMe().role === "customer" ? <SelfServiceCreate /> : <NewContainer />;
}

export default function NewContainerPage() {
  return (
    <RequireRole roles={["admin", "reseller", "customer"]}>
      <ByRole />
    </RequireRole>
  );
}
