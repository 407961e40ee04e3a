"use client";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import type { RouterOutputs } from "../../_lib/trpc.js";
import { table, td, th } from "../../_lib/ui.js";

type View = RouterOutputs["notifications"]["prefs"];
type Ev = View["events"][number];
type Channel = "email" | "webhook";
export type Choices = View["choices"];
const CHANNELS = ["email", "webhook"] as const;

/**
 * One level of notification choices (the user's own, or a seller's defaults): a row per event, a checkbox per
 * channel. A box nobody ticked at this level shows what it inherits and from where; ticking or unticking sets it
 * here, and "Use the defaults" clears this level's choices (saved with the Save button).
 */
export function ChoicesForm({
  label,
  events,
  view,
  inheritedNote,
  save,
  submitLabel,
}: {
  /** names the form and its table */
  label: string;
  events: { name: string; description: string }[];
  view: View | undefined;
  /** the note under a box whose value comes from a seller's defaults */
  inheritedNote: string;
  save: {
    mutate: (c: Choices, o: { onSuccess: (v: View) => void }) => void;
    reset: () => void;
    isPending: boolean;
    isSuccess: boolean;
    error: unknown;
  };
  submitLabel: string;
}) {
  const [sel, setSel] = useState<Choices | null>(null);
  useEffect(() => {
    if (view && !sel) setSel(view.choices);
  }, [view, sel]);
  const shown = events.filter((e) => view?.events.includes(e.name as Ev));
  const set = (ch: Channel, name: Ev, on: boolean) => {
    if (!sel) return;
    save.reset();
    setSel({ ...sel, [ch]: { ...sel[ch], [name]: on } });
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (sel) save.mutate(sel, { onSuccess: (v) => setSel(v.choices) });
  };
  const id = label.toLowerCase().replace(/[^a-z]+/g, "-");
  return (
    <form onSubmit={submit} className="flex flex-col gap-3" aria-label={label}>
      <table className={table} aria-label={`${label}: events`}>
        <thead>
          <tr>
            <th className={th}>Event</th>
            <th className={`${th} text-center`}>Email</th>
            <th className={`${th} text-center`}>Webhook</th>
          </tr>
        </thead>
        <tbody>
          {shown.map((ev) => (
            <tr key={ev.name}>
              <td className={td}>
                <span className="font-mono text-xs">{ev.name}</span>
                <p className="text-xs text-slate-500">{ev.description}</p>
              </td>
              {CHANNELS.map((ch) => {
                const name = ev.name as Ev;
                const mine = sel?.[ch][name];
                const note =
                  mine !== undefined ? null : view?.fromSeller[ch].includes(name) ? inheritedNote : "default";
                const noteId = `${id}-${name}-${ch}`;
                return (
                  <td key={ch} className={`${td} text-center`}>
                    <input
                      type="checkbox"
                      aria-label={`${ev.name} by ${ch}`}
                      aria-describedby={note ? noteId : undefined}
                      className="h-5 w-5"
                      disabled={!sel}
                      checked={mine ?? !!view?.inherited[ch].includes(name)}
                      onChange={(e) => set(ch, name, e.target.checked)}
                    />
                    {note && (
                      <span id={noteId} className="block text-[11px] leading-tight text-slate-500">
                        {note}
                      </span>
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorBox error={save.error} />
      {save.isSuccess && <Notice>Saved.</Notice>}
      <div className="flex flex-wrap gap-2">
        <Button type="submit" busy={save.isPending} disabled={!sel}>
          {submitLabel}
        </Button>
        <Button
          variant="secondary"
          disabled={!sel}
          onClick={() => {
            save.reset();
            setSel({ email: {}, webhook: {} });
          }}
        >
          Use the defaults
        </Button>
      </div>
    </form>
  );
}
