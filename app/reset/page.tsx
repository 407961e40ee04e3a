"use client";
import { useMutation } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type FormEvent } from "react";
import { Button } from "../_components/Button.js";
import { ErrorBox } from "../_components/ErrorBox.js";
import { TextField } from "../_components/TextField.js";
import { errInfo } from "../_lib/errors.js";
import { useTRPC } from "../_lib/trpc.js";
import { link } from "../_lib/ui.js";

/** "Forgot password?": asks for a reset link by email (the answer is the same whether the address is known). */
export default function ForgotPasswordPage() {
  const trpc = useTRPC();
  const [email, setEmail] = useState("");
  const m = useMutation(trpc.auth.requestPasswordReset.mutationOptions());
  const fields = errInfo(m.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ email });
  };
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-lg font-semibold">Reset your password</h1>
        {m.isSuccess ? (
          <div role="status" className="mt-4 flex flex-col gap-3 text-sm text-slate-700">
            <p>
              If <strong>{email}</strong> belongs to an account, a mail with a reset link is on its way. The link works
              once, for 30 minutes.
            </p>
            <p>No mail after a few minutes? Check the spam folder, or ask your provider.</p>
          </div>
        ) : (
          <form onSubmit={submit} noValidate className="mt-4 flex flex-col gap-3" aria-label="Request a reset link">
            <p className="text-sm text-slate-600">Enter your account&apos;s email address: we mail you a link.</p>
            <TextField
              label="Email"
              type="email"
              autoComplete="username"
              value={email}
              onChange={setEmail}
              error={fields.email}
              autoFocus
            />
            <ErrorBox error={m.error} />
            <Button type="submit" busy={m.isPending} className="justify-center">
              Send reset link
            </Button>
          </form>
        )}
        <p className="mt-4 text-sm">
          <Link href="/login" className={link}>
            Back to login
          </Link>
        </p>
      </div>
    </main>
  );
}
