/**
 * GET /api/events: the panel's one server-sent event stream per browser tab. The caller is authenticated
 * exactly like a tRPC call (server/auth/request.ts: the session cookie; refused from another site), and gets
 * only the events of the tenants it may see (visibleTenantIds: admins all, resellers their own and their
 * customers', customers their own). Events are ids and kinds (server/services/events/bus.ts): the browser
 * invalidates its queries and reads the data through tRPC. A comment line every `heartbeatMs` keeps proxies
 * from closing the connection; each heartbeat checks the session again (a logged-out or disabled user's
 * stream ends) and refreshes the scope (a reseller's new customer). At most MAX_STREAMS_PER_SESSION streams
 * per session; a client that stops reading is dropped (it reconnects and catches up through tRPC).
 */
import { authenticateRequest } from "../auth/request.js";
import type { Actor } from "../auth/roles.js";
import { db as defaultDb, type Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { eventVisible, subscribe, type PanelEvent } from "../services/events/bus.js";
import { visibleTenantIds } from "../services/scope.js";
import { httpErrorOf, textResponse } from "./errors.js";

export const MAX_STREAMS_PER_SESSION = 8;
export const HEARTBEAT_MS = 25_000;
/** Messages queued for a client that does not read before its stream is dropped. */
const MAX_QUEUED = 500;

const g = globalThis as unknown as { __ovzEventStreams?: Map<string, number> };
const open = (g.__ovzEventStreams ??= new Map());

/** How many event streams are open for the session (or token) `key`; all of them without a key. */
export function openStreams(key?: string): number {
  return key === undefined ? [...open.values()].reduce((a, b) => a + b, 0) : (open.get(key) ?? 0);
}

export async function eventStream(
  req: Request,
  db: Db = defaultDb(),
  opts: { heartbeatMs?: number } = {},
): Promise<Response> {
  try {
    return await start(db, req, opts.heartbeatMs ?? HEARTBEAT_MS);
  } catch (e) {
    const h = httpErrorOf(e);
    return textResponse(h.status, h.message);
  }
}

const enc = new TextEncoder();

async function start(db: Db, req: Request, heartbeatMs: number): Promise<Response> {
  const who = await authenticateRequest(db, req);
  if (!who.actor)
    throw new PanelError("UNAUTHORIZED", "You are not logged in (or your session expired). Log in again.");
  if (who.actor.via === "session" && !who.sameOrigin)
    throw new PanelError("FORBIDDEN", "Live updates are served to the panel's own pages only.");
  const key = streamKey(who.actor);
  if (openStreams(key) >= MAX_STREAMS_PER_SESSION)
    throw new PanelError(
      "RATE_LIMITED",
      `Too many live update streams are open for this session (${MAX_STREAMS_PER_SESSION}); close some of the ` +
        "panel's tabs. The open pages still update, more slowly.",
    );
  let scope = await visibleTenantIds(db, who.actor);
  open.set(key, openStreams(key) + 1);

  let done = false;
  let cleanup = () => {};
  const body = new ReadableStream<Uint8Array>(
    {
      start(controller) {
        const send = (text: string) => {
          if (done) return;
          if ((controller.desiredSize ?? 0) < -MAX_QUEUED) return end(); // a client that does not read
          try {
            controller.enqueue(enc.encode(text));
          } catch {
            end();
          }
        };
        const end = () => {
          if (done) return;
          cleanup();
          try {
            controller.close();
          } catch {
            // already closed or cancelled
          }
        };
        const unsubscribe = subscribe((e: PanelEvent) => {
          if (eventVisible(scope, e)) send(`data: ${JSON.stringify(e)}\n\n`);
        });
        let checking = false;
        const heartbeat = setInterval(() => {
          send(": ping\n\n");
          if (checking) return; // one check at a time, however slow the database
          checking = true;
          recheck()
            .catch(() => {}) // a database hiccup: keep the stream, check again at the next beat
            .finally(() => (checking = false));
        }, heartbeatMs);
        const recheck = async () => {
          const again = await authenticateRequest(db, req);
          if (done) return;
          if (!again.actor || streamKey(again.actor) !== key) {
            send(`event: end\ndata: {"reason":"unauthorized"}\n\n`);
            return end();
          }
          scope = await visibleTenantIds(db, again.actor);
        };
        const onAbort = () => end();
        req.signal.addEventListener("abort", onAbort);
        cleanup = () => {
          done = true;
          unsubscribe();
          clearInterval(heartbeat);
          req.signal.removeEventListener("abort", onAbort);
          const n = openStreams(key) - 1;
          if (n > 0) open.set(key, n);
          else open.delete(key);
        };
        // how long the browser waits before it reconnects on its own (the panel's client has its own backoff)
        send("retry: 5000\n: connected\n\n");
      },
      cancel() {
        if (!done) cleanup();
      },
    },
    { highWaterMark: 1 },
  );
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      // no-transform: no compression (it would buffer the events); x-accel-buffering: nginx passes them at once
      "cache-control": "no-cache, no-store, no-transform",
      "x-accel-buffering": "no",
    },
  });
}

function streamKey(a: Actor): string {
  return a.sessionId ?? a.tokenId ?? `user:${a.userId}`;
}
