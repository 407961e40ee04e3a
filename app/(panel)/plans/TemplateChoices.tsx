"use client";
import { useQuery } from "@tanstack/react-query";
import { useId } from "react";
import { CheckboxField } from "../../_components/CheckboxField.js";
import { useTRPC } from "../../_lib/trpc.js";

/** Checkboxes of the node's templates (plus any already chosen that the node no longer has). */
export function TemplateChoices({
  value,
  onChange,
  error,
}: {
  value: string[];
  onChange: (v: string[]) => void;
  error?: string;
}) {
  const trpc = useTRPC();
  const q = useQuery(trpc.templates.list.queryOptions());
  const id = useId().replace(/:/g, "");
  const names = [...new Set([...(q.data ?? []).map((t) => t.name), ...value])];
  const toggle = (name: string, on: boolean) => onChange(on ? [...value, name] : value.filter((v) => v !== name));
  return (
    <fieldset
      className="flex flex-col gap-1"
      aria-describedby={error ? `${id}-error` : undefined}
      aria-invalid={error ? true : undefined}
    >
      <legend className="mb-1 text-xs font-medium text-slate-700">Templates</legend>
      {q.isPending && <p className="text-xs text-slate-500">Loading templates…</p>}
      {q.error && <p className="text-xs text-red-700">Templates could not be listed: {q.error.message}</p>}
      <div className="flex flex-wrap gap-x-4 gap-y-1">
        {names.map((n) => (
          <CheckboxField key={n} label={n} checked={value.includes(n)} onChange={(on) => toggle(n, on)} />
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
