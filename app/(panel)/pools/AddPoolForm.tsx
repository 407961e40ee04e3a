"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { SelectField } from "../../_components/SelectField.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";
import { POOL_KIND_LABELS, POOL_KINDS, type PoolKind } from "../../../server/services/net-modes.js";

const EMPTY = { name: "", cidr: "", gateway: "", rangeStart: "", rangeEnd: "", network: "" };

export function AddPoolForm() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const nodes = useQuery(trpc.nodes.list.queryOptions());
  const [nodeId, setNodeId] = useState("");
  const node = nodeId || nodes.data?.[0]?.id || "";
  const [kind, setKind] = useState<PoolKind>("venet");
  const [f, setF] = useState(EMPTY);
  const networks = useQuery(trpc.nodes.networks.queryOptions({ nodeId: node }, { enabled: kind === "veth" && !!node }));
  const m = useMutation(
    trpc.pools.create.mutationOptions({
      onSuccess: () => {
        setF(EMPTY);
        void qc.invalidateQueries(trpc.pools.pathFilter());
      },
    }),
  );
  const fields = errInfo(m.error)?.fields ?? {};
  const set = (k: keyof typeof EMPTY) => (v: string) => {
    setF((x) => ({ ...x, [k]: v }));
    if (m.isSuccess) m.reset();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({
      nodeId: node,
      name: f.name,
      kind,
      cidr: f.cidr,
      rangeStart: f.rangeStart,
      rangeEnd: f.rangeEnd,
      ...(f.gateway.trim() ? { gateway: f.gateway } : {}),
      ...(kind === "veth" ? { network: f.network } : {}),
    });
  };
  return (
    <Card title="Add IP pool">
      <form onSubmit={submit} noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-2" aria-label="Add IP pool">
        <TextField
          label="Pool name"
          value={f.name}
          onChange={set("name")}
          placeholder="public-v4"
          error={fields.name}
          autoComplete="off"
        />
        <SelectField
          label="Node"
          value={node}
          onChange={setNodeId}
          options={(nodes.data ?? []).map((n) => ({ value: n.id, label: n.name }))}
          placeholder={nodes.isPending ? "Loading…" : nodes.data?.length ? undefined : "No nodes"}
          error={fields.nodeId}
        />
        <SelectField
          label="Kind"
          value={kind}
          onChange={(v) => setKind(v as PoolKind)}
          options={POOL_KINDS.map((k) => ({ value: k, label: POOL_KIND_LABELS[k] }))}
          error={fields.kind}
        />
        {kind === "veth" ? (
          <SelectField
            label="Engine network"
            value={f.network}
            onChange={set("network")}
            placeholder={
              networks.isPending
                ? "Loading…"
                : networks.data?.length
                  ? "Choose a network"
                  : "No networks on this node (Nodes page)"
            }
            options={(networks.data ?? []).map((n) => ({
              value: n.name,
              label: `${n.name} (${n.bridge}${n.hostCidr ? `, ${n.hostCidr}` : ""})`,
            }))}
            error={fields.network}
          />
        ) : (
          <div />
        )}
        <TextField
          label="Subnet (CIDR)"
          value={f.cidr}
          onChange={set("cidr")}
          placeholder="198.18.1.0/24 or fd00:1::/64"
          error={fields.cidr}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label="Gateway (optional)"
          value={f.gateway}
          onChange={set("gateway")}
          placeholder="198.18.1.1"
          error={fields.gateway}
          autoComplete="off"
          spellCheck={false}
          hint="Shown to users, never assigned"
        />
        <TextField
          label="First address"
          value={f.rangeStart}
          onChange={set("rangeStart")}
          placeholder="198.18.1.10"
          error={fields.rangeStart}
          autoComplete="off"
          spellCheck={false}
        />
        <TextField
          label="Last address"
          value={f.rangeEnd}
          onChange={set("rangeEnd")}
          placeholder="198.18.1.250"
          error={fields.rangeEnd}
          autoComplete="off"
          spellCheck={false}
        />
        <div className="flex flex-col gap-3 sm:col-span-2">
          <ErrorBox error={m.error} />
          <ErrorBox error={networks.error} />
          {m.isSuccess && (
            <Notice>
              Pool “{m.data.name}” added: {m.data.total.toLocaleString()} address(es).
            </Notice>
          )}
          <div>
            <Button type="submit" busy={m.isPending} disabled={!node}>
              Create pool
            </Button>
          </div>
        </div>
      </form>
    </Card>
  );
}
