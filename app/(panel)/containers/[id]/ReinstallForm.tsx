"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { CheckboxField } from "../../../_components/CheckboxField.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { SelectField } from "../../../_components/SelectField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { ContainerView, StartedOp } from "./types.js";

export function ReinstallForm({
  c,
  busy,
  onStarted,
}: {
  c: ContainerView;
  busy: boolean;
  onStarted: (op: StartedOp) => void;
}) {
  const trpc = useTRPC();
  const [template, setTemplate] = useState(c.template);
  const [confirm, setConfirm] = useState(false);
  const [keepData, setKeepData] = useState(true);
  const m = useMutation(
    trpc.containers.reinstall.mutationOptions({
      onSuccess: (op) => {
        setConfirm(false);
        onStarted(op);
      },
    }),
  );
  const fields = errInfo(m.error)?.fields;
  // Both ways replace the system: each needs its box ticked (a double click cannot reinstall twice: the box is
  // cleared once an operation starts, and the button waits for the request and then for the operation).
  const blocked = busy || m.isPending || c.state === "creating";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!confirm || blocked) return;
    m.mutate({ containerId: c.id, template, keepData, confirm });
  };
  const choose = (keep: boolean) => {
    setKeepData(keep);
    setConfirm(false); // what was confirmed changed
  };
  return (
    <Card title="Reinstall">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <SelectField
          label="Template"
          value={template}
          onChange={setTemplate}
          options={c.plan.templates.map((t) => ({ value: t, label: t }))}
          error={fields?.template}
          hint={`Allowed by plan ${c.plan.name}`}
        />
        <fieldset className="flex flex-col gap-1 text-sm">
          <legend className="mb-1 font-medium text-slate-700">Existing files</legend>
          <label className="flex items-center gap-2">
            <input type="radio" name="reinstall-data" checked={keepData} onChange={() => choose(true)} /> Keep them
            under /old in the new system
          </label>
          <label className="flex items-center gap-2">
            <input type="radio" name="reinstall-data" checked={!keepData} onChange={() => choose(false)} /> Wipe them
          </label>
        </fieldset>
        <CheckboxField
          label={
            keepData
              ? `I understand that the system of ${c.hostname} is replaced (stopped meanwhile); my files move to /old`
              : "I understand that all data in this container will be erased"
          }
          checked={confirm}
          onChange={setConfirm}
          error={fields?.confirm}
        />
        <ErrorBox error={m.error} />
        <div>
          <Button type="submit" variant="danger" busy={m.isPending} disabled={blocked || !confirm}>
            Reinstall
          </Button>
        </div>
      </form>
    </Card>
  );
}
