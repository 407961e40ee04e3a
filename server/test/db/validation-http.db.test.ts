/**
 * Validation failures as the browser gets them, through the real route handler (issue 17): a plan form sent
 * with a blank number (NaN), an empty name and a RAM too small answers one sentence per field and a
 * summary without zod's stock messages or internal paths; a live limit change likewise.
 */
import superjson from "superjson";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { POST } from "../../../app/api/trpc/[trpc]/route.js";
import { setDb } from "../../db/client.js";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, buildWorld, type World } from "../helpers/world.js";

const BASE = "http://panel.test/api/trpc";
const RAW = /Expected|received|String must|Number must|character\(s\)|nan\b/;
const PATHS = /limits\.|bandwidthMbps|ipCount|firewall\.|rules\.\d/;

interface ErrBody {
  error: { json: { message: string; data: { code: string; domainCode: string; fields?: Record<string, string> } } };
}

describe.each(PROVIDERS)("validation messages over HTTP on %s", (provider) => {
  let t: TestDb;
  let w: World;
  let auth: Record<string, string>;
  beforeAll(async () => {
    t = await freshDb(provider);
    w = await buildWorld(t.db);
    setDb(t.db);
    const { token } = await as(w, "resellerA").tokens.create({ name: "validation test" });
    auth = { authorization: `Bearer ${token}`, "content-type": "application/json" };
  });
  afterAll(async () => {
    setDb(undefined);
    await t?.drop();
  });

  const call = async (path: string, input: unknown) => {
    const r = await POST(
      new Request(`${BASE}/${path}`, {
        method: "POST",
        headers: auth,
        body: JSON.stringify(superjson.serialize(input)),
      }),
    );
    return { status: r.status, body: (await r.json()) as ErrBody };
  };

  it("plans.create with a blank number, an empty name and a tiny RAM", async () => {
    const { status, body } = await call("plans.create", {
      name: "",
      limits: { ram: "1", cpus: 1 },
      bandwidthMbps: Number.NaN,
      ipCount: 1,
      templates: ["busybox"],
    });
    expect(status).toBe(400);
    const e = body.error.json;
    expect(e.data.fields).toEqual({
      name: "Enter a name.",
      "limits.ram": "RAM must be at least 16M.",
      bandwidthMbps: "Enter a number.",
    });
    expect(e.message).not.toMatch(RAW);
    expect(e.message).not.toMatch(PATHS);
    expect(e.message).toContain("Bandwidth: enter a number.");
  });

  it("containers.setFirewall with bad ports names the rule, not its path", async () => {
    const c = w.a.customers[0]!.container;
    const { status, body } = await call("containers.setFirewall", {
      containerId: c.id,
      firewall: { enabled: true, rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "ssh" }] },
    });
    expect(status).toBe(400);
    const e = body.error.json;
    expect(Object.keys(e.data.fields ?? {})).toEqual(["firewall.rules.0.ports"]);
    expect(e.message).toMatch(/^Rule 1, ports: /);
    expect(e.message).not.toMatch(PATHS);
  });

  it("a live limit change (admin) names the limit by its label", async () => {
    const e = await expectCode(
      as(w, "admin").containers.setLimits({ containerId: w.directContainer.id, limits: { ram: "1", cpus: -1 } }),
      "BAD_REQUEST",
    );
    expect(e.message).not.toMatch(PATHS);
    expect(e.message).toContain("RAM must be at least 16M.");
    expect((e as unknown as { data: { fields: Record<string, string> } }).data.fields).toMatchObject({
      "limits.ram": "RAM must be at least 16M.",
    });
  });

  it("firewall ports accept comma lists and ranges, stored normalised", async () => {
    const c = w.a.customers[0]!.container;
    const r = await as(w, "customerA1").containers.setFirewall({
      containerId: c.id,
      firewall: {
        enabled: true,
        rules: [
          { direction: "in", action: "accept", proto: "tcp", ports: "443, 80,22" },
          { direction: "in", action: "accept", proto: "udp", ports: "1000-2000,1500,2001" },
        ],
      },
    });
    expect(r.firewall.rules.map((x) => x.ports)).toEqual(["22,80,443", "1000-2001"]);
    const view = await as(w, "customerA1").containers.network({ containerId: c.id });
    expect(view.firewall.rules.map((x) => x.ports)).toEqual(["22,80,443", "1000-2001"]);
  });
});
