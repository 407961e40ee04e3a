"use client";
import { useQuery } from "@tanstack/react-query";
import { useId, useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Notice } from "../../../_components/Notice.js";
import { PageHeader } from "../../../_components/PageHeader.js";
import { SelectField } from "../../../_components/SelectField.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { showLimit } from "../../../_lib/limits.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC, type RouterOutputs } from "../../../_lib/trpc.js";
import { amount, limitedItems } from "../../../../server/services/customer-quota-fields.js";
import { CreateProgress, useCreateContainer } from "./CreateProgress.js";

type View = RouterOutputs["containers"]["selfService"];
type SelfPlan = View["plans"][number];

/** What the plan's quota allows, what the customer holds, what is left, and what one more container needs. */
function QuotaSummary({ plan, used }: { plan: SelfPlan; used: View["used"] }) {
  const title = useId();
  return (
    <section aria-labelledby={title} className="rounded-md border border-slate-200 bg-slate-50 px-3 py-2 text-sm">
      <h2 id={title} className="mb-1 font-semibold text-slate-700">
        Your quota on plan “{plan.name}”
      </h2>
      <ul className="flex flex-col gap-0.5 text-slate-700">
        {limitedItems(plan.quota).map((q) => {
          const left = plan.remaining[q.usage] ?? 0;
          const short = left < plan.need[q.usage];
          return (
            <li key={q.key} className={short ? "font-semibold text-red-700" : undefined}>
              {amount(q.usage, used[q.usage])} of {plan.quota[q.key]} used, {left} left; a new one needs{" "}
              {plan.need[q.usage]}
              {short ? " (not enough left)" : ""}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A customer's own container, of one of its self-service plans (docs/self-service.md). */
export function SelfServiceCreate() {
  const me = useMe();
  const trpc = useTRPC();
  const view = useQuery(trpc.containers.selfService.queryOptions());
  const [planId, setPlanId] = useState("");
  const [template, setTemplate] = useState("");
  const [hostname, setHostname] = useState("");
  const { create, fields, op, result, start, finished } = useCreateContainer(() => setHostname(""));
  const plans = view.data?.plans ?? [];
  const plan = plans.find((p) => p.id === planId) ?? (plans.length === 1 ? plans[0] : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    start({
      tenantId: me.tenant.id,
      planId: plan?.id ?? "",
      template: template || (plan?.templates[0] ?? ""),
      hostname,
    });
  };

  return (
    <>
      <PageHeader title="Create container" subtitle="A container of your own, within your plan's quota." />
      <div className="flex max-w-3xl flex-col gap-4">
        <ErrorBox error={view.error} />
        {view.data?.blocked && <Notice tone="warn">{view.data.blocked}</Notice>}
        {view.data && plans.length === 0 && (
          <Notice tone="info">Your plans do not let you create containers yourself; ask your provider for one.</Notice>
        )}
        {plans.length > 0 && (
          <Card>
            <form
              onSubmit={submit}
              noValidate
              className="grid grid-cols-1 gap-3 sm:grid-cols-2"
              aria-label="Create container"
            >
              <SelectField
                label="Plan"
                value={plan?.id ?? ""}
                onChange={(v) => {
                  setPlanId(v);
                  setTemplate(plans.find((p) => p.id === v)?.templates[0] ?? "");
                }}
                placeholder={plan ? undefined : "Choose a plan"}
                options={plans.map((p) => ({ value: p.id, label: p.name }))}
                error={fields.planId}
                hint={
                  plan
                    ? `RAM ${showLimit("ram", plan.limits.ram)} · disk ${showLimit("diskspace", plan.limits.diskspace)} · vCPUs ${plan.limits.cpus || "all"} · ${plan.ipCount} IP`
                    : undefined
                }
              />
              <SelectField
                label="Template"
                value={template || (plan?.templates[0] ?? "")}
                onChange={setTemplate}
                placeholder={plan ? undefined : "Choose a plan first"}
                options={(plan?.templates ?? []).map((t) => ({ value: t, label: t }))}
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
              <div className="flex flex-col gap-3 sm:col-span-2">
                {plan && view.data && <QuotaSummary plan={plan} used={view.data.used} />}
                <ErrorBox
                  error={create.error}
                  title={errInfo(create.error)?.domainCode === "QUOTA_EXCEEDED" ? "Quota exceeded" : undefined}
                />
                <div>
                  <Button type="submit" busy={create.isPending} disabled={!!op && !result}>
                    Create container
                  </Button>
                </div>
              </div>
            </form>
          </Card>
        )}
        <CreateProgress op={op} result={result} onFinished={finished} />
      </div>
    </>
  );
}
