import { describe, expect, it } from "vitest";
import { PROVIDERS } from "../helpers/db.js";
import { as, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("containers on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  it("a customer lists only its own container and can start it", async () => {
    const list = await as(w, "customerA1").containers.list();
    expect(list.map((c) => c.hostname)).toEqual(["web-a1.test"]);
    const op = await as(w, "customerA1").containers.start({ containerId: list[0]!.id });
    expect(op.status).toBe("running");
    await waitForAllOperations();
    const done = await as(w, "customerA1").operations.get({ operationId: op.id });
    expect(done.status).toBe("succeeded");
    expect((await as(w, "customerA1").containers.get({ containerId: list[0]!.id })).state).toBe("running");
  });
});
