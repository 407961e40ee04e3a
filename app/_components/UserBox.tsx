"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import type { Me } from "../_lib/trpc.js";
import { useTRPC } from "../_lib/trpc.js";

/** Who is logged in, and the logout button. */
export function UserBox({ me }: { me: Me }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSettled: () => {
        qc.clear();
        router.replace("/login");
      },
    }),
  );
  return (
    <div className="mt-2 border-t border-slate-800 p-3 text-xs text-slate-300">
      <p className="truncate font-medium text-white" title={me.email} data-testid="current-user">
        {me.name}
      </p>
      <p className="truncate" title={me.email}>
        {me.email}
      </p>
      <p className="mt-0.5 text-slate-400">
        {me.role} · {me.tenant.name}
      </p>
      <button
        type="button"
        onClick={() => logout.mutate()}
        disabled={logout.isPending}
        className="mt-2 w-full rounded-md border border-slate-600 px-2 py-1 text-xs text-slate-100 hover:bg-slate-800 disabled:opacity-50"
      >
        Log out
      </button>
    </div>
  );
}
