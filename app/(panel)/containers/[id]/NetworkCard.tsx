"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../../../_components/Button.js";
import { InlineConfirm } from "../../../_components/InlineConfirm.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Notice } from "../../../_components/Notice.js";
import { QueryView } from "../../../_components/QueryView.js";
import { SelectField } from "../../../_components/SelectField.js";
import { bytes, kbit } from "../../../_lib/format.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC, type RouterOutputs } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import { mono, table, td, th } from "../../../_lib/ui.js";
import { isNetMode, NET_MODE_LABELS, NET_MODES, type NetMode } from "../../../../server/services/net-modes.js";
import type { ContainerView } from "./types.js";

type NetView = RouterOutputs["containers"]["network"];

const modeText = (m: string) => (isNetMode(m) ? NET_MODE_LABELS[m].card : m);

/** Addresses (add/remove for admins and resellers), the mode (admins), the rate and live counters. */
export function NetworkCard({ c }: { c: ContainerView }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useMe();
  const seller = me.role === "admin" || me.role === "reseller";
  const q = useQuery(
    trpc.containers.network.queryOptions({ containerId: c.id }, { refetchInterval: 10_000, trpc: { context: SOLO } }),
  );
  const refresh = () => {
    void qc.invalidateQueries(trpc.containers.network.queryFilter({ containerId: c.id }));
    void qc.invalidateQueries(trpc.containers.list.queryFilter());
  };
  const [family, setFamily] = useState("");
  const [mode, setMode] = useState("");
  const [removing, setRemoving] = useState<string | null>(null);
  const add = useMutation(trpc.containers.addIp.mutationOptions({ onSuccess: refresh }));
  const remove = useMutation(
    trpc.containers.removeIp.mutationOptions({ onSuccess: () => (setRemoving(null), refresh()) }),
  );
  const setNetMode = useMutation(
    trpc.containers.setNetMode.mutationOptions({ onSuccess: () => (setMode(""), refresh()) }),
  );
  const reset = () => {
    add.reset();
    remove.reset();
    setNetMode.reset();
  };
  return (
    <Card title="Network" testId="network">
      <QueryView q={q} loading="Loading the network" lines={4}>
        {(n: NetView) => (
          <div className="flex flex-col gap-3">
            <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1 text-sm">
              <dt className="text-slate-500">Mode</dt>
              <dd data-testid="net-mode">{modeText(n.netMode)}</dd>
              <dt className="text-slate-500">Bandwidth</dt>
              <dd>
                {n.rate.inKbit === n.rate.outKbit
                  ? `${kbit(n.rate.inKbit)} each way`
                  : `${kbit(n.rate.inKbit)} in, ${kbit(n.rate.outKbit)} out`}
                {n.throttled && (
                  <span
                    className="ml-2 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-900 ring-1 ring-inset ring-amber-600/20"
                    data-testid="throttled"
                  >
                    throttled: over the monthly traffic quota
                  </span>
                )}
              </dd>
              <dt className="text-slate-500">Addresses</dt>
              <dd>
                {n.addresses.length} of {n.plan.ipCount} in the plan
              </dd>
            </dl>

            {n.addresses.length === 0 ? (
              <p className="text-sm text-slate-500">No IP address.</p>
            ) : (
              <table className={table} aria-label="IP addresses">
                <thead>
                  <tr>
                    <th className={th}>Address</th>
                    <th className={th}>Pool</th>
                    <th className={th}>Gateway</th>
                    {seller && (
                      <th className={th}>
                        <span className="sr-only">Actions</span>
                      </th>
                    )}
                  </tr>
                </thead>
                <tbody>
                  {n.addresses.map((a) => (
                    <tr key={a.address} data-testid="ip-row">
                      <td className={`${td} ${mono}`}>{a.address}</td>
                      <td className={`${td} text-xs`}>
                        {a.pool.name}{" "}
                        <span className="text-slate-500">
                          ({a.pool.cidr}
                          {a.pool.network ? `, network ${a.pool.network}` : ""})
                        </span>
                      </td>
                      <td className={`${td} ${mono}`}>{a.pool.gateway ?? "—"}</td>
                      {seller && (
                        <td className={`${td} whitespace-nowrap text-right`}>
                          <InlineConfirm
                            open={removing === a.address}
                            label="Remove"
                            confirmLabel="Confirm remove"
                            ariaLabel={`Remove ${a.address}`}
                            busy={remove.isPending}
                            onOpen={() => (reset(), setRemoving(a.address))}
                            onConfirm={() => remove.mutate({ containerId: c.id, address: a.address })}
                            onCancel={() => setRemoving(null)}
                          />
                        </td>
                      )}
                    </tr>
                  ))}
                </tbody>
              </table>
            )}

            {seller && n.netMode !== "none" && (
              <div className="flex flex-wrap items-end gap-2">
                <SelectField
                  label="Address family"
                  value={family}
                  onChange={setFamily}
                  options={[
                    { value: "", label: "Any (IPv4 first)" },
                    { value: "4", label: "IPv4" },
                    { value: "6", label: "IPv6" },
                  ]}
                />
                <Button
                  variant="secondary"
                  busy={add.isPending}
                  onClick={() => (
                    reset(),
                    add.mutate({ containerId: c.id, family: family === "4" ? 4 : family === "6" ? 6 : undefined })
                  )}
                >
                  Add address
                </Button>
              </div>
            )}
            {add.isSuccess && (
              <Notice tone={add.data.appliedLive ? "success" : "info"}>
                {add.data.address} added
                {add.data.appliedLive
                  ? " and configured in the running container"
                  : "; the container gets it when it starts"}
                .
              </Notice>
            )}
            <ErrorBox error={add.error ?? remove.error} />

            {me.role === "admin" && (
              <div className="flex flex-wrap items-end gap-2 border-t border-slate-100 pt-3">
                <SelectField
                  label="Network mode"
                  value={mode || n.netMode}
                  onChange={setMode}
                  options={NET_MODES.map((value) => ({ value, label: modeText(value) }))}
                  hint="Only while the container is stopped; its addresses come from pools of the new kind."
                />
                <Button
                  variant="secondary"
                  disabled={!mode || mode === n.netMode}
                  busy={setNetMode.isPending}
                  onClick={() => (reset(), setNetMode.mutate({ containerId: c.id, mode: mode as NetMode }))}
                >
                  Change mode
                </Button>
              </div>
            )}
            <ErrorBox error={setNetMode.error} />

            <LiveCounters stats={n.stats} />
          </div>
        )}
      </QueryView>
    </Card>
  );
}

function LiveCounters({ stats }: { stats: NetView["stats"] }) {
  if (!stats.available) return <Notice tone="warn">Live counters are not available right now: {stats.reason}</Notice>;
  if (!stats.running) return <p className="text-xs text-slate-500">Live counters appear while the container runs.</p>;
  return (
    <div className="flex flex-col gap-1">
      <table className={table} aria-label="Interface counters">
        <thead>
          <tr>
            <th className={th}>Interface</th>
            <th className={`${th} text-right`}>Received</th>
            <th className={`${th} text-right`}>Sent</th>
          </tr>
        </thead>
        <tbody>
          {stats.ifaces.map((i) => (
            <tr key={i.name}>
              <td className={`${td} ${mono}`}>
                {i.name} <span className="text-slate-500">({i.hostIf})</span>
              </td>
              <td className={`${td} text-right tabular-nums`}>{bytes(i.rxBytes)}</td>
              <td className={`${td} text-right tabular-nums`}>{bytes(i.txBytes)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="text-xs text-slate-500">
        Since the last start. Dropped: {stats.spoofDropped.packets.toLocaleString()} spoofed packet(s),{" "}
        {stats.firewallDropped.packets.toLocaleString()} by the firewall.
      </p>
    </div>
  );
}
