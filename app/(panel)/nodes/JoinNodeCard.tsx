"use client";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { Button } from "../../_components/Button.js";
import { Card } from "../../_components/Card.js";
import { ErrorBox } from "../../_components/ErrorBox.js";
import { QueryView } from "../../_components/QueryView.js";
import { TextField } from "../../_components/TextField.js";
import { errInfo } from "../../_lib/errors.js";
import { when } from "../../_lib/format.js";
import { useTRPC } from "../../_lib/trpc.js";
import { mono, table, td, th } from "../../_lib/ui.js";

/**
 * Join a node on another host: a one-time token (valid for an hour, shown once) and the exact command to
 * run on the node as root; pending tokens with revoke. The node's engine is then reached over mutual TLS.
 */
export function JoinNodeCard() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const pending = useQuery(trpc.nodes.joinTokens.queryOptions());
  const [nodeName, setNodeName] = useState("");
  const [listen, setListen] = useState("");
  const [panelUrl, setPanelUrl] = useState("");
  useEffect(() => setPanelUrl((v) => v || window.location.origin), []);
  const refresh = () => void qc.invalidateQueries(trpc.nodes.pathFilter());
  const create = useMutation(
    trpc.nodes.createJoinToken.mutationOptions({ onSuccess: () => (setNodeName(""), setListen(""), refresh()) }),
  );
  const revoke = useMutation(trpc.nodes.revokeJoinToken.mutationOptions({ onSuccess: refresh }));
  const fields = errInfo(create.error)?.fields ?? {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    revoke.reset();
    create.mutate({ nodeName, listen, panelUrl });
  };
  return (
    <Card title="Join a remote node">
      <div className="flex flex-col gap-4">
        <p className="text-sm text-slate-600">
          A node on another host runs its own engine; the panel reaches it over TCP with mutual TLS. Create a one-time
          token here, then run the command on the node as root (it needs this checkout&apos;s{" "}
          <code className={mono}>ovz-node</code>, installed by <code className={mono}>scripts/install-cli.sh</code>).
          More than one node needs the panel on PostgreSQL.
        </p>
        <form
          onSubmit={submit}
          noValidate
          className="grid grid-cols-1 gap-3 sm:grid-cols-3"
          aria-label="Join a remote node"
        >
          <TextField
            label="New node name"
            value={nodeName}
            onChange={setNodeName}
            placeholder="node2"
            error={fields.nodeName}
            autoComplete="off"
            hint="a-z, 0-9 and dashes"
          />
          <TextField
            label="Node address (HOST:PORT)"
            value={listen}
            onChange={setListen}
            placeholder="198.18.250.2:7443"
            error={fields.listen}
            autoComplete="off"
            hint="Where its engine will listen (OVZ_LISTEN); the panel dials it"
          />
          <TextField
            label="Panel URL (as the node reaches it)"
            value={panelUrl}
            onChange={setPanelUrl}
            error={fields.panelUrl}
            autoComplete="off"
          />
          <div className="flex flex-col gap-3 sm:col-span-3">
            <ErrorBox error={create.error} />
            <div>
              <Button type="submit" busy={create.isPending}>
                Create join token
              </Button>
            </div>
          </div>
        </form>
        {create.data && (
          <div
            role="status"
            className="rounded-md border border-green-300 bg-green-50 p-3 text-sm text-green-900"
            data-testid="join-token"
          >
            <p className="font-medium">
              Join token for “{create.data.nodeName}” created; it works once, until {when(create.data.expiresAt)}. Copy
              the command now: the token is shown only once. On the node, as root:
            </p>
            <code
              className={`${mono} mt-2 block break-all rounded bg-white p-2 text-slate-900`}
              data-testid="join-command"
            >
              {create.data.command}
            </code>
            <p className="mt-2 text-xs">
              Then start the node&apos;s engine with <code className={mono}>OVZ_LISTEN={create.data.listen}</code>. The
              panel&apos;s CA (sha256 <span className={mono}>{create.data.caSha256}</span>) is checked by the command.
            </p>
          </div>
        )}
        <QueryView q={pending} empty="No pending join tokens.">
          {(rows) => (
            <table className={table} aria-label="Pending join tokens">
              <thead>
                <tr>
                  <th className={th}>Node</th>
                  <th className={th}>Address</th>
                  <th className={th}>Created by</th>
                  <th className={th}>Expires</th>
                  <th className={th}>
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((t) => (
                  <tr key={t.id} data-testid={`join-token-${t.nodeName}`}>
                    <td className={`${td} font-medium`}>{t.nodeName}</td>
                    <td className={`${td} ${mono}`}>{t.listen}</td>
                    <td className={`${td} text-xs`}>{t.createdBy}</td>
                    <td className={`${td} text-xs`}>{when(t.expiresAt)}</td>
                    <td className={`${td} text-right`}>
                      <Button
                        variant="secondary"
                        className="px-2 py-0.5 text-xs"
                        aria-label={`Revoke join token for ${t.nodeName}`}
                        busy={revoke.isPending && revoke.variables?.id === t.id}
                        onClick={() => revoke.mutate({ id: t.id })}
                      >
                        Revoke
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </QueryView>
        <ErrorBox error={revoke.error} />
      </div>
    </Card>
  );
}
