"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";

export function ChangePasswordForm() {
  const trpc = useTRPC();
  const [current, setCurrent] = useState("");
  const [next, setNext] = useState("");
  const m = useMutation(
    trpc.auth.changePassword.mutationOptions({
      onSuccess: () => {
        setCurrent("");
        setNext("");
      },
    }),
  );
  const fields = errInfo(m.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ current, next });
  };
  return (
    <Card title="Change password">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3" aria-label="Change password">
        <TextField
          label="Current password"
          type="password"
          autoComplete="current-password"
          value={current}
          onChange={setCurrent}
          error={fields.current}
        />
        <TextField
          label="New password"
          type="password"
          autoComplete="new-password"
          value={next}
          onChange={setNext}
          error={fields.next}
          hint="At least 10 characters. Your other sessions are logged out."
        />
        <ErrorBox error={m.error} />
        {m.isSuccess && <Notice>Password changed.</Notice>}
        <div>
          <Button type="submit" busy={m.isPending}>
            Change password
          </Button>
        </div>
      </form>
    </Card>
  );
}
