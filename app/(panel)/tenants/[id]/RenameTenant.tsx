"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Notice } from "../../../_components/Notice.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";

/** A seller renames its customer (or an admin a reseller): tenants.update with a new name. */
export function RenameTenant({ t }: { t: { id: string; name: string } }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState(t.name);
  const m = useMutation(
    trpc.tenants.update.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.tenants.pathFilter()) }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ tenantId: t.id, name });
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Rename" className="flex flex-col gap-2">
      <div className="flex flex-wrap items-end gap-2">
        <TextField
          wrapClassName="w-full sm:w-72"
          label="Name"
          value={name}
          onChange={setName}
          error={errInfo(m.error)?.fields.name}
        />
        <Button type="submit" variant="secondary" busy={m.isPending} disabled={name.trim() === t.name} className="mb-5">
          Rename
        </Button>
      </div>
      <ErrorBox error={m.error} />
      {m.isSuccess && <Notice>Renamed to {m.data.name}.</Notice>}
    </form>
  );
}
