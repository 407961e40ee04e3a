"use client";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { createTRPCClient } from "@trpc/client";
import { useState, type ReactNode } from "react";
import type { AppRouter } from "../server/routers/index.js";
import { errInfo, rememberLogoutReason } from "./_lib/errors.js";
import { panelLink } from "./_lib/trpc-link.js";
import { TRPCProvider } from "./_lib/trpc.js";

function noRetryOnClientErrors(failureCount: number, error: unknown): boolean {
  const code = errInfo(error)?.code;
  if (code && code !== "INTERNAL_SERVER_ERROR" && code !== "SERVICE_UNAVAILABLE" && code !== "TIMEOUT") return false;
  return failureCount < 2;
}

function toLoginOnUnauthorized(error: unknown): void {
  // A session that expired while a page is open: any query answering UNAUTHORIZED sends the user to /login.
  if (
    errInfo(error)?.code === "UNAUTHORIZED" &&
    typeof window !== "undefined" &&
    window.location.pathname !== "/login"
  ) {
    rememberLogoutReason(error); // a suspended account: the login page says why, and who to contact
    window.location.assign("/login");
  }
}

export function Providers({ children }: { children: ReactNode }) {
  const [queryClient] = useState(
    (): QueryClient =>
      new QueryClient({
        queryCache: new QueryCache({ onError: toLoginOnUnauthorized }),
        // A CONFLICT (the container is busy with an operation started elsewhere, another tab, the CLI): what the
        // page shows is out of date; reloading it shows the running operation and turns its buttons off.
        mutationCache: new MutationCache({
          onError: (error) => {
            if (errInfo(error)?.code === "CONFLICT") void queryClient.invalidateQueries();
          },
        }),
        defaultOptions: {
          queries: { retry: noRetryOnClientErrors, refetchOnWindowFocus: false, staleTime: 1000 },
          mutations: { retry: false },
        },
      }),
  );
  const [trpcClient] = useState(() => createTRPCClient<AppRouter>({ links: [panelLink()] }));
  return (
    <QueryClientProvider client={queryClient}>
      <TRPCProvider trpcClient={trpcClient} queryClient={queryClient}>
        {children}
      </TRPCProvider>
    </QueryClientProvider>
  );
}
