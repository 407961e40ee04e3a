"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { errInfo, fieldError } from "../_lib/errors.js";
import { useTRPC, type RouterOutputs } from "../_lib/trpc.js";
import { Button } from "./Button.js";
import { ErrorBox } from "./ErrorBox.js";
import { SelectField } from "./SelectField.js";
import { TextField } from "./TextField.js";

type Policy = RouterOutputs["backupPolicies"]["list"][number];

/** "Backups daily 03:00 UTC; keep 7 daily, 4 weekly, 0 monthly" */
export const describePolicy = (p: Pick<Policy, "kind" | "schedule" | "keepDaily" | "keepWeekly" | "keepMonthly">) =>
  `${p.kind === "snapshot" ? "Snapshots" : "Backups"} ${p.schedule} UTC; keep ${p.keepDaily} daily, ` +
  `${p.keepWeekly} weekly, ${p.keepMonthly} monthly`;

/** A new policy of the caller's own tenant. */
export function PolicyForm({ onCreated }: { onCreated: (id: string) => void }) {
  const trpc = useTRPC();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<"backup" | "snapshot">("backup");
  const [schedule, setSchedule] = useState("daily 03:00");
  const [keep, setKeep] = useState({ keepDaily: "7", keepWeekly: "4", keepMonthly: "0" });
  const create = useMutation(trpc.backupPolicies.create.mutationOptions({ onSuccess: (p) => onCreated(p.id) }));
  const fields = errInfo(create.error)?.fields;
  const n = (t: string) => (/^\d+$/.test(t.trim()) ? Number(t.trim()) : Number.NaN);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({
      name,
      kind,
      schedule,
      keepDaily: n(keep.keepDaily),
      keepWeekly: n(keep.keepWeekly),
      keepMonthly: n(keep.keepMonthly),
    });
  };
  const keepField = (k: keyof typeof keep, label: string) => (
    <TextField
      label={label}
      inputMode="numeric"
      value={keep[k]}
      onChange={(x) => setKeep((o) => ({ ...o, [k]: x }))}
      error={fieldError(fields, k)}
    />
  );
  return (
    <form onSubmit={submit} noValidate aria-label="New backup policy" className="mt-3 flex flex-col gap-3">
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-3">
        <TextField label="Policy name" value={name} onChange={setName} error={fieldError(fields, "name")} />
        <SelectField
          label="Kind"
          value={kind}
          onChange={(x) => setKind(x === "snapshot" ? "snapshot" : "backup")}
          options={[
            { value: "backup", label: "Full backups" },
            { value: "snapshot", label: "Snapshots" },
          ]}
        />
        <TextField
          label="Schedule (UTC)"
          value={schedule}
          onChange={setSchedule}
          error={fieldError(fields, "schedule")}
          hint='"daily 03:00" or "weekly sun 03:00"'
        />
        {keepField("keepDaily", "Keep daily")}
        {keepField("keepWeekly", "Keep weekly")}
        {keepField("keepMonthly", "Keep monthly")}
      </div>
      <ErrorBox error={create.error} />
      <div>
        <Button type="submit" busy={create.isPending}>
          Create policy
        </Button>
      </div>
    </form>
  );
}
