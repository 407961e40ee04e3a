"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import type { Me } from "../_lib/trpc.js";
import { useTRPC } from "../_lib/trpc.js";
import { ErrorBox } from "./ErrorBox.js";

/**
 * On every page of a "log in as" session: who is signed in as whom, and the way back to one's own account
 * (auth.stopImpersonating: a fresh session of one's own, no password; the login page if that session is gone).
 */
export function ImpersonationBanner({ me }: { me: Me }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const back = useMutation(
    trpc.auth.stopImpersonating.mutationOptions({
      onSuccess: (r) => {
        qc.clear();
        window.location.assign(r.back ? `/tenants/${r.back.tenantId}` : "/login");
      },
    }),
  );
  if (!me.impersonator) return null;
  return (
    <div
      role="status"
      data-testid="impersonation-banner"
      className="mb-4 flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border border-violet-300 bg-violet-50 px-3 py-2 text-sm text-violet-900"
    >
      <p className="min-w-0 break-words">
        You are signed in as <strong>{me.email}</strong> by <strong>{me.impersonator.email}</strong> —
      </p>
      <button
        type="button"
        onClick={() => back.mutate()}
        disabled={back.isPending}
        className="rounded-md border border-violet-400 bg-white px-2 py-1 text-xs font-medium hover:bg-violet-100 disabled:opacity-50"
      >
        Return to your account
      </button>
      {back.error && <ErrorBox error={back.error} />}
    </div>
  );
}
