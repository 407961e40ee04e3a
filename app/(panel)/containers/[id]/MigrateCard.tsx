"use client";
import { useMutation, useQuery } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { CheckboxField } from "../../../_components/CheckboxField.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { SelectField } from "../../../_components/SelectField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import type { ContainerView, StartedOp } from "./types.js";

/** Admins: move the container to another node, live (it keeps running: CRIU) or offline (stop, copy, start). */
export function MigrateCard({
  c,
  busy,
  onStarted,
}: {
  c: ContainerView;
  busy: boolean;
  onStarted: (op: StartedOp) => void;
}) {
  const trpc = useTRPC();
  const nodes = useQuery(trpc.nodes.list.queryOptions(undefined, { trpc: { context: SOLO } }));
  const others = (nodes.data ?? []).filter((n) => n.id !== c.node.id);
  const [target, setTarget] = useState("");
  const [live, setLive] = useState(true);
  const m = useMutation(trpc.containers.migrate.mutationOptions({ onSuccess: onStarted }));
  const fields = errInfo(m.error)?.fields;
  const chosen = target || others[0]?.id || "";
  const running = c.state === "running";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ containerId: c.id, targetNodeId: chosen, live: live && running });
  };
  return (
    <Card title="Migrate to another node">
      {others.length === 0 ? (
        <p className="text-sm text-slate-600">No other node is registered. Join one on the Nodes page first.</p>
      ) : (
        <form onSubmit={submit} noValidate className="flex flex-col gap-3" data-testid="migrate-form">
          <SelectField
            label="Destination node"
            value={chosen}
            onChange={setTarget}
            options={others.map((n) => ({ value: n.id, label: n.name }))}
            error={fields?.targetNodeId}
            hint={`Now on ${c.node.name}`}
          />
          <CheckboxField
            label={
              running
                ? "Live: keep it running (processes, memory and open connections move; it pauses briefly)"
                : "Live migration needs a running container; it will move stopped"
            }
            checked={live && running}
            onChange={setLive}
          />
          <ErrorBox error={m.error} />
          <div>
            <Button type="submit" busy={m.isPending} disabled={busy || c.state === "creating" || !chosen}>
              Migrate
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}
