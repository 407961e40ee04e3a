"use client";
import { createContext, useContext, type ReactNode } from "react";
import type { Me } from "./trpc.js";

const MeContext = createContext<Me | null>(null);

export function MeProvider({ me, children }: { me: Me; children: ReactNode }) {
  return <MeContext.Provider value={me}>{children}</MeContext.Provider>;
}

/** The logged-in user; only inside the (panel) layout. */
export function useMe(): Me {
  const me = useContext(MeContext);
  if (!me) throw new Error("useMe() outside the panel layout");
  return me;
}
