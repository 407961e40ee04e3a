"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { ContainerView, StartedOp } from "./types.js";

export function DestroyForm({
  c,
  busy,
  onStarted,
}: {
  c: ContainerView;
  busy: boolean;
  onStarted: (op: StartedOp) => void;
}) {
  const trpc = useTRPC();
  const [confirm, setConfirm] = useState("");
  const m = useMutation(trpc.containers.destroy.mutationOptions({ onSuccess: onStarted }));
  const fields = errInfo(m.error)?.fields;
  // the same comparison as the server's: the button waits for the hostname
  const matches = confirm.trim().toLowerCase() === c.hostname;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!matches || busy || m.isPending) return;
    m.mutate({ containerId: c.id, confirmHostname: confirm });
  };
  return (
    <Card title="Destroy container" className="border-red-200">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <p className="text-sm text-slate-600">
          Stops the container and deletes it with all its data. This cannot be undone.
        </p>
        <TextField
          label="Confirm hostname"
          value={confirm}
          onChange={setConfirm}
          placeholder={c.hostname}
          hint={`Type ${c.hostname} to confirm`}
          error={fields?.confirmHostname}
          autoComplete="off"
          spellCheck={false}
        />
        <ErrorBox error={m.error} />
        <div>
          <Button type="submit" variant="danger" busy={m.isPending} disabled={busy || !matches}>
            Destroy container
          </Button>
        </div>
      </form>
    </Card>
  );
}
