"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { QueryView } from "../../_components/QueryView.js";
import { useTRPC } from "../../_lib/trpc.js";
import { ChoicesForm } from "./ChoicesForm.js";

/**
 * Which events reach the user by email and by webhook. A box the user never set follows its provider's defaults
 * (or the event table's), and says so.
 */
export function PrefsCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const events = useQuery(trpc.notifications.events.queryOptions());
  const prefs = useQuery(trpc.notifications.prefs.queryOptions());
  const save = useMutation(
    trpc.notifications.setPrefs.mutationOptions({
      onSuccess: () => void qc.invalidateQueries(trpc.notifications.prefs.pathFilter()),
    }),
  );
  return (
    <Card title="What to tell me">
      <p className="mb-2 text-xs text-slate-600">
        A box marked “default” follows the panel&apos;s default, “default from your provider” the default your provider
        chose; tick or untick it to decide yourself.
      </p>
      <ErrorBox error={prefs.error} />
      <QueryView q={events}>
        {(list) => (
          <ChoicesForm
            label="Notification preferences"
            events={list}
            view={prefs.data}
            inheritedNote="default from your provider"
            save={save}
            submitLabel="Save preferences"
          />
        )}
      </QueryView>
    </Card>
  );
}
