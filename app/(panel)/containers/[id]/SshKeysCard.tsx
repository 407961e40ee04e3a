"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Loading } from "../../../_components/Loading.js";
import { Notice } from "../../../_components/Notice.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";

/**
 * root's authorized_keys: OpenSSH public keys, one per line; written into the container (and again after reinstall or
 * restore).
 */
export function SshKeysCard({ containerId }: { containerId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.sshKeys.get.queryOptions({ containerId }, { trpc: { context: SOLO } }));
  const [keys, setKeys] = useState("");
  // the stored keys fill the box until the user types: a refetch must never overwrite an edit
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (q.data && !dirty) setKeys(q.data.keys);
  }, [q.data, dirty]);
  const m = useMutation(
    trpc.sshKeys.set.mutationOptions({
      onSuccess: () => {
        setDirty(false);
        void qc.invalidateQueries(trpc.sshKeys.get.queryFilter({ containerId }));
      },
    }),
  );
  const fieldError = errInfo(m.error)?.fields?.keys;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ containerId, keys });
  };
  return (
    <Card title="SSH keys (root)" testId="sshkeys-card">
      {q.isPending ? (
        <Loading what="Loading the keys" lines={3} />
      ) : q.error ? (
        <ErrorBox error={q.error} />
      ) : (
        // the form only once the stored keys are here: an empty box never stands for "no keys" before they arrive
        <form onSubmit={submit} noValidate className="flex flex-col gap-2">
          <label htmlFor="ssh-keys" className="text-sm font-medium text-slate-700">
            Authorized keys
          </label>
          <textarea
            id="ssh-keys"
            rows={4}
            className={`w-full rounded-md border px-2 py-1 font-mono text-xs ${fieldError ? "border-red-500" : "border-slate-300"}`}
            placeholder="ssh-ed25519 AAAA… you@laptop"
            value={keys}
            aria-invalid={!!fieldError}
            aria-describedby="ssh-keys-hint"
            onChange={(e) => {
              setDirty(true);
              setKeys(e.target.value);
              if (m.isSuccess || m.isError) m.reset();
            }}
          />
          <p id="ssh-keys-hint" className={`text-xs ${fieldError ? "text-red-600" : "text-slate-500"}`}>
            {fieldError ??
              "One OpenSSH public key per line (ssh-ed25519, ssh-rsa, ecdsa-sha2-*, sk-*); lines starting with # are comments. Written to /root/.ssh/authorized_keys."}
          </p>
          {!fieldError && <ErrorBox error={m.error} />}
          {m.isSuccess && <Notice>{m.data.count} key(s) written to /root/.ssh/authorized_keys.</Notice>}
          <div>
            <Button type="submit" busy={m.isPending}>
              Save keys
            </Button>
          </div>
        </form>
      )}
    </Card>
  );
}
