"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, type ReactNode } from "react";
import { isUnauthorized, rememberLogoutReason } from "../_lib/errors.js";
import { MeProvider } from "../_lib/me.js";
import { useTRPC } from "../_lib/trpc.js";
import { ErrorBox } from "./ErrorBox.js";
import { Sidebar } from "./Sidebar.js";
import { SuspensionBanner } from "./SuspensionBanner.js";
import { UserBox } from "./UserBox.js";

/** Layout of logged-in pages: who am I (else → /login), the role's navigation, the page. */
export function PanelShell({ children }: { children: ReactNode }) {
  const trpc = useTRPC();
  const router = useRouter();
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { staleTime: 30_000 }));
  const unauthorized = isUnauthorized(me.error);

  useEffect(() => {
    if (!unauthorized) return;
    rememberLogoutReason(me.error);
    router.replace("/login");
  }, [unauthorized, router, me.error]);

  if (me.isPending || unauthorized) {
    return (
      <div className="flex min-h-screen items-center justify-center text-slate-500" role="status">
        {unauthorized ? "Redirecting to the login page…" : "Loading…"}
      </div>
    );
  }
  if (me.error) {
    return (
      <div className="mx-auto mt-16 max-w-md">
        <ErrorBox error={me.error} title="The panel could not load your account" />
      </div>
    );
  }
  return (
    <MeProvider me={me.data}>
      <div className="flex min-h-screen">
        <aside className="w-52 shrink-0 bg-slate-900">
          <div className="flex flex-col">
            <Link href="/containers" className="px-5 py-4 text-base font-semibold tracking-tight text-white">
              ovz <span className="font-normal text-slate-400">panel</span>
            </Link>
            <div>
              <Sidebar me={me.data} />
            </div>
            <UserBox me={me.data} />
          </div>
        </aside>
        <main className="min-w-0 flex-1 px-6 py-5">
          <SuspensionBanner me={me.data} />
          {children}
        </main>
      </div>
    </MeProvider>
  );
}
