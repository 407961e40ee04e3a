"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { QueryView } from "../../_components/QueryView.js";
import { SelectField } from "../../_components/SelectField.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { ChoicesForm } from "./ChoicesForm.js";

/**
 * An admin's or reseller's defaults for its customers' users (for the events they did not choose themselves):
 * its own (for all its customers) or one customer's (that customer's users only). A box it did not set follows
 * the defaults above (the platform's, for a reseller) or the event table.
 */
export function DefaultsCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useMe();
  const [tenantId, setTenantId] = useState("");
  const events = useQuery(trpc.notifications.events.queryOptions());
  const tenants = useQuery(trpc.tenants.list.queryOptions());
  const defaults = useQuery(trpc.notifications.getDefaults.queryOptions(tenantId ? { tenantId } : undefined));
  const save = useMutation(
    trpc.notifications.setDefaults.mutationOptions({
      onSuccess: () => void qc.invalidateQueries(trpc.notifications.getDefaults.pathFilter()),
    }),
  );
  const others = (tenants.data ?? []).filter((t) => t.id !== me.tenant.id);
  const options = [
    { value: "", label: "All your customers" },
    ...others.map((t) => ({
      value: t.id,
      label: t.kind === "reseller" ? `${t.name}'s customers` : t.name,
      group: t.kind === "reseller" ? "A reseller's own defaults" : "One customer",
    })),
  ];
  return (
    <Card title="Defaults for your customers">
      <p className="mb-2 text-xs text-slate-600">
        {me.role === "admin"
          ? "What resellers and customers get for an event they did not choose themselves, unless their reseller set its own default. Administrators choose their own above."
          : "What your customers' users get for an event they did not choose themselves. A box marked “default from the platform” follows the platform's default."}
      </p>
      {others.length > 0 && (
        <SelectField
          label="Defaults for"
          value={tenantId}
          onChange={(v) => {
            save.reset();
            setTenantId(v);
          }}
          options={options}
          wrapClassName="mb-3"
        />
      )}
      <ErrorBox error={defaults.error} />
      <QueryView q={events}>
        {(list) => (
          <ChoicesForm
            key={tenantId}
            label="Defaults for your customers"
            events={list}
            view={defaults.data}
            inheritedNote={tenantId ? "default from above" : "default from the platform"}
            save={{ ...save, mutate: (c, o) => save.mutate({ ...c, ...(tenantId ? { tenantId } : {}) }, o) }}
            submitLabel="Save defaults"
          />
        )}
      </QueryView>
    </Card>
  );
}
