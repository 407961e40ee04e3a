"use client";
import { LIMIT_KEYS, LIMITS, fmtSize, type LimitKey, type LimitTexts } from "../_lib/limits.js";
import { TextField } from "./TextField.js";

function hintOf(key: LimitKey): string {
  const d = LIMITS[key];
  if (d.kind === "cpuset") return "CPU list like 0-1,3; empty = all";
  if (d.kind === "bytes") return `Size like 512M, 2G (${fmtSize(d, d.min)}–${fmtSize(d, d.max)})`;
  return `${d.min}–${d.max}`;
}

/** One input per limit, generated from the LIMITS table (native/src/settings.ts). */
export function LimitFields({
  values,
  onChange,
  errorOf,
  idPrefix,
  changed,
}: {
  values: LimitTexts;
  onChange: (key: LimitKey, v: string) => void;
  errorOf: (key: LimitKey) => string | undefined;
  idPrefix: string;
  changed?: (key: LimitKey) => boolean;
}) {
  return (
    <div className="grid grid-cols-1 gap-x-4 gap-y-3 sm:grid-cols-2 xl:grid-cols-3">
      {LIMIT_KEYS.map((k) => {
        const d = LIMITS[k];
        return (
          <TextField
            key={k}
            id={`${idPrefix}-${k}`}
            label={d.label}
            className={changed?.(k) ? "border-amber-500 bg-amber-50" : ""}
            value={values[k]}
            onChange={(v) => onChange(k, v)}
            inputMode={d.kind === "integer" || d.kind === "percent" ? "numeric" : undefined}
            placeholder={d.kind === "cpuset" ? "all" : undefined}
            hint={hintOf(k)}
            title={d.description}
            error={errorOf(k)}
            spellCheck={false}
            autoComplete="off"
          />
        );
      })}
    </div>
  );
}
