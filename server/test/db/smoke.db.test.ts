import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshDb, PROVIDERS, type TestDb } from "../helpers/db.js";
import { as, buildWorld, waitForAllOperations, type World } from "../helpers/world.js";

describe.each(PROVIDERS)("containers on %s", (provider) => {
  let t: TestDb;
  let w: World;
  beforeAll(async () => {
    t = await freshDb(provider);
    w = await buildWorld(t.db);
  });
  afterAll(async () => {
    await waitForAllOperations();
    await t?.drop();
  });

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
