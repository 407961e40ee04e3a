"use client";
import { useId, type ReactNode, type SelectHTMLAttributes } from "react";
import { input } from "../_lib/ui.js";
import { describedBy, FieldShell } from "./FieldShell.js";

type Option = { value: string; label: string; group?: string };
type Props = Omit<SelectHTMLAttributes<HTMLSelectElement>, "onChange" | "value"> & {
  label: ReactNode;
  value: string;
  onChange: (v: string) => void;
  options: Option[];
  placeholder?: string;
  hint?: ReactNode;
  error?: string;
  wrapClassName?: string;
};

/** Consecutive runs of options by group (undefined = no optgroup), in order. */
function groupsOf(options: Option[]): [string | undefined, Option[]][] {
  const out: [string | undefined, Option[]][] = [];
  for (const o of options) {
    const last = out[out.length - 1];
    if (last && last[0] === o.group) last[1].push(o);
    else out.push([o.group, [o]]);
  }
  return out;
}

export function SelectField({
  label,
  value,
  onChange,
  options,
  placeholder,
  hint,
  error,
  id,
  wrapClassName,
  ...rest
}: Props) {
  const auto = useId();
  const fid = id ?? `f${auto.replace(/:/g, "")}`;
  return (
    <FieldShell id={fid} label={label} hint={hint} error={error} className={wrapClassName}>
      <select
        id={fid}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(fid, hint, error)}
        className={input}
        {...rest}
      >
        {placeholder !== undefined && <option value="">{placeholder}</option>}
        {groupsOf(options).map(([group, opts]) =>
          group === undefined ? (
            opts.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))
          ) : (
            <optgroup key={group} label={group}>
              {opts.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </optgroup>
          ),
        )}
      </select>
    </FieldShell>
  );
}
