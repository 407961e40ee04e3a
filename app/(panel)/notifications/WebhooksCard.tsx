"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { CheckboxField } from "../../_components/CheckboxField.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { QueryView } from "../../_components/QueryView.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";

/** Webhook endpoints: list, add (the signing secret is shown once), delete, and a test event. */
export function WebhooksCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.notifications.webhooks.queryOptions());
  const events = useQuery(trpc.notifications.events.queryOptions());
  type Ev = NonNullable<typeof events.data>[number]["name"];
  const [url, setUrl] = useState("");
  const [chosen, setChosen] = useState<Ev[]>([]);
  const refresh = () => void qc.invalidateQueries(trpc.notifications.pathFilter());
  const create = useMutation(
    trpc.notifications.createWebhook.mutationOptions({
      onSuccess: () => {
        setUrl("");
        setChosen([]);
        refresh();
      },
    }),
  );
  const remove = useMutation(trpc.notifications.deleteWebhook.mutationOptions({ onSuccess: refresh }));
  const test = useMutation(trpc.notifications.sendTest.mutationOptions({ onSuccess: refresh }));
  const fields = errInfo(create.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate({ url, events: chosen });
  };
  return (
    <Card
      title="Webhooks"
      actions={
        <Button variant="secondary" busy={test.isPending} onClick={() => test.mutate()}>
          Send a test event
        </Button>
      }
    >
      <div className="flex flex-col gap-4">
        <ErrorBox error={test.error} />
        {test.data && <Notice>Test event queued ({test.data.queued}); see the delivery log.</Notice>}
        <QueryView q={list} empty="No webhook endpoints. Add one below to get events as signed JSON POSTs.">
          {(rows) => (
            <table className={table} aria-label="Webhook endpoints">
              <thead>
                <tr>
                  <th className={th}>URL</th>
                  <th className={th}>Events</th>
                  <th className={th}>Added</th>
                  <th className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((h) => (
                  <tr key={h.id}>
                    <td className={`${td} break-all ${mono}`}>{h.url}</td>
                    <td className={`${td} text-xs`}>{h.events.join(", ")}</td>
                    <td className={`${td} text-xs`}>{when(h.createdAt)}</td>
                    <td className={`${td} text-right`}>
                      <Button
                        variant="secondary"
                        className="px-2 py-0.5 text-xs"
                        aria-label={`Delete webhook ${h.url}`}
                        busy={remove.isPending && remove.variables?.id === h.id}
                        onClick={() => remove.mutate({ id: h.id })}
                      >
                        Delete
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
        <ErrorBox error={remove.error} />
        {create.data && (
          <div role="status" className="rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-900">
            <p className="font-medium">Webhook added. Copy its signing secret now: it is shown only once.</p>
            <code className={`${mono} mt-2 block break-all rounded bg-white p-2 text-slate-900`} data-testid="secret">
              {create.data.secret}
            </code>
          </div>
        )}
        <form onSubmit={submit} noValidate className="flex flex-col gap-3" aria-label="New webhook">
          <TextField
            label="Endpoint URL"
            type="url"
            value={url}
            onChange={setUrl}
            error={fields.url}
            placeholder="https://example.com/ovz-hook"
            hint="http:// or https:// only"
          />
          <fieldset className="flex flex-col gap-1">
            <legend className="mb-1 text-sm font-medium text-slate-700">Events</legend>
            {events.data?.map((ev) => (
              <CheckboxField
                key={ev.name}
                label={ev.name}
                checked={chosen.includes(ev.name)}
                onChange={(on) => setChosen(on ? [...chosen, ev.name] : chosen.filter((x) => x !== ev.name))}
              />
            ))}
            {fields.events && <p className="text-xs font-medium text-red-700">{fields.events}</p>}
          </fieldset>
          <ErrorBox error={create.error} />
          <div>
            <Button type="submit" busy={create.isPending}>
              Add webhook
            </Button>
          </div>
        </form>
      </div>
    </Card>
  );
}
