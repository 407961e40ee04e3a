/**
 * A reference billing module for the panel's billing API (v1): what a WHMCS/Blesta/HostBill module does, as a
 * small library (class OvzBilling) and a command line. It speaks plain HTTP + JSON with an API token and
 * imports nothing of the panel, so it can be copied into a billing system's code base.
 *
 *   OVZ_API_URL=https://panel.example.com OVZ_API_TOKEN=ovz_… npx tsx scripts/billing/ovz-billing.ts <command>
 *
 * Commands (ids are the API's; --key makes a create safe to retry):
 *   plans
 *   create-customer --name N --email E [--external-id X] [--key K]
 *   create-container --customer ID --plan ID --hostname H --template T [--external-id X] [--key K]
 *   provision --name N --email E --plan ID --hostname H --template T --service X
 *                     customer + container (idempotent by the service id), waits, prints the root password
 *   find --service X                   the containers with that external (service) id
 *   suspend ID --reason R | unsuspend ID
 *   suspend-customer ID --reason R | unsuspend-customer ID
 *   change-plan ID --plan ID | reset-password ID | terminate ID | sso CUSTOMER_ID
 *   usage ID [--from YYYY-MM-DD] [--to YYYY-MM-DD] | traffic ID [--from …] [--to …]
 */

export class BillingApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = "BillingApiError";
  }
}

export interface Container {
  id: string;
  ctid: number;
  hostname: string;
  state: string;
  externalId: string | null;
  customerId: string;
  planId: string;
  addresses: string[];
  suspension: { since: string; reason: string | null } | null;
}
export interface Customer {
  id: string;
  name: string;
  externalId: string | null;
  suspension: { since: string; reason: string | null } | null;
}
export interface Operation {
  id: string;
  type: string;
  status: "queued" | "running" | "succeeded" | "failed";
  error: string | null;
}

type Fetch = (url: string, init: RequestInit) => Promise<Response>;

export class OvzBilling {
  private readonly base: string;
  private readonly fetch: Fetch;

  constructor(private readonly opts: { url: string; token: string; fetch?: Fetch; pollMs?: number }) {
    this.base = opts.url.replace(/\/+$/, "") + "/api/v1";
    this.fetch = opts.fetch ?? ((u, i) => fetch(u, i));
  }

