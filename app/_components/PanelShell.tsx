"use client";
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef, useState, type ReactNode } from "react";
import { isUnauthorized, rememberLogoutReason } from "../_lib/errors.js";
import { LiveUpdates } from "../_lib/live.js";
import { MeProvider } from "../_lib/me.js";
import { useTRPC, type Me } from "../_lib/trpc.js";
import { ErrorBox } from "./ErrorBox.js";
import { ImpersonationBanner } from "./ImpersonationBanner.js";
import { Sidebar } from "./Sidebar.js";
import { SuspensionBanner } from "./SuspensionBanner.js";
import { UserBox } from "./UserBox.js";

/** Layout of logged-in pages: who am I (else → /login), the role's navigation, live updates, the page. */
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
      <LiveUpdates>
        <div className="flex min-h-screen flex-col md:flex-row">
          <MobileBar me={me.data} />
          <aside className="hidden w-52 shrink-0 bg-slate-900 md:block">
            <div className="flex flex-col">
              <Brand />
              <div>
                <Sidebar me={me.data} />
              </div>
              <UserBox me={me.data} />
            </div>
          </aside>
          <main className="min-w-0 flex-1 px-3 py-4 sm:px-6 sm:py-5">
            <ImpersonationBanner me={me.data} />
            <SuspensionBanner me={me.data} />
            {children}
          </main>
        </div>
      </LiveUpdates>
    </MeProvider>
  );
}

function Brand() {
  return (
    <Link href="/containers" className="px-5 py-4 text-base font-semibold tracking-tight text-white">
      ovz <span className="font-normal text-slate-400">panel</span>
    </Link>
  );
}

/**
 * Below the md breakpoint (phones) the sidebar is a drawer behind a menu button: a modal dialog that takes the focus
 * when it opens and keeps it (Tab and Shift+Tab go round its links and buttons), closes on a click on a link, the
 * backdrop or Escape, and gives the focus back to the button.
 */
function MobileBar({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const path = usePathname();
  const button = useRef<HTMLButtonElement>(null);
  const drawer = useRef<HTMLDivElement>(null);
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return;
    drawer.current?.querySelector<HTMLElement>("a, button")?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Tab") return trapTab(e, drawer.current);
      if (e.key !== "Escape") return;
      setOpen(false);
      button.current?.focus();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [open]);
  return (
    <div className="sticky top-0 z-30 flex items-center justify-between bg-slate-900 md:hidden">
      <Brand />
      <button
        ref={button}
        type="button"
        aria-expanded={open}
        aria-controls="mobile-nav"
        onClick={() => setOpen((o) => !o)}
        className="mr-3 rounded-md border border-slate-600 px-3 py-1.5 text-sm text-white hover:bg-slate-800"
      >
        Menu
      </button>
      {open && (
        <div className="fixed inset-0 z-40 flex" role="presentation">
          <div
            ref={drawer}
            id="mobile-nav"
            role="dialog"
            aria-modal="true"
            aria-label="Menu"
            className="flex w-64 max-w-[80%] flex-col overflow-y-auto bg-slate-900"
          >
            <div className="flex items-center justify-between">
              <Brand />
              <button
                type="button"
                onClick={() => (setOpen(false), button.current?.focus())}
                className="mr-3 rounded-md px-2 py-1 text-sm text-slate-300 hover:bg-slate-800"
              >
                Close
              </button>
            </div>
            <Sidebar me={me} />
            <UserBox me={me} />
          </div>
          <button
            type="button"
            aria-label="Close the menu"
            tabIndex={-1}
            className="flex-1 bg-slate-900/50"
            onClick={() => setOpen(false)}
          />
        </div>
      )}
    </div>
  );
}

/** Tab and Shift+Tab go round the focusable elements of `box` (a modal dialog) instead of leaving it. */
function trapTab(e: KeyboardEvent, box: HTMLElement | null): void {
  if (!box) return;
  const all = [...box.querySelectorAll<HTMLElement>("a[href], button:not([disabled]), input, select, textarea")];
  const stops = all.filter((el) => el.tabIndex >= 0);
  if (stops.length === 0) return;
  const first = stops[0]!;
  const last = stops[stops.length - 1]!;
  const at = document.activeElement;
  const inside = at instanceof HTMLElement && box.contains(at);
  if (e.shiftKey && (at === first || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (at === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}
