/**
 * containers.setHostname on both databases (fake engine): customers change their own container's hostname,
 * validated as an RFC 1123 hostname (a sentence next to the field), applied by the engine first, then stored
 * and audited; a refusal by the engine leaves the row as it was.
 */
import type { ZodError } from "zod";
import { beforeEach, describe, expect, it } from "vitest";
import { EngineError } from "../../../native/src/errors.js";
import { humanizeIssues } from "../../trpc/validation-messages.js";
import { PROVIDERS } from "../helpers/db.js";
import { expectCode } from "../helpers/expect.js";
import { as, fakeEngine, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("containers.setHostname on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));
  beforeEach(async () => {
    await waitForAllOperations();
    fakeEngine().failNext.clear();
  });
  const a1 = () => w.a.customers[0]!.container;
  const row = () => w.db.container.findUniqueOrThrow({ where: { id: a1().id } });

  it("the owner changes it, running: engine first, then the row and the audit log", async () => {
    Object.assign(fakeEngine().containers.get(a1().ctid)!, { state: "running", initPid: 1 });
    const before = (await row()).hostname;
    await expect(
      as(w, "customerA1").containers.setHostname({ containerId: a1().id, hostname: " Web1.Example.COM " }),
    ).resolves.toEqual({ ok: true });
    expect(fakeEngine().containers.get(a1().ctid)).toMatchObject({ hostname: "web1.example.com", state: "running" });
    expect((await row()).hostname).toBe("web1.example.com");
    const audit = await w.db.auditLog.findFirstOrThrow({
      where: { action: "container.setSettings", tenantId: a1().tenantId },
      orderBy: { id: "desc" },
    });
    expect(audit.userId).toBe(w.a.customers[0]!.user.id);
    expect(JSON.parse(audit.details)).toMatchObject({ hostname: "web1.example.com", before: { hostname: before } });
    // sellers too; stopped works the same
    Object.assign(fakeEngine().containers.get(a1().ctid)!, { state: "stopped", initPid: null });
    await as(w, "resellerA").containers.setHostname({ containerId: a1().id, hostname: before });
    expect((await row()).hostname).toBe(before);
    expect(fakeEngine().containers.get(a1().ctid)!.hostname).toBe(before);
  });

  it.each([
    ["bad_host", "underscore"],
    ["-web.example.com", "leading hyphen"],
    ["web-.example.com", "trailing hyphen"],
    [`${"a".repeat(64)}.example.com`, "label over 63"],
    ["web..example.com", "empty label"],
    ["", "empty"],
  ])("refuses %j (%s) with a message on the field, and changes nothing", async (hostname) => {
    const before = (await row()).hostname;
    const e = await expectCode(
      as(w, "customerA1").containers.setHostname({ containerId: a1().id, hostname }),
      "BAD_REQUEST",
    );
    // the field's sentence as the panel's error formatter (server/trpc/init.ts) sends it
    const { fields } = humanizeIssues((e.cause as ZodError).issues);
    expect(fields).toEqual({ hostname: "Use letters, digits, dashes and dots, like web1.example.com." });
    expect((await row()).hostname).toBe(before);
    expect(fakeEngine().containers.get(a1().ctid)!.hostname).toBe(before);
  });

  it("another customer's container is not found; a refusal by the engine leaves the row", async () => {
    await expectCode(
      as(w, "customerA2").containers.setHostname({ containerId: a1().id, hostname: "x.test" }),
      "NOT_FOUND",
    );
    await expectCode(
      as(w, "customerB1").containers.setHostname({ containerId: a1().id, hostname: "x.test" }),
      "NOT_FOUND",
    );
    const before = (await row()).hostname;
    fakeEngine().failNext.set("container.set", new EngineError("HOST_TOOL_FAILED", "the rootfs is read-only"));
    await expect(
      as(w, "customerA1").containers.setHostname({ containerId: a1().id, hostname: "x.test" }),
    ).rejects.toThrow(/read-only/);
    expect((await row()).hostname).toBe(before);
    expect(
      await w.db.auditLog.count({ where: { action: "container.setSettings", target: { contains: "x.test" } } }),
    ).toBe(0);
  });
});
