"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState } from "react";
import { Button } from "../../../_components/Button.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { TextField } from "../../../_components/TextField.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC } from "../../../_lib/trpc.js";

/**
 * Delete the tenant with its users and plans: type its name to confirm. The server refuses (the reason in a
 * sentence) while it has containers, customers or backups.
 */
export function DeleteTenant({ t }: { t: { id: string; name: string; kind: string } }) {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const [typed, setTyped] = useState("");
  const del = useMutation(
    trpc.tenants.delete.mutationOptions({
      onSuccess: () => {
        void qc.invalidateQueries(trpc.tenants.pathFilter());
        router.push(me.role === "admin" ? "/tenants" : "/customers");
      },
    }),
  );
  const ok = typed.trim() === t.name;
  return (
    <form
      className="flex flex-col gap-3"
      onSubmit={(e) => {
        e.preventDefault();
        if (ok) del.mutate({ tenantId: t.id });
      }}
    >
      <p className="text-sm text-slate-600">
        Deletes the {t.kind} with its users and plans. A tenant that still has containers, customers or backups cannot
        be deleted: remove those first.
      </p>
      <TextField
        wrapClassName="max-w-sm"
        label={`Type the tenant's name (${t.name}) to confirm`}
        value={typed}
        onChange={setTyped}
        autoComplete="off"
      />
      <ErrorBox error={del.error} />
      <div>
        <Button type="submit" variant="danger" disabled={!ok} busy={del.isPending}>
          Delete tenant
        </Button>
      </div>
    </form>
  );
}
