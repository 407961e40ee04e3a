"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { when } from "../../../_lib/format.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { ContainerView, StartedOp } from "./types.js";

/**
 * Sellers: suspend the container with a reason its owner reads (stopped, or frozen: the admin's setting), or
 * lift the suspension (running again if it was running). The same service as the billing API's suspend.
 */
export function SuspendCard({
  c,
  busy,
  onStarted,
  onChanged,
}: {
  c: ContainerView;
  busy: boolean;
  onStarted: (op: StartedOp) => void;
  /** no operation was needed (only the reason changed, or it was not suspended): read the container again */
  onChanged: () => void;
}) {
  const trpc = useTRPC();
  const [reason, setReason] = useState("");
  const done = (op: StartedOp | null) => (op ? onStarted(op) : onChanged());
  const suspend = useMutation(trpc.containers.suspend.mutationOptions({ onSuccess: done }));
  const unsuspend = useMutation(trpc.containers.unsuspend.mutationOptions({ onSuccess: done }));
  const fields = errInfo(suspend.error)?.fields;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (busy || suspend.isPending || !reason.trim()) return;
    unsuspend.reset();
    suspend.mutate({ containerId: c.id, reason }, { onSuccess: () => setReason("") });
  };
  const s = c.suspension;
  return (
    <Card title={s ? "Suspended" : "Suspend container"} className="border-amber-200">
      <div className="flex flex-col gap-3">
        {s ? (
          <>
            <p className="text-sm text-slate-600" data-testid="suspend-reason">
              Suspended since {when(s.since)}: {s.reason ?? "no reason given"}. Unsuspending starts it again if it was
              running when it was suspended.
            </p>
            {s.customer ? (
              <p className="text-sm text-slate-600" data-testid="suspend-by-customer">
                Its customer {s.customer.name} is suspended ({s.customer.reason ?? "no reason given"}): unsuspend the
                customer itself (Tenants or Customers page) to lift this.
              </p>
            ) : (
              <>
                <ErrorBox error={unsuspend.error} />
                <div>
                  <Button
                    busy={unsuspend.isPending}
                    disabled={busy}
                    onClick={() => (suspend.reset(), unsuspend.mutate({ containerId: c.id }))}
                  >
                    Unsuspend
                  </Button>
                </div>
              </>
            )}
          </>
        ) : (
          <form onSubmit={submit} noValidate className="flex flex-col gap-3">
            <p className="text-sm text-slate-600">
              Stops the container (or freezes it, if the administrator chose so) until you unsuspend it. Its owner
              cannot start it and sees the reason. Nothing is deleted.
            </p>
            <TextField
              label="Reason"
              value={reason}
              onChange={setReason}
              hint="Required; the owner reads it, e.g. Invoice 1001 is overdue"
              error={fields?.reason}
              maxLength={500}
              required
              autoComplete="off"
            />
            <ErrorBox error={suspend.error} />
            <div>
              <Button type="submit" variant="danger" busy={suspend.isPending} disabled={busy || !reason.trim()}>
                Suspend
              </Button>
            </div>
          </form>
        )}
      </div>
    </Card>
  );
}
