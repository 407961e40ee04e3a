"use client";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Notice } from "../../../_components/Notice.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { ContainerView } from "./types.js";

export function ResetPasswordForm({ c }: { c: ContainerView }) {
  const trpc = useTRPC();
  const [password, setPassword] = useState("");
  const m = useMutation(trpc.containers.resetPassword.mutationOptions({ onSuccess: () => setPassword("") }));
  const fields = errInfo(m.error)?.fields;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ containerId: c.id, password });
  };
  return (
    <Card title="Reset root password">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3">
        <TextField
          label="New root password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={(v) => {
            setPassword(v);
            if (m.isSuccess) m.reset();
          }}
          error={fields?.password}
          hint="At least 10 characters. Works whether the container runs or not."
        />
        <ErrorBox error={m.error} />
        {m.isSuccess && <Notice>Root password changed.</Notice>}
        <div>
          <Button type="submit" busy={m.isPending}>
            Reset password
          </Button>
        </div>
      </form>
    </Card>
  );
}
