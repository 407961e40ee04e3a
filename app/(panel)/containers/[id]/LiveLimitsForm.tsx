"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useMemo, useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { LimitFields } from "../../../_components/LimitFields.js";
import { Notice } from "../../../_components/Notice.js";
import { errInfo, fieldError } from "../../../_lib/errors.js";
import { limitTexts, toPatch, type LimitKey, type LimitTexts } from "../../../_lib/limits.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { ContainerView } from "./types.js";

/** Admin: change limits on the container (live when it runs); only the changed fields are sent. */
export function LiveLimitsForm({ c }: { c: ContainerView }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const initial = useMemo(() => limitTexts(c.limits), [c.limits]);
  const [texts, setTexts] = useState<LimitTexts>(initial);
  const [baseline, setBaseline] = useState<LimitTexts>(initial);
  const m = useMutation(
    trpc.containers.setLimits.mutationOptions({
      onSuccess: (r) => {
        const next = limitTexts(r.limits);
        setTexts(next);
        setBaseline(next);
        void qc.invalidateQueries(trpc.containers.get.queryFilter({ containerId: c.id }));
        void qc.invalidateQueries(trpc.containers.usage.queryFilter({ containerId: c.id }));
      },
    }),
  );
  const fields = errInfo(m.error)?.fields;
  const changed = (k: LimitKey) => texts[k].trim() !== baseline[k].trim();
  const dirty = (Object.keys(texts) as LimitKey[]).filter(changed);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ containerId: c.id, limits: toPatch(texts, changed) });
  };
  return (
    <Card
      title="Live limits"
      testId="live-limits"
      actions={<span className="text-xs text-slate-500">admin · overrides the plan for this container</span>}
    >
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <LimitFields
          idPrefix="live"
          values={texts}
          onChange={(k, v) => {
            setTexts((t) => ({ ...t, [k]: v }));
            if (m.isSuccess) m.reset();
          }}
          errorOf={(k) => fieldError(fields, `limits.${k}`, k)}
          changed={changed}
        />
        <ErrorBox error={m.error} />
        {m.isSuccess && (
          <Notice tone={m.data.appliedLive ? "success" : "info"}>
            {m.data.appliedLive
              ? "Applied live: the running container uses the new limits now."
              : "Saved, not applied live: the container is not running; the new limits apply when it starts."}
          </Notice>
        )}
        <div className="flex items-center gap-3">
          <Button type="submit" busy={m.isPending} disabled={dirty.length === 0}>
            Apply limits
          </Button>
          <span className="text-xs text-slate-500">
            {dirty.length === 0 ? "No changes" : `${dirty.length} changed: ${dirty.join(", ")}`}
          </span>
          {dirty.length > 0 && (
            <button type="button" className="text-xs text-slate-600 hover:underline" onClick={() => setTexts(baseline)}>
              Undo changes
            </button>
          )}
        </div>
      </form>
    </Card>
  );
}
