/**
 * The raw HTTP routes (server/http/) answer refusals with the statuses tRPC gives the same errors: the
 * backup download (anonymous 401, a foreign or unknown backup 404, a node that cannot send it 502) and the
 * console's upgrade check (401, 400, 404), both authenticated like a tRPC call.
 */
import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { PanelError } from "../../errors.js";
import { downloadBackup } from "../../http/backup-download.js";
import { authorizeConsole } from "../../http/console.js";
import { httpErrorOf } from "../../http/errors.js";
import { PROVIDERS } from "../helpers/db.js";
import { as, type World, useWorld, waitForAllOperations } from "../helpers/world.js";

describe.each(PROVIDERS)("raw HTTP routes on %s", (provider) => {
  let w: World;
  useWorld(provider, (x) => ({ w } = x));

  const tokenOf = async (who: "customerA1" | "customerB1") =>
    (await as(w, who).tokens.create({ name: `http-${who}` })).token;
  const get = (url: string, headers: Record<string, string> = {}) =>
    new Request(`http://panel.test${url}`, { headers });

  it("GET /api/backups/<id>/download: 401 anonymous, 404 unknown or foreign, 502 when the node cannot send it", async () => {
    const c = w.a.customers[0]!.container;
    await as(w, "customerA1").backups.create({ containerId: c.id });
    await waitForAllOperations();
    const b = await w.db.backup.findFirstOrThrow({ where: { containerId: c.id } });
    const anon = await downloadBackup(get(`/api/backups/${b.id}/download`), b.id, w.db);
    expect([anon.status, await anon.text()]).toEqual([
      401,
      "You are not logged in (or your session expired). Log in again.\n",
    ]);
    const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
    const foreign = await downloadBackup(
      get(`/api/backups/${b.id}/download`, bearer(await tokenOf("customerB1"))),
      b.id,
      w.db,
    );
    expect([foreign.status, await foreign.text()]).toEqual([404, "No such backup (or not one of yours).\n"]);
    const mine = bearer(await tokenOf("customerA1"));
    expect((await downloadBackup(get("/api/backups/nope/download", mine), "nope", w.db)).status).toBe(404);
    // the fake engine has no archives to send: what a node failing mid-request looks like
    const quiet = console.error;
    console.error = () => {};
    try {
      const failed = await downloadBackup(get(`/api/backups/${b.id}/download`, mine), b.id, w.db);
      expect([failed.status, await failed.text()]).toEqual([
        502,
        "The node could not send this backup; try again later.\n",
      ]);
    } finally {
      console.error = quiet;
    }
  });

  it("the console's upgrade check refuses with the mapped statuses", async () => {
    const c = w.a.customers[0]!.container;
    const upgrade = (query: string, headers: Record<string, string> = {}) =>
      ({
        url: `/api/console?${query}`,
        headers: { host: "panel.test", ...headers },
        socket: { remoteAddress: "127.0.0.1" },
      }) as unknown as IncomingMessage;
    const refusal = async (p: Promise<unknown>) => {
      const e = await p.then(
        () => null,
        (x: unknown) => x,
      );
      expect(e).toBeInstanceOf(PanelError);
      const h = httpErrorOf(e);
      return [h.status, h.code];
    };
    expect(await refusal(authorizeConsole(upgrade(`containerId=${c.id}`), w.db))).toEqual([401, "UNAUTHORIZED"]);
    const mine = { authorization: `Bearer ${await tokenOf("customerA1")}` };
    expect(await refusal(authorizeConsole(upgrade(`containerId=${c.id}&cols=0`, mine), w.db))).toEqual([
      400,
      "BAD_REQUEST",
    ]);
    const other = w.b.customers[0]!.container;
    expect(await refusal(authorizeConsole(upgrade(`containerId=${other.id}`, mine), w.db))).toEqual([404, "NOT_FOUND"]);
    const granted = await authorizeConsole(upgrade(`containerId=${c.id}&cols=100&rows=30`, mine), w.db);
    expect([granted.container.ctid, granted.cols, granted.rows, granted.ctx.actor.via]).toEqual([
      c.ctid,
      100,
      30,
      "token",
    ]);
  });
});
