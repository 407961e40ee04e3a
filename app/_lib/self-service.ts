"use client";
import { useQuery } from "@tanstack/react-query";
import { useMe } from "./me.js";
import { useTRPC } from "./trpc.js";

/**
 * Whether the user makes containers (create, restore a backup as new): sellers always; customers when one of
 * their plans is self-service (docs/self-service.md; the server checks the quota).
 */
export function useMakesContainers(): boolean {
  const customer = useMe().role === "customer";
  const trpc = useTRPC();
  const self = useQuery(trpc.containers.selfService.queryOptions(undefined, { enabled: customer }));
  return !customer || (self.data?.plans.length ?? 0) > 0;
}
