"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { Notice } from "../../_components/Notice.js";
import { SelectField } from "../../_components/SelectField.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { useTRPC } from "../../_lib/trpc.js";

type Tls = "none" | "starttls" | "tls";
const EMPTY = { host: "", port: "587", tls: "starttls" as Tls, user: "", from: "", panelUrl: "" };

/** The administrator's SMTP server (the stored password is never shown; leave it empty to keep it). */
export function SmtpCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const q = useQuery(trpc.notifications.smtp.queryOptions());
  const [f, setF] = useState(EMPTY);
  const [password, setPassword] = useState("");
  useEffect(() => {
    const d = q.data;
    if (d) setF({ host: d.host, port: String(d.port), tls: d.tls, user: d.user, from: d.from, panelUrl: d.panelUrl });
  }, [q.data]);
  const save = useMutation(
    trpc.notifications.setSmtp.mutationOptions({
      onSuccess: () => {
        setPassword("");
        void qc.invalidateQueries(trpc.notifications.smtp.pathFilter());
      },
    }),
  );
  const fields = errInfo(save.error)?.fields ?? {};
  const set = (k: keyof typeof EMPTY) => (v: string) => setF({ ...f, [k]: v });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const port = /^\d+$/.test(f.port) ? Number(f.port) : Number.NaN;
    save.mutate({ settings: { ...f, port, ...(password ? { password } : {}) } });
  };
  return (
    <Card title="Email (SMTP)">
      <form onSubmit={submit} noValidate className="grid grid-cols-1 gap-3 sm:grid-cols-2" aria-label="SMTP settings">
        <TextField label="SMTP host" value={f.host} onChange={set("host")} error={fields.host} />
        <TextField label="Port" inputMode="numeric" value={f.port} onChange={set("port")} error={fields.port} />
        <SelectField
          label="TLS"
          value={f.tls}
          onChange={(v) => setF({ ...f, tls: v as Tls })}
          options={[
            { value: "starttls", label: "STARTTLS (usually port 587)" },
            { value: "tls", label: "TLS from the start (usually port 465)" },
            { value: "none", label: "none (plain text)" },
          ]}
          error={fields.tls}
        />
        <TextField label="From address" value={f.from} onChange={set("from")} error={fields.from} />
        <TextField label="SMTP user" autoComplete="off" value={f.user} onChange={set("user")} error={fields.user} />
        <TextField
          label="SMTP password"
          type="password"
          autoComplete="new-password"
          value={password}
          onChange={setPassword}
          error={fields.password}
          hint={q.data?.passwordSet ? "A password is stored; leave empty to keep it." : undefined}
        />
        <TextField
          label="Panel address for links"
          type="url"
          value={f.panelUrl}
          onChange={set("panelUrl")}
          error={fields.panelUrl}
          placeholder="https://panel.example.com"
          wrapClassName="sm:col-span-2"
        />
        <div className="flex flex-col gap-3 sm:col-span-2">
          <ErrorBox error={save.error ?? q.error} />
          {save.isSuccess && <Notice>SMTP settings saved.</Notice>}
          <div>
            <Button type="submit" busy={save.isPending}>
              Save SMTP settings
            </Button>
          </div>
        </div>
      </form>
    </Card>
  );
}
