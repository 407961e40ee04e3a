"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState } from "react";
import { OperationPanel } from "../../../_components/OperationPanel.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { LiveOperation } from "../../../_lib/useOperation.js";

/**
 * containers.create and its operation, shared by the seller's and the customer's create forms: the mutation, the
 * field errors, the running operation and its result. `onSucceeded` runs when the container is made (e.g. clear
 * the hostname); the container and operation lists (and `alsoRefresh`) are refetched when it ends either way.
 */
export function useCreateContainer(onSucceeded: () => void, alsoRefresh?: () => void) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [op, setOp] = useState<{ id: string; containerId: string | null } | null>(null);
  const [result, setResult] = useState<LiveOperation | null>(null);
  const create = useMutation(
    trpc.containers.create.mutationOptions({
      onSuccess: (o) => {
        setResult(null);
        setOp({ id: o.id, containerId: o.containerId });
      },
    }),
  );
  const finished = (o: LiveOperation) => {
    setResult(o);
    if (o.status === "succeeded") onSucceeded();
    void qc.invalidateQueries(trpc.containers.pathFilter());
    void qc.invalidateQueries(trpc.operations.pathFilter());
    alsoRefresh?.();
  };
  return {
    create,
    fields: errInfo(create.error)?.fields ?? {},
    op,
    result,
    /** a new submit: the last operation's panel goes */
    start: (input: Parameters<typeof create.mutate>[0]) => (setOp(null), create.mutate(input)),
    finished,
  };
}

/** The running create's operation, then a link to the new container once it succeeded. */
export function CreateProgress({
  op,
  result,
  onFinished,
}: {
  op: { id: string; containerId: string | null } | null;
  result: LiveOperation | null;
  onFinished: (o: LiveOperation) => void;
}) {
  return (
    <>
      {op && <OperationPanel key={op.id} operationId={op.id} onFinished={onFinished} title="Creating container" />}
      {result?.status === "succeeded" && op?.containerId && (
        <p>
          <Link
            href={`/containers/${op.containerId}`}
            className="inline-block rounded-md bg-blue-600 px-3 py-1.5 text-sm font-medium text-white shadow-sm hover:bg-blue-700"
          >
            Open container
          </Link>
        </p>
      )}
    </>
  );
}
