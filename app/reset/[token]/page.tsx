"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";
import { link } from "../../_lib/ui.js";

/** The page a reset mail links to: choose a new password (the link works once, for 30 minutes). */
export default function ResetPasswordPage() {
  const trpc = useTRPC();
  const { token } = useParams<{ token: string }>();
  const [password, setPassword] = useState("");
  const [again, setAgain] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const m = useMutation(trpc.auth.resetPassword.mutationOptions());
  const fields = errInfo(m.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setMismatch(password !== again);
    if (password === again) m.mutate({ token, password });
  };
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-lg font-semibold">Choose a new password</h1>
        {m.isSuccess ? (
          <div role="status" className="mt-4 flex flex-col gap-3 text-sm text-slate-700">
            <p>Your password was changed, and every session of your account was logged out.</p>
            <p>
              <Link href="/login" className={link}>
                Log in with the new password
              </Link>
            </p>
          </div>
        ) : (
          <form onSubmit={submit} noValidate className="mt-4 flex flex-col gap-3" aria-label="New password">
            <TextField
              label="New password"
              type="password"
              autoComplete="new-password"
              value={password}
              onChange={setPassword}
              error={fields.password}
              hint="At least 10 characters."
              autoFocus
            />
            <TextField
              label="New password again"
              type="password"
              autoComplete="new-password"
              value={again}
              onChange={setAgain}
              error={mismatch ? "the two passwords differ" : undefined}
            />
            <ErrorBox error={m.error} />
            {fields.token && (
              <p className="text-sm">
                <Link href="/reset" className={link}>
                  Ask for a new link
                </Link>
              </p>
            )}
            <Button type="submit" busy={m.isPending} className="justify-center">
              Set password
            </Button>
          </form>
        )}
      </div>
    </main>
  );
}
