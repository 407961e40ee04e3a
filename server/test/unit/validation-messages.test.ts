/**
 * Validation failures in the user's words (issue 17): no zod stock messages, no internal paths in the
 * summary, one sentence per field keyed by the path the form looks up.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { firewallSchema } from "../../../native/src/net/types.js";
import { limitsPatchSchema } from "../../../native/src/settings.js";
import { planExtrasSchema } from "../../services/limits.js";
import { name } from "../../routers/schemas.js";
import { fieldLabel, humanizeIssues } from "../../trpc/validation-messages.js";

const RAW = /Expected|received|String must|Number must|Array must|Invalid input|character\(s\)/;
const PATHS = /limits\.|firewall\.|rules\.\d|\.\d+\b/;

function human(schema: z.ZodTypeAny, input: unknown) {
  const r = schema.safeParse(input);
  expect(r.success).toBe(false);
  return humanizeIssues(r.success ? [] : r.error.issues);
}

describe("validation messages", () => {
  it("a plan with a blank number, an empty name and a RAM too small: sentences per field, labels in the summary", () => {
    const plan = z.object({ name, limits: limitsPatchSchema }).merge(planExtrasSchema);
    const h = human(plan, {
      name: "  ",
      limits: { ram: "1", cpus: 1.5 },
      bandwidthMbps: Number.NaN,
      ipCount: "x",
      templates: [],
    });
    expect(h.fields).toEqual({
      name: "Enter a name.",
      "limits.ram": "RAM must be at least 16M.",
      "limits.cpus": "vCPUs must be a whole number.",
      bandwidthMbps: "Enter a number.",
      ipCount: "Enter a number.",
      templates: "Allow at least one template.",
    });
    expect(h.message).not.toMatch(RAW);
    expect(h.message).not.toMatch(PATHS);
    expect(h.message).toContain("Bandwidth: enter a number.");
    expect(h.message).toContain("RAM must be at least 16M.");
    expect(h.message).toContain("Name: enter a name.");
  });

  it("a firewall rule's bad ports name the rule by number, not by path", () => {
    const h = human(z.object({ firewall: firewallSchema }), {
      firewall: { rules: [{ direction: "in", action: "accept", proto: "tcp", ports: "http" }] },
    });
    expect(Object.keys(h.fields)).toEqual(["firewall.rules.0.ports"]);
    expect(h.message).toMatch(/^Rule 1, ports: /);
    expect(h.message).not.toMatch(PATHS);
    expect(h.message).not.toMatch(RAW);
  });

  it("zod's stock messages become sentences", () => {
    expect(human(z.object({ a: z.string().min(1) }), { a: "" }).fields.a).toBe("This is required.");
    expect(human(z.object({ a: z.string().max(3) }), { a: "long" }).fields.a).toBe("Use at most 3 characters.");
    expect(human(z.object({ a: z.number().int() }), { a: 1.5 }).fields.a).toBe("Enter a whole number.");
    expect(human(z.object({ a: z.number().max(9) }), { a: 10 }).fields.a).toBe("Enter 9 or less.");
    expect(human(z.object({ a: z.enum(["in", "out"]) }), { a: "up" }).fields.a).toBe("Choose one of: in, out.");
    expect(human(z.object({ a: z.string() }), {}).fields.a).toBe("This is required.");
    expect(human(z.object({}).strict(), { x: 1 }).fields._).toBe("Remove what is not a setting here: x.");
  });

  it("labels", () => {
    expect(fieldLabel(["limits", "diskspace"])).toBe("Disk space");
    expect(fieldLabel(["firewall", "rules", 2, "peer"])).toBe("Rule 3, peer");
    expect(fieldLabel(["throttleKbit"])).toBe("Throttle rate");
    expect(fieldLabel(["someNewField"])).toBe("Some new field");
  });
});
