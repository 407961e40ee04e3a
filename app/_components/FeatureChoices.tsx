"use client";
import { useId } from "react";
import { FEATURE_KEYS, FEATURES, type FeatureKey } from "../../native/src/features.js";
import { CheckboxField } from "./CheckboxField.js";

/**
 * Checkboxes of the container features (native/src/features.ts): for a plan (what its customers may turn on) or a
 * reseller's allocation (what its plans may allow). `offered` limits the boxes shown (default: all).
 */
export function FeatureChoices({
  value,
  onChange,
  legend,
  error,
  offered = FEATURE_KEYS,
}: {
  value: readonly FeatureKey[];
  onChange: (v: FeatureKey[]) => void;
  legend: string;
  error?: string;
  offered?: readonly FeatureKey[];
}) {
  const id = useId().replace(/:/g, "");
  const toggle = (k: FeatureKey, on: boolean) =>
    onChange(FEATURE_KEYS.filter((x) => (x === k ? on : value.includes(x))));
  return (
    <fieldset
      className="flex flex-col gap-1"
      aria-describedby={error ? `${id}-error` : undefined}
      aria-invalid={error ? true : undefined}
    >
      <legend className="mb-1 text-xs font-medium text-slate-700">{legend}</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {offered.map((k) => (
          <span key={k} title={`${FEATURES[k].description} Trade-off: ${FEATURES[k].risk}`}>
            <CheckboxField label={FEATURES[k].label} checked={value.includes(k)} onChange={(on) => toggle(k, on)} />
          </span>
        ))}
      </div>
      {error && (
        <p id={`${id}-error`} className="text-xs font-medium text-red-700">
          {error}
        </p>
      )}
    </fieldset>
  );
}
