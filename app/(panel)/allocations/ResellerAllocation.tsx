"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { FeatureChoices } from "../../_components/FeatureChoices.js";
import { Notice } from "../../_components/Notice.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC, type RouterOutputs } from "../../_lib/trpc.js";
import { AMOUNTS, type AmountKey } from "./amounts.js";
import { featureKeySchema, type FeatureKey } from "../../../native/src/features.js";

type Row = RouterOutputs["allocations"]["list"][number];
type Texts = Record<AmountKey, string>;

function textsOf(r: Row): Texts {
  return Object.fromEntries(AMOUNTS.map(([k]) => [k, r.allocation ? String(r.allocation[k]) : "0"])) as Texts;
}

function featuresOfRow(r: Row): FeatureKey[] {
  let list: unknown = [];
  try {
    list = JSON.parse(r.allocation?.features ?? "[]");
  } catch {
    list = [];
  }
  return Array.isArray(list) ? list.filter((k): k is FeatureKey => featureKeySchema.safeParse(k).success) : [];
}

/** One reseller: what it uses against what it may sell, and the form to set the allocation. */
export function ResellerAllocation({ row }: { row: Row }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [texts, setTexts] = useState<Texts>(() => textsOf(row));
  const [features, setFeatures] = useState<FeatureKey[]>(() => featuresOfRow(row));
  const m = useMutation(
    trpc.allocations.set.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.allocations.pathFilter()) }),
  );
  const fields = errInfo(m.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const n = (k: AmountKey) => (/^\d+$/.test(texts[k].trim()) ? Number(texts[k].trim()) : Number.NaN);
    m.mutate({
      tenantId: row.tenantId,
      containers: n("containers"),
      cpus: n("cpus"),
      ramMb: n("ramMb"),
      swapMb: n("swapMb"),
      diskMb: n("diskMb"),
      ipCount: n("ipCount"),
      features,
    });
  };
  return (
    <section
      data-testid={`allocation-${row.name}`}
      className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm"
    >
      <div className="mb-3 flex items-baseline justify-between gap-2">
        <h2 className="text-base font-semibold text-slate-800">{row.name}</h2>
        {!row.allocation && (
          <span className="text-xs font-medium text-amber-800">
            no allocation yet: this reseller cannot create containers
          </span>
        )}
      </div>
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <div className="grid grid-cols-2 gap-3 sm:grid-cols-3 lg:grid-cols-6">
          {AMOUNTS.map(([k, label]) => {
            const over = row.allocation ? row.used[k] > row.allocation[k] : false;
            return (
              <TextField
                key={k}
                id={`alloc-${row.tenantId}-${k}`}
                label={label}
                inputMode="numeric"
                value={texts[k]}
                onChange={(v) => {
                  setTexts((t) => ({ ...t, [k]: v }));
                  if (m.isSuccess) m.reset();
                }}
                error={fields[k]}
                hint={<span className={over ? "font-semibold text-red-700" : ""}>used {row.used[k]}</span>}
              />
            );
          })}
        </div>
        <FeatureChoices
          legend="Features its plans may allow (docs/features.md)"
          value={features}
          onChange={(v) => {
            setFeatures(v);
            if (m.isSuccess) m.reset();
          }}
          error={fields.features}
        />
        <ErrorBox error={m.error} />
        {m.isSuccess && <Notice>Saved: the allocation of {row.name} is updated.</Notice>}
        <div>
          <Button type="submit" busy={m.isPending}>
            Save allocation
          </Button>
        </div>
      </form>
    </section>
  );
}
