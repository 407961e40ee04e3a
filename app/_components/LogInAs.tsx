"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useTRPC } from "../_lib/trpc.js";
import { Button } from "./Button.js";
import { ErrorBox } from "./ErrorBox.js";

/**
 * "Log in as" a user (users.impersonate): the server swaps the session cookie; the whole panel loads again as that
 * user, with the banner that leads back (ImpersonationBanner).
 */
export function LogInAs({ userId, email, small }: { userId: string; email: string; small?: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const m = useMutation(
    trpc.users.impersonate.mutationOptions({
      onSuccess: () => {
        qc.clear();
        window.location.assign("/containers");
      },
    }),
  );
  return (
    <>
      <Button
        variant="secondary"
        className={small ? "px-2 py-0.5 text-xs" : ""}
        busy={m.isPending}
        onClick={() => m.mutate({ userId })}
        aria-label={`Log in as ${email}`}
      >
        Log in as
      </Button>
      {m.error && <ErrorBox error={m.error} />}
    </>
  );
}
