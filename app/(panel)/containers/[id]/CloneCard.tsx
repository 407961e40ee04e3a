"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { OperationPanel } from "../../../_components/OperationPanel.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { hostnameProblem, sentence } from "./HostnameCard.js";
import type { ContainerView } from "./types.js";

/**
 * Clone the container (prlctl clone): a new container of the same owner, plan and node with its own ctid,
 * hostname, name, fresh addresses from the pools and new SSH host keys; it starts stopped. The operation's
 * progress shows here, with a link to the clone.
 */
export function CloneCard({ c, busy }: { c: ContainerView; busy: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [hostname, setHostname] = useState("");
  const [name, setName] = useState("");
  const [local, setLocal] = useState<string | undefined>();
  const [opId, setOpId] = useState<string | null>(null);
  const m = useMutation(trpc.containers.clone.mutationOptions({ onSuccess: (op) => setOpId(op.id) }));
  const fields = errInfo(m.error)?.fields;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = hostnameProblem(hostname);
    setLocal(problem);
    if (problem) return;
    setOpId(null);
    m.mutate({ containerId: c.id, hostname, ...(name.trim() ? { name: name.trim() } : {}) });
  };
  return (
    <Card title="Clone">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3" data-testid="clone-form">
        <p className="text-sm text-slate-600">
          A copy of this container&apos;s files and settings as a new container (stopped) with its own id, addresses and
          SSH host keys. A running container pauses only for an instant.
        </p>
        <TextField
          label="Hostname of the clone"
          autoComplete="off"
          spellCheck={false}
          placeholder={`copy-of-${c.hostname}`}
          value={hostname}
          onChange={(v) => {
            setHostname(v);
            setLocal(undefined);
          }}
          error={local ?? sentence(fields?.hostname)}
        />
        <TextField
          label="Name of the clone (optional)"
          autoComplete="off"
          spellCheck={false}
          value={name}
          onChange={setName}
          error={sentence(fields?.name)}
          hint="A short name that works wherever the container id does."
        />
        {!fields?.hostname && !fields?.name && <ErrorBox error={m.error} />}
        <div>
          <Button type="submit" busy={m.isPending} disabled={busy || c.state === "creating"}>
            Clone
          </Button>
        </div>
      </form>
      {opId && (
        <div className="mt-3">
          <OperationPanel
            key={opId}
            operationId={opId}
            title="Cloning"
            showContainerLink
            onFinished={() => void qc.invalidateQueries(trpc.containers.pathFilter())}
          />
        </div>
      )}
    </Card>
  );
}
