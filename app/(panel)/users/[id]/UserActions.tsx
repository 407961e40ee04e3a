"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Button } from "../../../_components/Button.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { LogInAs } from "../../../_components/LogInAs.js";
import { Notice } from "../../../_components/Notice.js";
import { SelectField } from "../../../_components/SelectField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC, type RouterOutputs } from "../../../_lib/trpc.js";
import { ResetUserPassword } from "../ResetUserPassword.js";

type User = RouterOutputs["users"]["get"];

/** Enable/disable, reset the password, (admin) change the role, log in as the user. */
export function UserActions({ u }: { u: User }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const refresh = () => void qc.invalidateQueries(trpc.users.pathFilter());
  const [reset, setReset] = useState(false);
  const [role, setRole] = useState(u.role);
  const setDisabled = useMutation(trpc.users.setDisabled.mutationOptions({ onSuccess: refresh }));
  const setRoleM = useMutation(trpc.users.setRole.mutationOptions({ onSuccess: refresh }));
  return (
    <div className="flex flex-col gap-3">
      <div className="flex flex-wrap gap-2">
        {!u.self && (
          <Button
            variant={u.disabled ? "primary" : "danger"}
            busy={setDisabled.isPending}
            onClick={() => setDisabled.mutate({ userId: u.id, disabled: !u.disabled })}
          >
            {u.disabled ? "Enable user" : "Disable user"}
          </Button>
        )}
        <Button variant="secondary" onClick={() => setReset((r) => !r)}>
          Reset password
        </Button>
        {u.impersonation === null && <LogInAs userId={u.id} email={u.email} />}
      </div>
      {u.impersonation !== null && !u.self && (
        <p className="text-xs text-slate-500">Log in as is not available: {u.impersonation}</p>
      )}
      <ErrorBox error={setDisabled.error} />
      {reset && <ResetUserPassword userId={u.id} email={u.email} onClose={() => setReset(false)} />}
      {u.roles.length > 1 && (
        <form
          className="flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            setRoleM.mutate({ userId: u.id, role: role as User["roles"][number] });
          }}
        >
          <SelectField
            wrapClassName="w-48"
            label="Role"
            value={role}
            onChange={setRole}
            options={u.roles.map((r) => ({ value: r, label: r }))}
            hint="API tokens above the new role are revoked."
            error={errInfo(setRoleM.error)?.fields.role}
          />
          <Button
            type="submit"
            variant="secondary"
            busy={setRoleM.isPending}
            disabled={role === u.role}
            className="mb-5"
          >
            Change role
          </Button>
        </form>
      )}
      <ErrorBox error={setRoleM.error} />
      {setRoleM.isSuccess && (
        <Notice>
          Role changed to {setRoleM.data.role}
          {setRoleM.data.revokedTokens > 0 ? `; ${setRoleM.data.revokedTokens} API token(s) revoked` : ""}.
        </Notice>
      )}
    </div>
  );
}
