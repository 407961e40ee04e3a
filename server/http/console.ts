/**
 * The browser console: a WebSocket at /api/console bridged to the engine's console session
 * (native/src/protocol/console-client.ts). Next's app router cannot take upgrades, so server/http/main.ts
 * hands them here.
 *
 * Who may connect is decided before the upgrade, with the tRPC context's own code (createContext: the
 * session cookie or a bearer token, a completed login only: server/auth/request.ts) and containerProcedure's scope rule
 * (the
 * container's owner must be one of the caller's tenants, else 404 — no existence leak); a session cookie
 * must come with an Origin naming this host (CSRF: any site could open a WebSocket with the cookie), and
 * a disabled tenant (the container's, or its reseller) is refused. A refusal is a PanelError, answered with
 * the panel's one status mapping (./errors.ts) before any upgrade.
 *
 *   GET /api/console?containerId=ID&cols=C&rows=R[&session=S]   (Upgrade: websocket)
 *   server → browser: text {"type":"session","session":S,"ctid":N,"attached":bool} first, then binary
 *                     terminal output (on attach: the recent screen first), at the end text
 *                     {"type":"exit","code","signal","message"?} and close 1000;
 *                     a refused open: text {"type":"error","code","message"} and close 4000.
 *   browser → server: binary = keyboard input, text {"type":"resize","cols","rows"}.
 * Sessions are detachable: closing the socket leaves the shell running (OVZ_CONSOLE_DETACH_SEC on the
 * engine) for a later connection with &session=S; other connections may watch the same session.
 */
import { STATUS_CODES, type IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { EngineError } from "../../native/src/errors.js";
import { openConsole, type ConsoleConnection } from "../../native/src/protocol/console-client.js";
import { resizePayload } from "../../native/src/protocol/console-framing.js";
import { authenticateRequest, type RequestAuth } from "../auth/request.js";
import { tenantBlocked, type Actor } from "../auth/roles.js";
import { db as defaultDb, type Db } from "../db/client.js";
import { PanelError } from "../errors.js";
import { canSeeTenant, visibleTenantIds } from "../services/scope.js";
import { audit } from "../services/audit.js";
import { httpErrorOf, type HttpError } from "./errors.js";

export const CONSOLE_PATH = "/api/console";
const PING_MS = 30_000;

type Who = RequestAuth & { db: Db; actor: Actor };
type Granted = {
  ctx: Who;
  container: { id: string; ctid: number; hostname: string; tenantId: string; node: { endpoint: string } };
  cols: number;
  rows: number;
  session?: string;
};

export function headersOf(req: IncomingMessage): Headers {
  const h = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) h.append(k, x);
  }
  // as `next start` does for pages: the peer's address when no proxy header came
  if (!h.has("x-forwarded-for") && req.socket.remoteAddress) h.set("x-forwarded-for", req.socket.remoteAddress);
  return h;
}

