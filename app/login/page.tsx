"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../_components/Button.js";
import { ErrorBox } from "../_components/ErrorBox.js";
import { TextField } from "../_components/TextField.js";
import { errInfo, forgetLogoutReason, logoutReason } from "../_lib/errors.js";
import { useTRPC } from "../_lib/trpc.js";

export default function LoginPage() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const router = useRouter();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [step, setStep] = useState<"password" | "code">("password");
  // why the last session ended, when the account was suspended (kept by the page that sent us here)
  const [reason, setReason] = useState<string | null>(null);
  useEffect(() => setReason(logoutReason()), []);

  const done = () => {
    forgetLogoutReason();
    qc.clear();
    router.replace("/containers");
  };
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: (r) => {
        if (r.needsSecondFactor) setStep("code");
        else done();
      },
    }),
  );
  const verify = useMutation(trpc.auth.verifySecondFactor.mutationOptions({ onSuccess: done }));
  const loginFields = errInfo(login.error)?.fields ?? {};
  const codeFields = errInfo(verify.error)?.fields ?? {};

  const submitPassword = (e: FormEvent) => {
    e.preventDefault();
    login.mutate({ email, password });
  };
  const submitCode = (e: FormEvent) => {
    e.preventDefault();
    verify.mutate({ code });
  };

  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <h1 className="text-lg font-semibold">
          ovz <span className="font-normal text-slate-500">panel</span>
        </h1>
        {step === "password" ? (
          <form onSubmit={submitPassword} noValidate className="mt-4 flex flex-col gap-3" aria-label="Log in">
            <p className="text-sm text-slate-600">Log in to manage your containers.</p>
            {reason && !login.error && (
              <div
                role="alert"
                data-testid="logout-reason"
                className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
              >
                <p className="font-semibold">You were logged out</p>
                <p>{reason}</p>
              </div>
            )}
            <TextField
              label="Email"
              type="email"
              autoComplete="username"
              value={email}
              onChange={setEmail}
              error={loginFields.email}
              autoFocus
            />
            <TextField
              label="Password"
              type="password"
              autoComplete="current-password"
              value={password}
              onChange={setPassword}
              error={loginFields.password}
            />
            <ErrorBox error={login.error} />
            <Button type="submit" busy={login.isPending} className="justify-center">
              Log in
            </Button>
            <Link href="/reset" className="text-center text-sm text-blue-700 hover:underline">
              Forgot password?
            </Link>
          </form>
        ) : (
          <form onSubmit={submitCode} noValidate className="mt-4 flex flex-col gap-3" aria-label="Two-factor code">
            <p className="text-sm text-slate-600">
              Your password is correct. Enter the 6-digit code from your authenticator app.
            </p>
            <TextField
              label="Authentication code"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              value={code}
              onChange={(v) => setCode(v.replace(/\D/g, ""))}
              error={codeFields.code}
              hint="6 digits"
              autoFocus
            />
            <ErrorBox error={verify.error} />
            <Button type="submit" busy={verify.isPending} className="justify-center">
              Verify
            </Button>
            <button
              type="button"
              className="text-xs text-slate-500 hover:underline"
              onClick={() => {
                setStep("password");
                setCode("");
                verify.reset();
              }}
            >
              Use another account
            </button>
          </form>
        )}
      </div>
    </main>
  );
}
