"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { QueryView } from "../../_components/QueryView.js";
import { useTRPC } from "../../_lib/trpc.js";
import { table, td, th } from "../../_lib/ui.js";

type Channel = "email" | "webhook";

/** Which events reach the user by email and by webhook: one row per event, a checkbox per channel. */
export function PrefsCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const events = useQuery(trpc.notifications.events.queryOptions());
  const prefs = useQuery(trpc.notifications.prefs.queryOptions());
  type Ev = NonNullable<typeof prefs.data>["email"][number];
  const [sel, setSel] = useState<Record<Channel, Ev[]> | null>(null);
  useEffect(() => {
    if (prefs.data && !sel) setSel({ email: prefs.data.email, webhook: prefs.data.webhook });
  }, [prefs.data, sel]);
  const save = useMutation(
    trpc.notifications.setPrefs.mutationOptions({
      onSuccess: () => void qc.invalidateQueries(trpc.notifications.prefs.pathFilter()),
    }),
  );
  const toggle = (ch: Channel, name: Ev, on: boolean) => {
    if (!sel) return;
    save.reset();
    setSel({ ...sel, [ch]: on ? [...sel[ch], name] : sel[ch].filter((x) => x !== name) });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (sel) save.mutate(sel);
  };
  return (
    <Card title="What to tell me">
      <QueryView q={events}>
        {(list) => (
          <form onSubmit={submit} className="flex flex-col gap-3" aria-label="Notification preferences">
            <table className={table} aria-label="Notification events">
              <thead>
                <tr>
                  <th className={th}>Event</th>
                  <th className={`${th} text-center`}>Email</th>
                  <th className={`${th} text-center`}>Webhook</th>
                </tr>
              </thead>
              <tbody>
                {list.map((ev) => (
                  <tr key={ev.name}>
                    <td className={td}>
                      <span className="font-mono text-xs">{ev.name}</span>
                      <p className="text-xs text-slate-500">{ev.description}</p>
                    </td>
                    {(["email", "webhook"] as const).map((ch) => (
                      <td key={ch} className={`${td} text-center`}>
                        <input
                          type="checkbox"
                          aria-label={`${ev.name} by ${ch}`}
                          className="h-4 w-4"
                          disabled={!sel}
                          checked={!!sel?.[ch].includes(ev.name)}
                          onChange={(e) => toggle(ch, ev.name, e.target.checked)}
                        />
                      </td>
                    ))}
                  </tr>
                ))}
              </tbody>
            </table>
            <ErrorBox error={save.error ?? prefs.error} />
            {save.isSuccess && <Notice>Preferences saved.</Notice>}
            <div>
              <Button type="submit" busy={save.isPending} disabled={!sel}>
                Save preferences
              </Button>
            </div>
          </form>
        )}
      </QueryView>
    </Card>
  );
}
