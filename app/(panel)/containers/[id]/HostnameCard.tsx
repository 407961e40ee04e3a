"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { HOSTNAME_RE } from "../../../../native/src/identity.js";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Notice } from "../../../_components/Notice.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo } from "../../../_lib/errors.js";
import { useTRPC } from "../../../_lib/trpc.js";
import type { ContainerView } from "./types.js";

/** The sentence shown next to a hostname field that is not an RFC 1123 hostname. */
export function hostnameProblem(value: string): string | undefined {
  const v = value.trim();
  if (!v) return "Enter a hostname, like web1.example.com.";
  if (!HOSTNAME_RE.test(v))
    return "A hostname is letters, digits and hyphens in dot-separated parts of at most 63 characters (no part starts or ends with a hyphen), like web1.example.com.";
  return undefined;
}

/** A field message from the server as a sentence (capital first letter, final full stop). */
export function sentence(msg: string | undefined): string | undefined {
  if (!msg) return undefined;
  const s = msg.charAt(0).toUpperCase() + msg.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}

/** Change the hostname: applied by the engine at once, whether the container runs or not. */
export function HostnameCard({ c, busy }: { c: ContainerView; busy: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [value, setValue] = useState(c.hostname);
  const [local, setLocal] = useState<string | undefined>();
  const m = useMutation(
    trpc.containers.setHostname.mutationOptions({
      onSuccess: () => void qc.invalidateQueries(trpc.containers.get.queryFilter({ containerId: c.id })),
    }),
  );
  const serverField = errInfo(m.error)?.fields?.hostname;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problem = hostnameProblem(value);
    setLocal(problem);
    if (problem) return;
    m.mutate({ containerId: c.id, hostname: value });
  };
  return (
    <Card title="Hostname">
      <form onSubmit={submit} noValidate className="flex flex-col gap-3" data-testid="hostname-form">
        <TextField
          label="Hostname"
          autoComplete="off"
          spellCheck={false}
          value={value}
          onChange={(v) => {
            setValue(v);
            setLocal(undefined);
            if (m.isSuccess || m.isError) m.reset();
          }}
          error={local ?? sentence(serverField)}
          hint="Applied at once, running or stopped: the system's hostname, /etc/hostname and /etc/hosts."
        />
        {!serverField && <ErrorBox error={m.error} />}
        {m.isSuccess && <Notice>Hostname changed to {m.variables?.hostname.trim().toLowerCase()}.</Notice>}
        <div>
          <Button type="submit" busy={m.isPending} disabled={busy || c.state === "creating"}>
            Change hostname
          </Button>
        </div>
      </form>
    </Card>
  );
}