  private async call<T>(method: string, path: string, body?: unknown, key?: string): Promise<T> {
    const res = await this.fetch(this.base + path, {
      method,
      headers: {
        authorization: `Bearer ${this.opts.token}`,
        accept: "application/json",
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
        ...(key ? { "idempotency-key": key } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    const json = (text ? JSON.parse(text) : null) as
      (T & { error?: { code: string; message: string; fields?: Record<string, string> } }) | null;
    if (!res.ok) {
      const e = json?.error;
      throw new BillingApiError(res.status, e?.code ?? "HTTP", e?.message ?? `HTTP ${res.status}`, e?.fields);
    }
    return json as T;
  }

  plans() {
    return this.call<{ plans: { id: string; name: string; templates: string[] }[] }>("GET", "/plans");
  }
  createCustomer(c: { name: string; email: string; externalId?: string; password?: string }, key?: string) {
    return this.call<{ customer: Customer; user: { id: string; email: string } }>("POST", "/customers", c, key);
  }
  findCustomers(externalId: string) {
    return this.call<{ customers: Customer[] }>("GET", `/customers?externalId=${encodeURIComponent(externalId)}`);
  }
  createContainer(
    c: { customerId: string; planId: string; hostname: string; template: string; externalId?: string },
    key?: string,
  ) {
    return this.call<{ operationId: string; container: Container }>("POST", "/containers", c, key);
  }
  findContainers(externalId: string) {
    return this.call<{ containers: Container[] }>("GET", `/containers?externalId=${encodeURIComponent(externalId)}`);
  }
  container(id: string) {
    return this.call<{ container: Container }>("GET", `/containers/${id}`);
  }
  operation(id: string) {
    return this.call<{ operation: Operation }>("GET", `/operations/${id}`);
  }
  suspend(id: string, reason: string) {
    return this.call<{ operationId: string | null; container: Container }>("POST", `/containers/${id}/suspend`, {
      reason,
    });
  }
  unsuspend(id: string) {
    return this.call<{ operationId: string | null; container: Container }>("POST", `/containers/${id}/unsuspend`, {});
  }
  suspendCustomer(id: string, reason: string) {
    return this.call<{ customer: Customer; failed: unknown[] }>("POST", `/customers/${id}/suspend`, { reason });
  }
  unsuspendCustomer(id: string) {
    return this.call<{ customer: Customer; failed: unknown[] }>("POST", `/customers/${id}/unsuspend`, {});
  }
  changePlan(id: string, planId: string) {
    return this.call<{ container: Container; appliedLive: boolean }>("POST", `/containers/${id}/plan`, { planId });
  }
  resetPassword(id: string) {
    return this.call<{ password: string }>("POST", `/containers/${id}/reset-password`, {});
  }
  terminate(id: string) {
    return this.call<{ operationId: string }>("DELETE", `/containers/${id}`);
  }
  sso(customerId: string, redirect?: string) {
    return this.call<{ url: string; expiresAt: string }>("POST", `/customers/${customerId}/sso`, {
      ...(redirect ? { redirect } : {}),
    });
  }
  usage(id: string, from?: string, to?: string) {
    return this.call<{ usage: Record<string, number> }>("GET", `/containers/${id}/usage${period(from, to)}`);
  }
  traffic(id: string, from?: string, to?: string) {
    return this.call<{ totalBytes: number }>("GET", `/containers/${id}/traffic${period(from, to)}`);
  }

  /** Waits for an operation to end (null: nothing to wait for); throws its error if it failed. */
  async wait(operationId: string | null, timeoutMs = 600_000): Promise<void> {
    if (!operationId) return;
    const until = Date.now() + timeoutMs;
    for (;;) {
      const { operation } = await this.operation(operationId);
      if (operation.status === "succeeded") return;
      if (operation.status === "failed")
        throw new BillingApiError(409, "OPERATION_FAILED", operation.error ?? "the operation failed");
      if (Date.now() > until) throw new BillingApiError(504, "TIMEOUT", `operation ${operationId} is still running`);
      await new Promise((r) => setTimeout(r, this.opts.pollMs ?? 1000));
    }
  }

  /**
   * What a billing system does on payment: the customer (found by its client id, else made) and the container
   * (idempotent by the service id: a retried call makes nothing twice), then a root password to mail.
   */
  async provision(p: {
    clientId: string;
    name: string;
    email: string;
    serviceId: string;
    planId: string;
    hostname: string;
    template: string;
  }): Promise<{ customer: Customer; container: Container; rootPassword: string }> {
    const found = (await this.findCustomers(p.clientId)).customers[0];
    const customer =
      found ??
      (await this.createCustomer({ name: p.name, email: p.email, externalId: p.clientId }, `customer-${p.clientId}`))
        .customer;
    const made = await this.createContainer(
      {
        customerId: customer.id,
        planId: p.planId,
        hostname: p.hostname,
        template: p.template,
        externalId: p.serviceId,
      },
      `service-${p.serviceId}`,
    );
    await this.wait(made.operationId);
    const { password } = await this.resetPassword(made.container.id);
    return { customer, container: (await this.container(made.container.id)).container, rootPassword: password };
  }
}

function period(from?: string, to?: string): string {
  const q = new URLSearchParams({ ...(from ? { from } : {}), ...(to ? { to } : {}) }).toString();
  return q ? `?${q}` : "";
}

/** --name value pairs and positional words. */
export function parseArgs(argv: string[]): { words: string[]; flags: Record<string, string> } {
  const words: string[] = [];
  const flags: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a.startsWith("--")) flags[a.slice(2)] = argv[++i] ?? "";
    else words.push(a);
  }
  return { words, flags };
}

export async function cli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<unknown> {
  const { words, flags: f } = parseArgs(argv);
  const [cmd, id] = words;
  if (!env.OVZ_API_URL || !env.OVZ_API_TOKEN)
    throw new Error("set OVZ_API_URL (the panel's address) and OVZ_API_TOKEN (an API token of the panel)");
  const b = new OvzBilling({ url: env.OVZ_API_URL, token: env.OVZ_API_TOKEN });
  const need = (v: string | undefined, what: string) => {
    if (!v) throw new Error(`${cmd}: give ${what}`);
    return v;
  };
  switch (cmd) {
    case "plans":
      return b.plans();
    case "create-customer":
      return b.createCustomer(
        { name: need(f.name, "--name"), email: need(f.email, "--email"), externalId: f["external-id"] },
        f.key,
      );
    case "create-container":
      return b.createContainer(
        {
          customerId: need(f.customer, "--customer"),
          planId: need(f.plan, "--plan"),
          hostname: need(f.hostname, "--hostname"),
          template: need(f.template, "--template"),
          externalId: f["external-id"],
        },
        f.key,
      );
    case "provision":
      return b.provision({
        clientId: need(f.client ?? f.email, "--client or --email"),
        name: need(f.name, "--name"),
        email: need(f.email, "--email"),
        serviceId: need(f.service, "--service"),
        planId: need(f.plan, "--plan"),
        hostname: need(f.hostname, "--hostname"),
        template: need(f.template, "--template"),
      });
    case "find":
      return b.findContainers(need(f.service, "--service"));
    case "suspend":
      return b.suspend(need(id, "the container id"), need(f.reason, "--reason"));
    case "unsuspend":
      return b.unsuspend(need(id, "the container id"));
    case "suspend-customer":
      return b.suspendCustomer(need(id, "the customer id"), need(f.reason, "--reason"));
    case "unsuspend-customer":
      return b.unsuspendCustomer(need(id, "the customer id"));
    case "change-plan":
      return b.changePlan(need(id, "the container id"), need(f.plan, "--plan"));
    case "reset-password":
      return b.resetPassword(need(id, "the container id"));
    case "terminate": {
      const r = await b.terminate(need(id, "the container id"));
      await b.wait(r.operationId);
      return r;
    }
    case "sso":
      return b.sso(need(id, "the customer id"));
    case "usage":
      return b.usage(need(id, "the container id"), f.from, f.to);
    case "traffic":
      return b.traffic(need(id, "the container id"), f.from, f.to);
    default:
      throw new Error(`unknown command ${cmd ?? "(none)"}; see the comment at the top of ovz-billing.ts`);
  }
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  cli(process.argv.slice(2)).then(
    (r) => console.log(JSON.stringify(r, null, 2)),
    (e: unknown) => {
      console.error(`ovz-billing: ${e instanceof Error ? e.message : String(e)}`);
      process.exit(1);
    },
  );
}
