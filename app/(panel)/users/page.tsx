"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { PageHeader } from "../../_components/PageHeader.js";
import { RequireRole } from "../../_components/RequireRole.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { link, table, td, th } from "../../_lib/ui.js";
import { ResetPasswordRow } from "./ResetUserPassword.js";
import { QueryView } from "../../_components/QueryView.js";

function Users() {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.users.list.queryOptions());
  const [resetFor, setResetFor] = useState<string | null>(null);
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.users.pathFilter()) }),
  );
  return (
    <>
      <PageHeader title="Users" subtitle="Every user of every tenant." />
      <Card>
        <ErrorBox error={setDisabled.error} />
        <QueryView q={q} empty="No users.">
          {(data) => (
            <table className={table} aria-label="Users">
              <thead>
                <tr>
                  <th className={th}>Email</th>
                  <th className={th}>Name</th>
                  <th className={th}>Role</th>
                  <th className={th}>Tenant</th>
                  <th className={th}>2FA</th>
                  <th className={th}>Status</th>
                  <th className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.map((u) => (
                  <Fragment key={u.id}>
                    <tr>
                      <td className={`${td} font-medium`}>
                        <Link className={link} href={`/users/${u.id}`}>
                          {u.email}
                        </Link>
                      </td>
                      <td className={td}>{u.name}</td>
                      <td className={td}>{u.role}</td>
                      <td className={td}>
                        {u.tenant.name} <span className="text-xs text-slate-500">({u.tenant.kind})</span>
                      </td>
                      <td className={td}>{u.totpEnabled ? "on" : "off"}</td>
                      <td className={td}>
                        {u.disabled ? (
                          <span className="font-medium text-red-700">disabled</span>
                        ) : (
                          <span className="text-green-700">active</span>
                        )}
                      </td>
                      <td className={`${td} whitespace-nowrap text-right`}>
                        <span className="inline-flex gap-1">
                          {u.id !== me.id && (
                            <Button
                              variant="secondary"
                              className="px-2 py-0.5 text-xs"
                              busy={setDisabled.isPending && setDisabled.variables?.userId === u.id}
                              onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabled })}
                            >
                              {u.disabled ? "Enable" : "Disable"}
                            </Button>
                          )}
                          <Button
                            variant="secondary"
                            className="px-2 py-0.5 text-xs"
                            onClick={() => setResetFor(resetFor === u.id ? null : u.id)}
                          >
                            Reset password
                          </Button>
                        </span>
                      </td>
                    </tr>
                    {resetFor === u.id && (
                      <ResetPasswordRow userId={u.id} email={u.email} colSpan={7} onClose={() => setResetFor(null)} />
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
      </Card>
    </>
  );
}

export default function UsersPage() {
  return (
    <RequireRole roles={["admin"]}>
      <Users />
    </RequireRole>
  );
}
