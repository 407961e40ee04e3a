"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";

export function AddNodeForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [endpoint, setEndpoint] = useState("");
  const m = useMutation(
    trpc.nodes.create.mutationOptions({
      onSuccess: () => {
        setName("");
        setEndpoint("");
        void qc.invalidateQueries(trpc.nodes.pathFilter());
      },
    }),
  );
  const fields = errInfo(m.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ name, endpoint });
  };
  return (
    <Card title="Add a node on this host (engine socket)">
      <form onSubmit={submit} noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-2" aria-label="Add node">
        <TextField
          label="Node name"
          value={name}
          onChange={setName}
          placeholder="node2"
          error={fields.name}
          autoComplete="off"
          hint="a-z, 0-9 and dashes"
        />
        <TextField
          label="Socket path"
          value={endpoint}
          onChange={setEndpoint}
          placeholder="/run/ovz/engine.sock"
          error={fields.endpoint}
          autoComplete="off"
          hint="The engine's Unix socket on this host"
        />
        <div className="flex flex-col gap-3 sm:col-span-2">
          <ErrorBox error={m.error} />
          {m.isSuccess && <Notice>Node “{m.data.name}” added.</Notice>}
          <div>
            <Button type="submit" busy={m.isPending}>
              Add node
            </Button>
          </div>
        </div>
      </form>
    </Card>
  );
}
