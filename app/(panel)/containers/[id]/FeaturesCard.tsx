"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { CheckboxField } from "../../../_components/CheckboxField.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { Notice } from "../../../_components/Notice.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import type { FeatureKey } from "../../../../native/src/features.js";

/**
 * The container's features (nesting, TUN/TAP, FUSE, keyctl): the ones its plan allows can be turned on or off.
 * None applies to a running container: they take effect at its next start (restart it).
 */
export function FeaturesCard({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.containers.features.queryOptions({ containerId }, { trpc: { context: SOLO } }));
  const [on, setOn] = useState<FeatureKey[]>([]);
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (q.data && !dirty) setOn(q.data.enabled);
  }, [q.data, dirty]);
  const m = useMutation(
    trpc.containers.setFeatures.mutationOptions({
      onSuccess: () => {
        setDirty(false);
        void qc.invalidateQueries(trpc.containers.features.queryFilter({ containerId }));
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ containerId, features: on });
  };
  const fieldError = errInfo(m.error)?.fields?.features;
  return (
    <Card title="Features" testId="features-card">
      {q.isPending ? (
        <Loading what="Loading the features" lines={3} />
      ) : q.error ? (
        <ErrorBox error={q.error} />
      ) : (
        <form onSubmit={submit} noValidate className="flex flex-col gap-3" aria-label="Features">
          <p className="text-xs text-slate-600">
            Changes take effect at the container&apos;s next start: restart it after saving.
          </p>
          <ul className="flex flex-col gap-2">
            {q.data.catalog.map((f) => {
              const allowed = q.data.allowed.includes(f.key);
              const enabled = on.includes(f.key);
              return (
                <li key={f.key} className="flex flex-col gap-0.5">
                  {allowed || enabled ? (
                    <CheckboxField
                      id={`feature-${f.key}`}
                      label={f.label}
                      checked={enabled}
                      onChange={(v) => {
                        setDirty(true);
                        setOn((cur) =>
                          q.data.catalog.map((x) => x.key).filter((k) => (k === f.key ? v : cur.includes(k))),
                        );
                        if (m.isSuccess || m.isError) m.reset();
                      }}
                    />
                  ) : (
                    <span className="text-sm text-slate-500">{f.label}: not in your plan</span>
                  )}
                  <span className="text-xs text-slate-600">{f.description}</span>
                </li>
              );
            })}
          </ul>
          {fieldError ? <p className="text-xs font-medium text-red-700">{fieldError}</p> : <ErrorBox error={m.error} />}
          {m.isSuccess && (
            <Notice>
              {m.data.restartNeeded
                ? "Saved. Restart the container for the change to take effect."
                : `Saved: ${m.data.enabled.length ? m.data.enabled.join(", ") : "no features"} at the next start.`}
            </Notice>
          )}
          {q.data.allowed.length > 0 && (
            <div>
              <Button type="submit" busy={m.isPending}>
                Save features
              </Button>
            </div>
          )}
        </form>
      )}
    </Card>
  );
}
