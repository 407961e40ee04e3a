"use client";
import type { ReactNode } from "react";
import { useMe } from "../_lib/me.js";
import type { Role } from "../_lib/trpc.js";

/** Pages for some roles only (the server enforces it too; this avoids a page full of errors). */
export function RequireRole({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const me = useMe();
  if (!roles.includes(me.role)) {
    return (
      <div role="alert" className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900">
        This page needs the {roles.join(" or ")} role; you are logged in as {me.role}.
      </div>
    );
  }
  return <>{children}</>;
}
