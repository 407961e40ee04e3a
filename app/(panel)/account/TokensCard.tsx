"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { SelectField } from "../../_components/SelectField.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { when } from "../../_lib/format.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC, type Role } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";
import { QueryView } from "../../_components/QueryView.js";

const BELOW: Record<Role, Role[]> = {
  admin: ["admin", "reseller", "customer"],
  reseller: ["reseller", "customer"],
  customer: ["customer"],
};

/** API tokens: list, create (the secret is shown once), revoke. */
export function TokensCard() {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const list = useQuery(trpc.tokens.list.queryOptions());
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>(me.role);
  const [days, setDays] = useState("");
  const refresh = () => void qc.invalidateQueries(trpc.tokens.pathFilter());
  const create = useMutation(
    trpc.tokens.create.mutationOptions({
      onSuccess: () => {
        setName("");
        setDays("");
        refresh();
      },
    }),
  );
  const revoke = useMutation(trpc.tokens.revoke.mutationOptions({ onSuccess: refresh }));
  const fields = errInfo(create.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const d = days.trim();
    create.mutate({ name, role, expiresInDays: d === "" ? undefined : /^\d+$/.test(d) ? Number(d) : Number.NaN });
  };
  return (
    <Card title="API tokens">
      <div className="flex flex-col gap-4">
        <QueryView q={list} empty="No tokens. A token lets scripts call the panel API (Authorization: Bearer …).">
          {(data) => (
            <table className={table} aria-label="API tokens">
              <thead>
                <tr>
                  <th className={th}>Name</th>
                  <th className={th}>Role</th>
                  <th className={th}>Created</th>
                  <th className={th}>Expires</th>
                  <th className={th}>Last used</th>
                  <th className={th}>Status</th>
                  <th className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.map((t) => {
                  const expired = t.expiresAt && t.expiresAt.getTime() < Date.now();
                  return (
                    <tr key={t.id}>
                      <td className={`${td} font-medium`}>{t.name}</td>
                      <td className={td}>{t.role}</td>
                      <td className={`${td} text-xs`}>{when(t.createdAt)}</td>
                      <td className={`${td} text-xs`}>{t.expiresAt ? when(t.expiresAt) : "never"}</td>
                      <td className={`${td} text-xs`}>{t.lastUsedAt ? when(t.lastUsedAt) : "never"}</td>
                      <td className={td}>
                        {t.revokedAt ? (
                          <span className="text-red-700">revoked</span>
                        ) : expired ? (
                          <span className="text-amber-700">expired</span>
                        ) : (
                          <span className="text-green-700">active</span>
                        )}
                      </td>
                      <td className={`${td} text-right`}>
                        {!t.revokedAt && (
                          <Button
                            variant="secondary"
                            className="px-2 py-0.5 text-xs"
                            busy={revoke.isPending && revoke.variables?.tokenId === t.id}
                            onClick={() => revoke.mutate({ tokenId: t.id })}
                          >
                            Revoke
                          </Button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </QueryView>
        <ErrorBox error={revoke.error} />
        {create.data && (
          <div role="status" className="rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-900">
            <p className="font-medium">Token “{create.data.name}” created. Copy it now: it is shown only once.</p>
            <code
              className={`${mono} mt-2 block break-all rounded bg-white p-2 text-slate-900`}
              data-testid="new-token"
            >
              {create.data.token}
            </code>
          </div>
        )}
        <form onSubmit={submit} noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-3" aria-label="New API token">
          <TextField
            label="Token name"
            value={name}
            onChange={setName}
            error={fields.name}
            autoComplete="off"
            placeholder="backup script"
          />
          <SelectField
            label="Token role"
            value={role}
            onChange={(v) => setRole(v as Role)}
            options={BELOW[me.role].map((r) => ({ value: r, label: r }))}
            error={fields.role}
          />
          <TextField
            label="Expires in days"
            inputMode="numeric"
            value={days}
            onChange={setDays}
            error={fields.expiresInDays}
            hint="Empty = never"
          />
          <div className="flex flex-col gap-3 sm:col-span-3">
            <ErrorBox error={create.error} />
            <div>
              <Button type="submit" busy={create.isPending}>
                Create token
              </Button>
            </div>
          </div>
        </form>
      </div>
    </Card>
  );
}
