"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../_lib/trpc.js";
import { Button } from "./Button.js";
import { ErrorBox } from "./ErrorBox.js";

/**
 * A customer row's Suspend (asks for the reason inline) or Unsuspend: the whole customer and all its
 * containers, as the billing API's customers/{id}/suspend. Containers busy with another operation are named.
 */
export function TenantSuspend({ tenant }: { tenant: { id: string; name: string; suspended: boolean } }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [open, setOpen] = useState(false);
  const [reason, setReason] = useState("");
  const done = () => {
    setOpen(false);
    setReason("");
    void qc.invalidateQueries(trpc.tenants.pathFilter());
    void qc.invalidateQueries(trpc.containers.pathFilter());
  };
  const suspend = useMutation(trpc.tenants.suspend.mutationOptions({ onSuccess: done }));
  const unsuspend = useMutation(trpc.tenants.unsuspend.mutationOptions({ onSuccess: done }));
  const failed = (suspend.data ?? unsuspend.data)?.failed ?? [];
  const error = suspend.error ?? unsuspend.error;
  let action;
  if (tenant.suspended)
    action = (
      <Button
        variant="secondary"
        className="px-2 py-0.5 text-xs"
        aria-label={`Unsuspend ${tenant.name}`}
        busy={unsuspend.isPending}
        onClick={() => (suspend.reset(), unsuspend.mutate({ tenantId: tenant.id }))}
      >
        Unsuspend
      </Button>
    );
  else if (!open)
    action = (
      <Button
        variant="secondary"
        className="px-2 py-0.5 text-xs"
        aria-label={`Suspend ${tenant.name}`}
        onClick={() => setOpen(true)}
      >
        Suspend
      </Button>
    );
  else
    action = (
      <form
        className="inline-flex flex-wrap items-center justify-end gap-1"
        onSubmit={(e) => {
          e.preventDefault();
          if (!reason.trim()) return;
          unsuspend.reset();
          suspend.mutate({ tenantId: tenant.id, reason });
        }}
      >
        <input
          aria-label={`Reason to suspend ${tenant.name}`}
          placeholder="Reason (the customer reads it)"
          className="w-56 rounded-md border border-slate-300 px-2 py-0.5 text-xs"
          value={reason}
          maxLength={500}
          required
          onChange={(e) => setReason(e.target.value)}
        />
        <Button
          type="submit"
          variant="danger"
          className="px-2 py-0.5 text-xs"
          busy={suspend.isPending}
          disabled={!reason.trim()}
        >
          Suspend customer
        </Button>
        <Button variant="ghost" className="px-2 py-0.5 text-xs" onClick={() => setOpen(false)}>
          Cancel
        </Button>
      </form>
    );
  return (
    <span className="inline-flex flex-col items-end gap-1">
      {action}
      <ErrorBox error={error} />
      {failed.length > 0 && (
        <span className="text-xs text-amber-700" role="status">
          {failed.length} container(s) were busy with another operation: {failed.map((f) => f.error).join(" ")} Try
          again once it ended.
        </span>
      )}
    </span>
  );
}
