"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { QueryView } from "../../_components/QueryView.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { ChoicesForm } from "./ChoicesForm.js";

/**
 * An admin's or reseller's defaults for its customers' users (those who did not choose an event themselves).
 * A reseller's boxes it did not set follow the platform's defaults.
 */
export function DefaultsCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const me = useMe();
  const events = useQuery(trpc.notifications.events.queryOptions());
  const defaults = useQuery(trpc.notifications.getDefaults.queryOptions());
  const save = useMutation(
    trpc.notifications.setDefaults.mutationOptions({
      onSuccess: () => void qc.invalidateQueries(trpc.notifications.getDefaults.pathFilter()),
    }),
  );
  return (
    <Card title="Defaults for your customers">
      <p className="mb-2 text-xs text-slate-600">
        {me.role === "admin"
          ? "What resellers and customers get for an event they did not choose themselves, unless their reseller set its own default. Administrators choose their own above."
          : "What your customers' users get for an event they did not choose themselves. A box marked “default from the platform” follows the platform's default."}
      </p>
      <ErrorBox error={defaults.error} />
      <QueryView q={events}>
        {(list) => (
          <ChoicesForm
            label="Defaults for your customers"
            events={list}
            view={defaults.data}
            inheritedNote="default from the platform"
            save={save}
            submitLabel="Save defaults"
          />
        )}
      </QueryView>
    </Card>
  );
}
