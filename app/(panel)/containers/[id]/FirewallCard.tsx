"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../../../_components/Button.js";
import { Card } from "../../../_components/Card.js";
import { CheckboxField } from "../../../_components/CheckboxField.js";
import { ErrorBox } from "../../../_components/ErrorBox.js";
import { Notice } from "../../../_components/Notice.js";
import { QueryView } from "../../../_components/QueryView.js";
import { SelectField } from "../../../_components/SelectField.js";
import { TextField } from "../../../_components/TextField.js";
import { errInfo, fieldError } from "../../../_lib/errors.js";
import { useTRPC, type RouterInputs, type RouterOutputs } from "../../../_lib/trpc.js";
import { SOLO } from "../../../_lib/trpc-link.js";
import type { ContainerView } from "./types.js";

type Firewall = RouterOutputs["containers"]["network"]["firewall"];
type FirewallIn = RouterInputs["containers"]["setFirewall"]["firewall"];
/** A rule as typed in the form: optional texts are "" until filled. */
interface RuleDraft {
  direction: "in" | "out";
  action: "accept" | "drop";
  proto: "tcp" | "udp" | "icmp" | "any";
  ports: string;
  peer: string;
  comment: string;
}
interface Draft {
  enabled: boolean;
  policyIn: "accept" | "drop";
  policyOut: "accept" | "drop";
  rules: RuleDraft[];
}

function toDraft(f: Firewall): Draft {
  return {
    enabled: f.enabled,
    policyIn: f.policyIn,
    policyOut: f.policyOut,
    rules: f.rules.map((r) => ({
      direction: r.direction,
      action: r.action,
      proto: r.proto,
      ports: r.ports ?? "",
      peer: r.peer ?? "",
      comment: r.comment ?? "",
    })),
  };
}

/** Empty texts are left out; the server (the engine's own schema) checks everything else. */
function fromDraft(d: Draft): FirewallIn {
  return {
    enabled: d.enabled,
    policyIn: d.policyIn,
    policyOut: d.policyOut,
    rules: d.rules.map((r) => ({
      direction: r.direction,
      action: r.action,
      proto: r.proto,
      ...(r.ports.trim() ? { ports: r.ports.trim() } : {}),
      ...(r.peer.trim() ? { peer: r.peer.trim() } : {}),
      ...(r.comment.trim() ? { comment: r.comment.trim() } : {}),
    })),
  };
}

const NEW_RULE: RuleDraft = { direction: "in", action: "accept", proto: "tcp", ports: "", peer: "", comment: "" };
const POLICY = [
  { value: "accept", label: "accept" },
  { value: "drop", label: "drop" },
];

/** The container's own firewall: owners (customer, reseller, admin) edit it; applied live. */
export function FirewallCard({ c }: { c: ContainerView }) {
  const trpc = useTRPC();
  const q = useQuery(
    trpc.containers.network.queryOptions({ containerId: c.id }, { refetchInterval: 10_000, trpc: { context: SOLO } }),
  );
  return (
    <Card title="Firewall" testId="firewall" className="self-start">
      <QueryView q={q} loading="Loading the firewall" lines={4}>
        {(n) => <FirewallForm containerId={c.id} saved={n.firewall} />}
      </QueryView>
    </Card>
  );
}

