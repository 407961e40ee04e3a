"use client";
import { useId, type ReactNode } from "react";

export function CheckboxField({
  label,
  checked,
  onChange,
  error,
  id,
}: {
  label: ReactNode;
  checked: boolean;
  onChange: (v: boolean) => void;
  error?: string;
  id?: string;
}) {
  const auto = useId();
  const fid = id ?? `f${auto.replace(/:/g, "")}`;
  return (
    <div className="flex flex-col gap-1">
      <div className="flex items-center gap-2">
        <input
          id={fid}
          type="checkbox"
          checked={checked}
          onChange={(e) => onChange(e.target.checked)}
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${fid}-error` : undefined}
          className="h-4 w-4 rounded border-slate-300 text-blue-600"
        />
        <label htmlFor={fid} className="text-sm text-slate-800">
          {label}
        </label>
      </div>
      {error && (
        <p id={`${fid}-error`} className="text-xs font-medium text-red-700">
          {error}
        </p>
      )}
    </div>
  );
}
