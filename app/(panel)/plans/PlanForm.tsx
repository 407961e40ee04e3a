"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { FeatureChoices } from "../../_components/FeatureChoices.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { LimitFields } from "../../_components/LimitFields.js";
import { Notice } from "../../_components/Notice.js";
import { SelectField } from "../../_components/SelectField.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo, fieldError } from "../../_lib/errors.js";
import { defaultTexts, limitTexts, toPatch, type LimitTexts } from "../../_lib/limits.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { CustomerQuotaFields, quotaTexts, quotaValues } from "./CustomerQuotaFields.js";
import { TemplateChoices } from "./TemplateChoices.js";
import type { PlanRow } from "./types.js";
import type { FeatureKey } from "../../../native/src/features.js";
import type { TrafficOverage } from "../../../server/services/limits.js";

const OVERAGE_OPTIONS = [
  { value: "throttle", label: "Throttle to the rate above" },
  { value: "suspend", label: "Suspend the container" },
];

function num(text: string): number {
  return /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN;
}

/** Create a plan, or edit one (when `plan` is given). Limit inputs come from the LIMITS table. */
export function PlanForm({ plan, onDone }: { plan?: PlanRow; onDone?: () => void }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState(plan?.name ?? "");
  const me = useMe();
  // resellers sell a fixed number of vCPUs (the server refuses 0 = all of the host's): a new plan starts at 1
  const fresh = (): LimitTexts => ({ ...defaultTexts(), ...(me.role === "reseller" ? { cpus: "1" } : {}) });
  const [limits, setLimits] = useState<LimitTexts>(plan ? limitTexts(plan.limits) : fresh());
  const [bandwidth, setBandwidth] = useState(String(plan?.bandwidthMbps ?? 0));
  const [ips, setIps] = useState(String(plan?.ipCount ?? 1));
  const [quota, setQuota] = useState(String(plan?.trafficQuotaGb ?? 0));
  const [throttle, setThrottle] = useState(String(plan?.throttleKbit ?? 1024));
  const [overage, setOverage] = useState<TrafficOverage>(plan?.trafficOverage ?? "throttle");
  const [selfService, setSelfService] = useState(quotaTexts(plan));
  const [templates, setTemplates] = useState<string[]>(plan?.templates ?? []);
  const [features, setFeatures] = useState<FeatureKey[]>(plan?.allowedFeatures ?? []);
  const [saved, setSaved] = useState<string | null>(null);
  // the default backup policy of the plan's containers (docs/backup-policies.md): the owner's policies
  const [policyId, setPolicyId] = useState(plan?.backupPolicyId ?? "");
  const policies = useQuery(trpc.backupPolicies.list.queryOptions());
  const owner = plan?.tenantId ?? me.tenant.id;
  const policyOptions = [
    { value: "", label: "None" },
    ...(policies.data ?? [])
      .filter((p) => p.tenantId === owner || p.tenantId === me.tenant.id)
      .map((p) => ({ value: p.id, label: `${p.name}: ${p.kind} ${p.schedule} UTC` })),
  ];
  const setPolicy = useMutation(trpc.backupPolicies.setForPlan.mutationOptions({ onSuccess: () => refresh() }));
  /** After the plan is saved: its default policy, when it changed. */
  const savePolicy = (planId: string, then?: () => void) => {
    if ((plan?.backupPolicyId ?? "") === policyId) return then?.();
    setPolicy.mutate({ planId, policyId: policyId || null }, { onSuccess: () => then?.() });
  };

  const refresh = () => {
    void qc.invalidateQueries(trpc.plans.pathFilter());
    void qc.invalidateQueries(trpc.allocations.pathFilter());
  };
  const create = useMutation(
    trpc.plans.create.mutationOptions({
      onSuccess: (p) => {
        setSaved(`Plan “${p.name}” created.`);
        savePolicy(p.id);
        setPolicyId("");
        setName("");
        setLimits(fresh());
        setTemplates([]);
        setFeatures([]);
        refresh();
      },
    }),
  );
  const update = useMutation(
    trpc.plans.update.mutationOptions({
      onSuccess: (p) => {
        refresh();
        savePolicy(p.id, onDone);
      },
    }),
  );
  const m = plan ? update : create;
  const fields = errInfo(m.error)?.fields;

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setSaved(null);
    // Values the server must range-check are sent as typed (NaN → a field error from the server).
    const body = {
      name,
      limits: toPatch(limits),
      bandwidthMbps: num(bandwidth),
      ipCount: num(ips),
      trafficQuotaGb: num(quota),
      throttleKbit: num(throttle),
      trafficOverage: overage,
      ...quotaValues(selfService),
      templates,
      allowedFeatures: features,
    };
    if (plan) update.mutate({ planId: plan.id, ...body });
    else create.mutate(body);
  };

  return (
    <Card title={plan ? `Edit plan ${plan.name}` : "New plan"}>
      <form onSubmit={submit} noValidate className="flex flex-col gap-4" aria-label={plan ? "Edit plan" : "New plan"}>
        <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
          <TextField
            label="Plan name"
            value={name}
            onChange={setName}
            error={fieldError(fields, "name")}
            autoComplete="off"
          />
          <TextField
            label="Bandwidth (Mbit/s)"
            inputMode="numeric"
            value={bandwidth}
            onChange={setBandwidth}
            error={fieldError(fields, "bandwidthMbps")}
            hint="0 = not limited"
          />
          <TextField
            label="IP addresses"
            inputMode="numeric"
            value={ips}
            onChange={setIps}
            error={fieldError(fields, "ipCount")}
          />
          <TextField
            label="Traffic quota (GB per month)"
            inputMode="numeric"
            value={quota}
            onChange={setQuota}
            error={fieldError(fields, "trafficQuotaGb")}
            hint="received + sent; 0 = no quota"
          />
          <TextField
            label="Throttle rate over quota (kbit/s)"
            inputMode="numeric"
            value={throttle}
            onChange={setThrottle}
            error={fieldError(fields, "throttleKbit")}
            hint="until the next month"
          />
          <SelectField
            label="Over the traffic quota"
            value={overage}
            onChange={(v) => setOverage(v === "suspend" ? "suspend" : "throttle")}
            options={OVERAGE_OPTIONS}
            error={fieldError(fields, "trafficOverage")}
            hint="a suspended container is stopped until the next month or a raised quota"
          />
        </div>
        <CustomerQuotaFields value={selfService} onChange={setSelfService} fields={fields} />
        <div>
          <h3 className="mb-2 text-sm font-semibold text-slate-700">Limits</h3>
          <LimitFields
            idPrefix={plan ? "edit-plan" : "plan"}
            values={limits}
            onChange={(k, v) => setLimits((l) => ({ ...l, [k]: v }))}
            errorOf={(k) => fieldError(fields, `limits.${k}`, k)}
          />
        </div>
        <SelectField
          label="Default backup policy"
          value={policyId}
          onChange={setPolicyId}
          options={policyOptions}
          hint="scheduled backups of the plan's containers; make policies on a container's Backups tab"
          wrapClassName="max-w-xl"
        />
        <TemplateChoices
          value={templates}
          onChange={setTemplates}
          error={fieldError(fields, "templates", "templates.0")}
        />
        <FeatureChoices
          legend="Features customers may turn on (docs/features.md)"
          value={features}
          onChange={setFeatures}
          error={fieldError(fields, "allowedFeatures")}
        />
        <ErrorBox error={m.error ?? setPolicy.error} />
        {saved && <Notice>{saved}</Notice>}
        <div className="flex gap-2">
          <Button type="submit" busy={m.isPending}>
            {plan ? "Save plan" : "Create plan"}
          </Button>
          {plan && (
            <Button variant="secondary" onClick={onDone}>
              Cancel
            </Button>
          )}
        </div>
      </form>
    </Card>
  );
}
