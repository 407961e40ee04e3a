"use client";
import { useId, type InputHTMLAttributes, type ReactNode } from "react";
import { input } from "../_lib/ui.js";
import { describedBy, FieldShell } from "./FieldShell.js";

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, "onChange" | "value"> & {
  label: ReactNode;
  value: string;
  onChange: (v: string) => void;
  hint?: ReactNode;
  error?: string;
  wrapClassName?: string;
};

export function TextField({ label, value, onChange, hint, error, id, wrapClassName, className = "", ...rest }: Props) {
  const auto = useId();
  const fid = id ?? `f${auto.replace(/:/g, "")}`;
  return (
    <FieldShell id={fid} label={label} hint={hint} error={error} className={wrapClassName}>
      <input
        id={fid}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy(fid, hint, error)}
        className={`${input} ${className}`}
        {...rest}
      />
    </FieldShell>
  );
}