function sameHostOrigin(h: Headers): boolean {
  const origin = h.get("origin");
  const host = h.get("host");
  if (!origin || !host) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

const size = (v: string | null, dflt: number) => {
  const n = v === null ? dflt : Number(v);
  return Number.isInteger(n) && n >= 1 && n <= 1000 ? n : null;
};

/** Everything that decides whether this upgrade may become a console; no side effects. Throws a refusal. */
export async function authorizeConsole(req: IncomingMessage, db: Db = defaultDb()): Promise<Granted> {
  const url = new URL(req.url ?? "/", "http://localhost");
  const headers = headersOf(req);
  const auth = await authenticateRequest(
    db,
    new Request(new URL(url.pathname + url.search, "http://localhost"), { headers }),
  );
  if (!auth.actor) {
    throw auth.pendingSecondFactor
      ? new PanelError("SECOND_FACTOR", "Enter the 6-digit code from your authenticator app to finish logging in.")
      : new PanelError("UNAUTHORIZED", "You are not logged in (or your session expired). Log in again.");
  }
  const ctx: Who = { ...auth, db, actor: auth.actor };
  if (ctx.actor.via === "session" && !sameHostOrigin(headers)) {
    throw new PanelError(
      "FORBIDDEN",
      "Console refused: the connection did not come from the panel's own pages (cross-site request).",
    );
  }
  const containerId = url.searchParams.get("containerId") ?? "";
  const cols = size(url.searchParams.get("cols"), 80);
  const rows = size(url.searchParams.get("rows"), 24);
  const session = url.searchParams.get("session") ?? undefined;
  if (
    !containerId ||
    containerId.length > 64 ||
    cols === null ||
    rows === null ||
    (session !== undefined && !/^[0-9a-f]{8,32}$/.test(session))
  ) {
    throw new PanelError(
      "BAD_REQUEST",
      "Bad console request: containerId, cols and rows (1-1000) and an optional session id are expected.",
    );
  }
  const container = await ctx.db.container.findUnique({
    where: { id: containerId },
    include: { node: true, tenant: { include: { parent: true } } },
  });
  const scope = await visibleTenantIds(ctx.db, ctx.actor);
  if (!container || !canSeeTenant(scope, container.tenantId))
    throw new PanelError("NOT_FOUND", "No such container (or it is not yours).");
  if (tenantBlocked(container.tenant))
    throw new PanelError("FORBIDDEN", "The container's owner is disabled; its console is closed.");
  return { ctx, container, cols, rows, session };
}

function refuseUpgrade(socket: Duplex, r: Pick<HttpError, "status" | "message">): void {
  const reason = STATUS_CODES[r.status] ?? "Error";
  const body = `${r.message}\n`;
  socket.end(
    `HTTP/1.1 ${r.status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
  );
}

/** Bridges one authorized WebSocket to an engine console session. */
async function bridge(ws: WebSocket, g: Granted, log: (line: string) => void): Promise<void> {
  // keyboard input that arrives while the engine session opens is kept (small: it is typing)
  const early: Array<{ data: Buffer; binary: boolean }> = [];
  let conn: ConsoleConnection | null = null;
  let closed = false;
  const onMessage = (data: Buffer, binary: boolean) => {
    if (!conn) {
      if (early.length < 256) early.push({ data, binary });
      return;
    }
    if (binary) return conn.write(data);
    try {
      const m = JSON.parse(data.toString("utf8")) as { type?: string };
      if (m.type === "resize") {
        const r = resizePayload.safeParse({
          cols: (m as { cols?: unknown }).cols,
          rows: (m as { rows?: unknown }).rows,
        });
        if (r.success) conn.resize(r.data.cols, r.data.rows);
      }
    } catch {
      /* not JSON: ignored */
    }
  };
  ws.on("message", (data, binary) =>
    onMessage(Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]), binary),
  );
  ws.on("close", () => {
    closed = true;
    conn?.close(); // detaches: the engine keeps the session for a later connection
  });
  let alive = true;
  ws.on("pong", () => (alive = true));
  const ping = setInterval(() => {
    if (!alive) return ws.terminate();
    alive = false;
    ws.ping();
  }, PING_MS);
  ws.on("close", () => clearInterval(ping));

  const { ctx, container } = g;
  try {
    conn = await openConsole(container.node.endpoint, {
      ctid: container.ctid,
      cols: g.cols,
      rows: g.rows,
      detachable: true,
      ...(g.session ? { session: g.session } : {}),
    });
  } catch (e) {
    const err = e instanceof EngineError ? e : new EngineError("INTERNAL", (e as Error).message);
    const message = err.code === "NOT_FOUND" && g.session ? "That console session has ended." : err.message;
    if (err.code === "INTERNAL") log(`console for container ${container.ctid}: ${err.message}`);
    if (!closed) {
      ws.send(JSON.stringify({ type: "error", code: err.code, message }));
      ws.close(4000, err.code);
    }
    return;
  }
  const c = conn;
  if (closed) return c.close();
  ws.send(JSON.stringify({ type: "session", session: c.session, ctid: c.ctid, attached: !!g.session }));
  if (!g.session) {
    await audit(ctx, {
      action: "container.console",
      target: `container ${container.ctid} (${container.hostname})`,
      tenantId: container.tenantId,
      details: { session: c.session },
    }).catch((e) => log(`console audit failed: ${(e as Error).message}`));
  }
  c.onData((d) => {
    if (ws.readyState === ws.OPEN) ws.send(d, { binary: true });
  });
  c.onExit((exit) => {
    if (ws.readyState !== ws.OPEN) return;
    ws.send(JSON.stringify({ type: "exit", ...exit }));
    ws.close(1000, "session ended");
  });
  for (const m of early.splice(0)) onMessage(m.data, m.binary);
}

/** The upgrade handler for server/http/main.ts: returns false for paths that are not the console. */
export function consoleUpgradeHandler(log: (line: string) => void = (l) => console.error(`[panel] ${l}`)) {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  return (req: IncomingMessage, socket: Duplex, head: Buffer): boolean => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== CONSOLE_PATH) return false;
    socket.on("error", () => {});
    authorizeConsole(req).then(
      (g) => {
        wss.handleUpgrade(req, socket, head, (ws) => {
          bridge(ws, g, log).catch((e) => {
            log(`console bridge failed: ${(e as Error).stack ?? e}`);
            ws.close(1011, "internal error");
          });
        });
      },
      (e: unknown) => {
        const h = httpErrorOf(e); // an unexpected error is logged there
        refuseUpgrade(
          socket,
          h.status === 500 ? { status: 500, message: "The console could not be opened (server error)." } : h,
        );
      },
    );
    return true;
  };
}
