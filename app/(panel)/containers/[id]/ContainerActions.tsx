"use client";
import { useMutation } from "@tanstack/react-query";
import { Button } from "../../../_components/Button.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { ContainerView, StartedOp } from "./types.js";

/** Start / Stop / Restart; disabled when not applicable, while an operation runs, or (Start, Restart) suspended. */
export function ContainerActions({
  c,
  busy,
  onStarted,
}: {
  c: ContainerView;
  busy: boolean;
  onStarted: (op: StartedOp) => void;
}) {
  const trpc = useTRPC();
  const opts = { onSuccess: onStarted };
  const start = useMutation(trpc.containers.start.mutationOptions(opts));
  const stop = useMutation(trpc.containers.stop.mutationOptions(opts));
  const restart = useMutation(trpc.containers.restart.mutationOptions(opts));
  const pending = start.isPending || stop.isPending || restart.isPending;
  const blocked = busy || pending || c.state === "creating";
  const input = { containerId: c.id };
  // a suspended container cannot be started: the buttons say why (the server refuses it as well)
  const suspended = c.suspension
    ? `Suspended: ${c.suspension.reason ?? "no reason given"}. It cannot be started until it is unsuspended.`
    : undefined;
  const error = start.error ?? stop.error ?? restart.error;
  const reset = () => {
    start.reset();
    stop.reset();
    restart.reset();
  };
  return (
    <div className="flex flex-col gap-2">
      <div className="flex flex-wrap gap-2" role="group" aria-label="Container actions">
        <Button
          onClick={() => (reset(), start.mutate(input))}
          disabled={blocked || c.state !== "stopped" || !!suspended}
          title={suspended}
          busy={start.isPending}
        >
          Start
        </Button>
        <Button
          variant="secondary"
          onClick={() => (reset(), stop.mutate(input))}
          disabled={blocked || (c.state !== "running" && c.state !== "suspended")}
          busy={stop.isPending}
        >
          Stop
        </Button>
        {/* Only offered on a running container (also keeps the name "Start" unique among the buttons). */}
        {(c.state === "running" || c.state === "suspended") && (
          <Button
            variant="secondary"
            onClick={() => (reset(), restart.mutate(input))}
            disabled={blocked || c.state !== "running" || !!suspended}
            title={suspended}
            busy={restart.isPending}
          >
            Restart
          </Button>
        )}
      </div>
      <ErrorBox error={error} />
    </div>
  );
}
