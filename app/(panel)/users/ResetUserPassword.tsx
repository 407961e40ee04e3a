"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";

export function ResetUserPassword({ userId, email, onClose }: { userId: string; email: string; onClose: () => void }) {
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const m = useMutation(trpc.users.resetPassword.mutationOptions({ onSuccess: () => setPassword("") }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ userId, password });
  };
  return (
    <form
      onSubmit={submit}
      noValidate
      className="flex flex-col gap-2 rounded-md border border-slate-200 bg-slate-50 p-3"
    >
      <div className="flex flex-wrap items-end gap-2">
        <TextField
          wrapClassName="w-72"
          label={`New password for ${email}`}
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={errInfo(m.error)?.fields.password}
          hint="At least 10 characters; logs the user out everywhere."
          autoFocus
        />
        <Button type="submit" busy={m.isPending} className="mb-5">
          Save password
        </Button>
        <Button variant="ghost" onClick={onClose} className="mb-5">
          Cancel
        </Button>
      </div>
      <ErrorBox error={m.error} />
      {m.isSuccess && <Notice>Password of {email} changed; their sessions were ended.</Notice>}
    </form>
  );
}

/** The reset form as a table row under a user's row (the Users table, a tenant's users). */
export function ResetPasswordRow(p: { userId: string; email: string; colSpan: number; onClose: () => void }) {
  return (
    <tr>
      <td colSpan={p.colSpan} className="border-b border-slate-100 px-3 py-2">
        <ResetUserPassword userId={p.userId} email={p.email} onClose={p.onClose} />
      </td>
    </tr>
  );
}
