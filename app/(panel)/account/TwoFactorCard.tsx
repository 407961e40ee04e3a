"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useMe } from "../../_lib/me.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono } from "../../_lib/ui.js";

/** TOTP: set up (otpauth URI and secret as text), enable with a code, disable with a code. */
export function TwoFactorCard() {
  const me = useMe();
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [code, setCode] = useState("");
  const [done, setDone] = useState<string | null>(null);
  const refreshMe = () => void qc.invalidateQueries(trpc.auth.me.queryFilter());
  const setup = useMutation(trpc.auth.totpSetup.mutationOptions({ onSuccess: () => setDone(null) }));
  const enable = useMutation(
    trpc.auth.totpEnable.mutationOptions({
      onSuccess: () => {
        setCode("");
        setup.reset();
        setDone("Two-factor login is on. You will be asked for a code at every login.");
        refreshMe();
      },
    }),
  );
  const disable = useMutation(
    trpc.auth.totpDisable.mutationOptions({
      onSuccess: () => {
        setCode("");
        setDone("Two-factor login is off.");
        refreshMe();
      },
    }),
  );
  const m = me.totpEnabled ? disable : enable;
  const fields = errInfo(m.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ code });
  };
  const codeField = (
    <TextField
      label="Authentication code"
      inputMode="numeric"
      autoComplete="one-time-code"
      maxLength={6}
      value={code}
      onChange={(v) => setCode(v.replace(/\D/g, ""))}
      error={fields.code}
      hint="The 6-digit code your authenticator app shows now"
      wrapClassName="w-64"
    />
  );

  return (
    <Card
      title="Two-factor login"
      actions={
        <span className={`text-xs font-medium ${me.totpEnabled ? "text-green-700" : "text-slate-500"}`}>
          {me.totpEnabled ? "on" : "off"}
        </span>
      }
    >
      <div className="flex flex-col gap-3">
        {done && <Notice>{done}</Notice>}
        {me.totpEnabled ? (
          <form onSubmit={submit} noValidate className="flex flex-col gap-3" aria-label="Disable two-factor login">
            <p className="text-sm text-slate-600">
              Logging in needs your password and a code from your authenticator app.
            </p>
            {codeField}
            <ErrorBox error={disable.error} />
            <div>
              <Button type="submit" variant="danger" busy={disable.isPending}>
                Disable two-factor login
              </Button>
            </div>
          </form>
        ) : !setup.data ? (
          <div className="flex flex-col gap-3">
            <p className="text-sm text-slate-600">
              Protect your account with a time-based code (TOTP) from an authenticator app.
            </p>
            <ErrorBox error={setup.error} />
            <div>
              <Button onClick={() => setup.mutate()} busy={setup.isPending}>
                Set up two-factor login
              </Button>
            </div>
          </div>
        ) : (
          <form onSubmit={submit} noValidate className="flex flex-col gap-3" aria-label="Enable two-factor login">
            <p className="text-sm text-slate-600">
              Add this account to your authenticator app with the link or the secret below, then enter the code it
              shows.
            </p>
            <div className="flex flex-col gap-1">
              <span className="text-xs font-medium text-slate-700">otpauth URI</span>
              <code className={`${mono} break-all rounded bg-slate-100 p-2`} data-testid="totp-uri">
                {setup.data.uri}
              </code>
              <span className="mt-1 text-xs font-medium text-slate-700">Secret</span>
              <code className={`${mono} break-all rounded bg-slate-100 p-2 tracking-wider`} data-testid="totp-secret">
                {setup.data.secret}
              </code>
            </div>
            {codeField}
            <ErrorBox error={enable.error} />
            <div>
              <Button type="submit" busy={enable.isPending}>
                Enable two-factor login
              </Button>
            </div>
          </form>
        )}
      </div>
    </Card>
  );
}
