"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { Fragment, useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { LogInAs } from "../../../_components/LogInAs.js";
import { Notice } from "../../../_components/Notice.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useMe } from "../../../_lib/me.js";
import { useTRPC, type RouterOutputs } from "../../../_lib/trpc.js";
import { link, table, td, th } from "../../../_lib/ui.js";
import { ResetPasswordRow } from "../../users/ResetUserPassword.js";

type Detail = RouterOutputs["tenants"]["get"];

/**
 * A tenant's users for its seller: each links to its page; enable/disable, reset the password and (for a
 * customer's users, never an admin) log in as them; and a form to add a user.
 */
export function TenantUsers({ t }: { t: Detail }) {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [resetFor, setResetFor] = useState<string | null>(null);
  const setDisabled = useMutation(
    trpc.users.setDisabled.mutationOptions({ onSuccess: () => void qc.invalidateQueries(trpc.tenants.pathFilter()) }),
  );
  const mayLogInAs = (role: string) =>
    !t.disabled && !me.impersonator && role !== "admin" && (me.role === "admin" || t.kind === "customer");
  return (
    <div className="flex flex-col gap-4">
      <ErrorBox error={setDisabled.error} />
      {t.users.length === 0 ? (
        <p className="text-sm text-slate-600">No users.</p>
      ) : (
        <table className={table} aria-label="Users">
          <thead>
            <tr>
              <th className={th}>Email</th>
              <th className={th}>Name</th>
              <th className={th}>Role</th>
              <th className={th}>Status</th>
              <th className={th}>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {t.users.map((u) => (
              <Fragment key={u.id}>
                <tr>
                  <td className={td}>
                    <Link className={link} href={`/users/${u.id}`}>
                      {u.email}
                    </Link>
                  </td>
                  <td className={td}>{u.name}</td>
                  <td className={td}>{u.role}</td>
                  <td className={td}>
                    {u.disabled ? "disabled" : "active"}
                    {u.totpEnabled ? ", 2FA" : ""}
                  </td>
                  <td className={`${td} whitespace-nowrap text-right`}>
                    <span className="inline-flex gap-1">
                      {u.id !== me.id && (
                        <Button
                          variant="secondary"
                          className="px-2 py-0.5 text-xs"
                          aria-label={`${u.disabled ? "Enable" : "Disable"} ${u.email}`}
                          busy={setDisabled.isPending && setDisabled.variables?.userId === u.id}
                          onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabled })}
                        >
                          {u.disabled ? "Enable" : "Disable"}
                        </Button>
                      )}
                      <Button
                        variant="secondary"
                        className="px-2 py-0.5 text-xs"
                        aria-label={`Reset the password of ${u.email}`}
                        onClick={() => setResetFor(resetFor === u.id ? null : u.id)}
                      >
                        Reset password
                      </Button>
                      {!u.disabled && u.id !== me.id && mayLogInAs(u.role) && (
                        <LogInAs userId={u.id} email={u.email} small />
                      )}
                    </span>
                  </td>
                </tr>
                {resetFor === u.id && (
                  <ResetPasswordRow userId={u.id} email={u.email} colSpan={5} onClose={() => setResetFor(null)} />
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
      )}
      {t.id !== me.tenant.id && <AddUser tenantId={t.id} />}
    </div>
  );
}

function AddUser({ tenantId }: { tenantId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [f, setF] = useState({ email: "", name: "", password: "" });
  const m = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: () => {
        setF({ email: "", name: "", password: "" });
        void qc.invalidateQueries(trpc.tenants.pathFilter());
      },
    }),
  );
  const fields = errInfo(m.error)?.fields;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ tenantId, ...f });
  };
  return (
    <form onSubmit={submit} noValidate aria-label="Add a user" className="flex flex-col gap-2">
      <h3 className="text-sm font-semibold text-slate-700">Add a user</h3>
      <div className="flex flex-wrap items-end gap-2">
        <TextField
          wrapClassName="w-full sm:w-64"
          label="Email"
          type="email"
          value={f.email}
          onChange={(email) => setF({ ...f, email })}
          error={fields?.email}
        />
        <TextField
          wrapClassName="w-full sm:w-48"
          label="Name"
          value={f.name}
          onChange={(name) => setF({ ...f, name })}
          error={fields?.name}
        />
        <TextField
          wrapClassName="w-full sm:w-56"
          label="Password"
          type="password"
          autoComplete="new-password"
          value={f.password}
          onChange={(password) => setF({ ...f, password })}
          error={fields?.password}
          hint="At least 10 characters."
        />
        <Button type="submit" busy={m.isPending} className="mb-5">
          Add user
        </Button>
      </div>
      <ErrorBox error={m.error} />
      {m.isSuccess && <Notice>User {m.data.email} added; they can log in now.</Notice>}
    </form>
  );
}