function FirewallForm({ containerId, saved }: { containerId: string; saved: Firewall }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const savedText = JSON.stringify(saved);
  const [draft, setDraft] = useState<Draft>(() => toDraft(saved));
  const [baseline, setBaseline] = useState(savedText);
  // Someone else saved meanwhile and this form has no edits: show theirs.
  const dirty =
    JSON.stringify(fromDraft(draft)) !== JSON.stringify(fromDraft(toDraft(JSON.parse(baseline) as Firewall)));
  useEffect(() => {
    if (savedText !== baseline && !dirty) {
      setDraft(toDraft(JSON.parse(savedText) as Firewall));
      setBaseline(savedText);
    }
  }, [savedText, baseline, dirty]);

  const m = useMutation(
    trpc.containers.setFirewall.mutationOptions({
      onSuccess: (r) => {
        setDraft(toDraft(r.firewall));
        setBaseline(JSON.stringify(r.firewall));
        void qc.invalidateQueries(trpc.containers.network.queryFilter({ containerId }));
      },
    }),
  );
  const fields = errInfo(m.error)?.fields;
  const change = (f: (d: Draft) => Draft) => {
    setDraft(f);
    if (m.isSuccess) m.reset();
  };
  const setRule = (i: number, patch: Partial<RuleDraft>) =>
    change((d) => ({ ...d, rules: d.rules.map((r, j) => (j === i ? { ...r, ...patch } : r)) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({ containerId, firewall: fromDraft(draft) });
  };

  return (
    <form onSubmit={submit} noValidate className="flex flex-col gap-3" aria-label="Firewall">
      <CheckboxField
        label="Firewall enabled"
        checked={draft.enabled}
        onChange={(v) => change((d) => ({ ...d, enabled: v }))}
        error={fieldError(fields, "firewall.enabled")}
      />
      <div className="grid grid-cols-1 gap-3 sm:grid-cols-2">
        <SelectField
          label="Incoming traffic no rule matches"
          value={draft.policyIn}
          onChange={(v) => change((d) => ({ ...d, policyIn: v as Draft["policyIn"] }))}
          options={POLICY}
          error={fieldError(fields, "firewall.policyIn")}
        />
        <SelectField
          label="Outgoing traffic no rule matches"
          value={draft.policyOut}
          onChange={(v) => change((d) => ({ ...d, policyOut: v as Draft["policyOut"] }))}
          options={POLICY}
          error={fieldError(fields, "firewall.policyOut")}
        />
      </div>
      <p className="text-xs text-slate-500">Rules are checked in order; replies to allowed connections always pass.</p>
      {draft.rules.length === 0 ? (
        <p className="text-sm text-slate-500">No rules.</p>
      ) : (
        <ol className="flex flex-col gap-2">
          {draft.rules.map((r, i) => {
            const err = (k: string) => fieldError(fields, `firewall.rules.${i}.${k}`);
            const portsOk = r.proto === "tcp" || r.proto === "udp";
            return (
              <li key={i} data-testid={`fw-rule-${i}`} className="rounded-md border border-slate-200 p-2">
                <fieldset className="grid grid-cols-2 gap-2 sm:grid-cols-3">
                  <legend className="sr-only">Rule {i + 1}</legend>
                  <SelectField
                    label="Direction"
                    value={r.direction}
                    onChange={(v) => setRule(i, { direction: v as RuleDraft["direction"] })}
                    options={[
                      { value: "in", label: "in (to it)" },
                      { value: "out", label: "out (from it)" },
                    ]}
                    error={err("direction")}
                  />
                  <SelectField
                    label="Action"
                    value={r.action}
                    onChange={(v) => setRule(i, { action: v as RuleDraft["action"] })}
                    options={POLICY}
                    error={err("action")}
                  />
                  <SelectField
                    label="Protocol"
                    value={r.proto}
                    onChange={(v) =>
                      setRule(i, {
                        proto: v as RuleDraft["proto"],
                        ...(v === "tcp" || v === "udp" ? {} : { ports: "" }),
                      })
                    }
                    options={["tcp", "udp", "icmp", "any"].map((x) => ({ value: x, label: x }))}
                    error={err("proto")}
                  />
                  <TextField
                    label="Ports"
                    value={r.ports}
                    onChange={(v) => setRule(i, { ports: v })}
                    placeholder={portsOk ? "22,80,443 or 8000-8100" : "tcp/udp only"}
                    disabled={!portsOk}
                    error={err("ports")}
                    autoComplete="off"
                  />
                  <TextField
                    label={r.direction === "in" ? "From (CIDR)" : "To (CIDR)"}
                    value={r.peer}
                    onChange={(v) => setRule(i, { peer: v })}
                    placeholder="anywhere"
                    error={err("peer")}
                    autoComplete="off"
                  />
                  <TextField
                    label="Comment"
                    value={r.comment}
                    onChange={(v) => setRule(i, { comment: v })}
                    error={err("comment")}
                    autoComplete="off"
                  />
                </fieldset>
                <div className="mt-1 flex gap-1">
                  <Button
                    variant="ghost"
                    className="px-2 py-0.5 text-xs"
                    aria-label={`Move rule ${i + 1} up`}
                    disabled={i === 0}
                    onClick={() => change((d) => ({ ...d, rules: swap(d.rules, i, i - 1) }))}
                  >
                    ↑
                  </Button>
                  <Button
                    variant="ghost"
                    className="px-2 py-0.5 text-xs"
                    aria-label={`Move rule ${i + 1} down`}
                    disabled={i === draft.rules.length - 1}
                    onClick={() => change((d) => ({ ...d, rules: swap(d.rules, i, i + 1) }))}
                  >
                    ↓
                  </Button>
                  <Button
                    variant="ghost"
                    className="px-2 py-0.5 text-xs text-red-700"
                    aria-label={`Remove rule ${i + 1}`}
                    onClick={() => change((d) => ({ ...d, rules: d.rules.filter((_, j) => j !== i) }))}
                  >
                    Remove rule
                  </Button>
                </div>
              </li>
            );
          })}
        </ol>
      )}
      <ErrorBox error={m.error} />
      {m.isSuccess && (
        <Notice tone={m.data.appliedLive ? "success" : "info"}>
          {m.data.appliedLive
            ? "Firewall saved and applied to the running container."
            : "Firewall saved; it applies while the container runs."}
        </Notice>
      )}
      <div className="flex flex-wrap items-center gap-2">
        <Button
          variant="secondary"
          onClick={() => change((d) => ({ ...d, rules: [...d.rules, { ...NEW_RULE }] }))}
          disabled={draft.rules.length >= 200}
        >
          Add rule
        </Button>
        <Button type="submit" busy={m.isPending} disabled={!dirty}>
          Save firewall
        </Button>
        {dirty && (
          <button
            type="button"
            className="text-xs text-slate-600 hover:underline"
            onClick={() => setDraft(toDraft(JSON.parse(baseline) as Firewall))}
          >
            Undo changes
          </button>
        )}
      </div>
    </form>
  );
}

function swap<T>(xs: T[], i: number, j: number): T[] {
  const out = [...xs];
  [out[i], out[j]] = [out[j]!, out[i]!];
  return out;
}
