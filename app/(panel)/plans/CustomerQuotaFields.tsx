"use client";
import { TextField } from "../../_components/TextField.js";
import { fieldError } from "../../_lib/errors.js";
import { CUSTOMER_QUOTA, type QuotaKey } from "../../../server/services/customer-quota-fields.js";

export type QuotaTexts = Record<QuotaKey, string>;

const HINT: Record<QuotaKey, string> = {
  customerMaxContainers: "all of a customer's containers; 0 = only you create them",
  customerMaxCpus: "over all of a customer's containers; 0 = no total",
  customerMaxRamMb: "0 = no total",
  customerMaxDiskMb: "0 = no total",
  customerMaxIps: "0 = no total",
};

export function quotaTexts(plan?: Partial<Record<QuotaKey, number>>): QuotaTexts {
  return Object.fromEntries(CUSTOMER_QUOTA.map((q) => [q.key, String(plan?.[q.key] ?? 0)])) as QuotaTexts;
}

/** As typed: a value that is not a whole number goes as NaN, which the server answers with a field error. */
export function quotaValues(t: QuotaTexts): Record<QuotaKey, number> {
  return Object.fromEntries(
    CUSTOMER_QUOTA.map((q) => [q.key, /^\d+$/.test(t[q.key].trim()) ? Number(t[q.key].trim()) : Number.NaN]),
  ) as Record<QuotaKey, number>;
}

/**
 * Customer self-service (docs/self-service.md): customers create, clone, restore as new and destroy their own
 * containers of the plan while all of theirs stay within these numbers.
 */
export function CustomerQuotaFields({
  value,
  onChange,
  fields,
}: {
  value: QuotaTexts;
  onChange: (v: QuotaTexts) => void;
  fields: Record<string, string> | undefined;
}) {
  return (
    <fieldset className="flex flex-col gap-2">
      <legend className="mb-2 text-sm font-semibold text-slate-700">Customer self-service</legend>
      <p className="text-sm text-slate-600">
        Customers of this plan create, clone and destroy their own containers while all of theirs stay within these
        numbers.
      </p>
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        {CUSTOMER_QUOTA.map((q) => (
          <TextField
            key={q.key}
            label={q.label}
            inputMode="numeric"
            value={value[q.key]}
            onChange={(v) => onChange({ ...value, [q.key]: v })}
            error={fieldError(fields, q.key)}
            hint={HINT[q.key]}
          />
        ))}
      </div>
    </fieldset>
  );
}
