"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { InlineConfirm } from "../../_components/InlineConfirm.js";
import { CheckboxField } from "../../_components/CheckboxField.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { QueryView } from "../../_components/QueryView.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";

const EMPTY = { name: "", bridge: "", hostCidr: "", gateway: "" };

/** The node's engine networks (bridges for veth NICs), with create and delete. */
export function NodeNetworks({ nodeId, name }: { nodeId: string; name: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.nodes.networks.queryOptions({ nodeId }));
  const [f, setF] = useState(EMPTY);
  const [dhcp, setDhcp] = useState(false);
  const [confirming, setConfirming] = useState<string | null>(null);
  const refresh = () => void qc.invalidateQueries(trpc.nodes.networks.queryFilter({ nodeId }));
  const create = useMutation(
    trpc.nodes.createNetwork.mutationOptions({ onSuccess: () => (setF(EMPTY), setDhcp(false), refresh()) }),
  );
  const del = useMutation(
    trpc.nodes.deleteNetwork.mutationOptions({ onSuccess: () => (setConfirming(null), refresh()) }),
  );
  const fields = errInfo(create.error)?.fields ?? {};
  const set = (k: keyof typeof EMPTY) => (v: string) => setF((x) => ({ ...x, [k]: v }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    del.reset();
    create.mutate({
      nodeId,
      name: f.name,
      bridge: f.bridge,
      dhcp,
      ...(f.hostCidr.trim() ? { hostCidr: f.hostCidr.trim() } : {}),
      ...(f.gateway.trim() ? { gateway: f.gateway.trim() } : {}),
    });
  };
  return (
    <section className="flex flex-col gap-3" aria-label={`Networks of ${name}`} data-testid={`networks-${name}`}>
      <h3 className="text-sm font-semibold text-slate-700">Engine networks</h3>
      <QueryView
        q={q}
        loading={`Asking node ${name} for its networks`}
        empty="No networks: veth containers need one (with an IP pool of kind veth)."
      >
        {(nets) => (
          <table className={table} aria-label={`Engine networks of ${name}`}>
            <thead>
              <tr>
                <th className={th}>Name</th>
                <th className={th}>Bridge</th>
                <th className={th}>Host address</th>
                <th className={th}>DHCP</th>
                <th className={th}>Used by</th>
                <th className={th}>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {nets.map((n) => (
                <tr key={n.name}>
                  <td className={`${td} font-medium`}>{n.name}</td>
                  <td className={`${td} ${mono}`}>
                    {n.bridge}
                    {!n.exists && <span className="ml-1 text-xs text-red-700">(missing on the host)</span>}
                  </td>
                  <td className={`${td} ${mono}`}>{n.hostCidr ?? "—"}</td>
                  <td className={td}>{n.dhcp ? (n.dhcpRunning ? "on" : "on (not running)") : "off"}</td>
                  <td className={`${td} text-xs`}>
                    {n.containers.length ? `containers ${n.containers.join(", ")}` : "no container"}
                    {n.pools.length > 0 && ` · pools ${n.pools.join(", ")}`}
                  </td>
                  <td className={`${td} whitespace-nowrap text-right`}>
                    <InlineConfirm
                      open={confirming === n.name}
                      label="Delete"
                      confirmLabel="Confirm delete"
                      ariaLabel={`Delete network ${n.name}`}
                      busy={del.isPending}
                      onOpen={() => (del.reset(), setConfirming(n.name))}
                      onConfirm={() => del.mutate({ nodeId, name: n.name })}
                      onCancel={() => setConfirming(null)}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </QueryView>
      <ErrorBox error={del.error} />
      <form
        onSubmit={submit}
        noValidate
        className="grid grid-cols-1 gap-3 sm:grid-cols-4"
        aria-label={`Add network on ${name}`}
      >
        <TextField
          label="Network name"
          value={f.name}
          onChange={set("name")}
          placeholder="lan"
          error={fields.name}
          autoComplete="off"
        />
        <TextField
          label="Bridge"
          value={f.bridge}
          onChange={set("bridge")}
          placeholder="br-lan"
          error={fields.bridge}
          autoComplete="off"
        />
        <TextField
          label="Host address (CIDR)"
          value={f.hostCidr}
          onChange={set("hostCidr")}
          placeholder="198.18.2.1/24"
          error={fields.hostCidr}
          autoComplete="off"
          hint="Optional: the containers' gateway"
        />
        <TextField
          label="Gateway for containers"
          value={f.gateway}
          onChange={set("gateway")}
          placeholder="host address"
          error={fields.gateway}
          autoComplete="off"
        />
        <div className="sm:col-span-4">
          <CheckboxField
            label="Serve DHCP (each NIC gets exactly its assigned address)"
            checked={dhcp}
            onChange={setDhcp}
            error={fields.dhcp}
          />
        </div>
        <div className="flex flex-col gap-2 sm:col-span-4">
          <ErrorBox error={create.error} />
          {create.isSuccess && (
            <Notice>
              Network “{create.data.name}” created on {name}.
            </Notice>
          )}
          <div>
            <Button type="submit" busy={create.isPending}>
              Create network
            </Button>
          </div>
        </div>
      </form>
    </section>
  );
}
