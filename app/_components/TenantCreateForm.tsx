"use client";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { errInfo } from "../_lib/errors.js";
import { useTRPC, type RouterOutputs } from "../_lib/trpc.js";
import { Button } from "./Button.js";
import { Card } from "./Card.js";
import { ErrorBox } from "./ErrorBox.js";
import { Notice } from "./Notice.js";
import { SelectField } from "./SelectField.js";
import { TextField } from "./TextField.js";

type Tenant = RouterOutputs["tenants"]["list"][number];

/** A new tenant with its first user. Admins choose reseller or customer (and a parent); resellers create customers. */
export function TenantCreateForm({ mode, tenants }: { mode: "admin" | "reseller"; tenants: Tenant[] }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [kind, setKind] = useState<"reseller" | "customer">("customer");
  const [parentId, setParentId] = useState("");
  const [name, setName] = useState("");
  const [userName, setUserName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const m = useMutation(
    trpc.tenants.create.mutationOptions({
      onSuccess: () => {
        setName("");
        setUserName("");
        setEmail("");
        setPassword("");
        void qc.invalidateQueries(trpc.tenants.pathFilter());
        void qc.invalidateQueries(trpc.users.pathFilter());
        void qc.invalidateQueries(trpc.allocations.pathFilter());
      },
    }),
  );
  const fields = errInfo(m.error)?.fields ?? {};
  const parents = tenants.filter((t) => t.kind === "platform" || t.kind === "reseller");
  const what = mode === "reseller" ? "customer" : kind;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    m.mutate({
      name,
      kind: what,
      parentId: mode === "admin" && what === "customer" && parentId ? parentId : undefined,
      user: { name: userName, email, password },
    });
  };
  return (
    <Card title={mode === "reseller" ? "New customer" : "New tenant"}>
      <form
        onSubmit={submit}
        noValidate
        className="grid grid-cols-1 gap-3 sm:grid-cols-2"
        aria-label={mode === "reseller" ? "New customer" : "New tenant"}
      >
        {mode === "admin" && (
          <>
            <SelectField
              label="Kind"
              value={kind}
              onChange={(v) => setKind(v as "reseller" | "customer")}
              options={[
                { value: "customer", label: "Customer" },
                { value: "reseller", label: "Reseller" },
              ]}
              error={fields.kind}
            />
            {kind === "customer" ? (
              <SelectField
                label="Parent"
                value={parentId}
                onChange={setParentId}
                placeholder="Platform (direct customer)"
                options={parents
                  .filter((t) => t.kind === "reseller")
                  .map((t) => ({ value: t.id, label: `${t.name} (reseller)` }))}
                error={fields.parentId}
                hint="Customers of a reseller count against that reseller's allocation."
              />
            ) : (
              <div />
            )}
          </>
        )}
        <TextField
          label="Tenant name"
          value={name}
          onChange={setName}
          error={fields.name}
          autoComplete="organization"
          wrapClassName="sm:col-span-2"
        />
        <TextField
          label="User name"
          value={userName}
          onChange={setUserName}
          error={fields["user.name"]}
          autoComplete="off"
          hint="The first user of the new account"
        />
        <TextField
          label="User email"
          type="email"
          value={email}
          onChange={setEmail}
          error={fields["user.email"]}
          autoComplete="off"
        />
        <TextField
          label="User password"
          type="password"
          value={password}
          onChange={setPassword}
          error={fields["user.password"]}
          autoComplete="new-password"
          hint="At least 10 characters"
        />
        <div className="flex flex-col gap-3 sm:col-span-2">
          <ErrorBox error={m.error} />
          {m.isSuccess && (
            <Notice>
              {m.data.kind === "reseller" ? "Reseller" : "Customer"} “{m.data.name}” created.
            </Notice>
          )}
          <div>
            <Button type="submit" busy={m.isPending}>
              {mode === "reseller" ? "Create customer" : "Create tenant"}
            </Button>
          </div>
        </div>
      </form>
    </Card>
  );
}
