/**
 * The panel's HTTP server in production: Next.js (the built app, like `next start`) plus the browser
 * console's WebSocket at /api/console (./console.ts) and the template upload at /api/templates/upload
 * (./template-upload.ts: a streamed request body), which the app router cannot serve. The panel's other
 * raw HTTP routes live beside it (./backup-download.ts, ./node-join.ts: served through app/api/) and share
 * one error → status mapping (./errors.ts). Start-up work (recovery after a crash, the samplers) runs in
 * instrumentation.ts, which Next awaits in app.prepare() before this server listens.
 *
 *   node --import tsx server/http/main.ts -p 3000 -H 127.0.0.1      (NODE_ENV=production, after `next build`)
 *
 * Options as `next start`: -p/--port (default $PORT or 3000), -H/--hostname (default 127.0.0.1).
 * Other upgrade requests are refused (a production build has no hot-reload socket). Security headers
 * and the CSP nonce come from proxy.ts, which Next runs before every request it serves.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { PEER_HEADER } from "../auth/client-ip.js";
import { FIXED_SECURITY_HEADERS } from "../web/security-headers.js";
import { consoleUpgradeHandler } from "./console.js";
import { handleTemplateUpload, isTemplateUpload } from "./template-upload.js";

// Next's programmatic API, typed by hand: importing "next"'s types would pull its global declarations
// (a required NODE_ENV in ProcessEnv) into every file of this project.
interface NextApp {
  prepare(): Promise<void>;
  getRequestHandler(): (req: IncomingMessage, res: ServerResponse) => Promise<void>;
  close(): Promise<void>;
}
const next = createRequire(import.meta.url)("next") as (opts: {
  dev: boolean;
  dir: string;
  hostname: string;
  port: number;
}) => NextApp;

function arg(names: string[], dflt: string): string {
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n && argv[i + 1] !== undefined) return argv[i + 1]!;
      if (a.startsWith(`${n}=`)) return a.slice(n.length + 1);
    }
  }
  return dflt;
}

async function main(): Promise<void> {
  const port = Number(arg(["-p", "--port"], process.env.PORT ?? "3000"));
  const hostname = arg(["-H", "--hostname"], "127.0.0.1");
  const dir = path.resolve(import.meta.dirname, "../..");
  const app = next({ dev: false, dir, hostname, port });
  await app.prepare();
  const handle = app.getRequestHandler();
  const upgradeConsole = consoleUpgradeHandler();
  // The TCP peer, for the client address (server/auth/client-ip.ts): always the socket's, whatever a
  // client sent under that name.
  const stampPeer = (req: IncomingMessage) => void (req.headers[PEER_HEADER] = req.socket.remoteAddress ?? "");
  const server = createServer((req, res) => {
    stampPeer(req);
    // the one raw body route: the tarball streams through to the engine (Next's proxy would buffer it)
    if (isTemplateUpload(req)) return void handleTemplateUpload(req, res);
    handle(req, res).catch((e: unknown) => {
      console.error("[panel] request failed", e);
      if (!res.headersSent) {
        res.statusCode = 500;
        for (const [name, value] of FIXED_SECURITY_HEADERS) res.setHeader(name, value);
      }
      res.end();
    });
  });
  server.on("upgrade", (req, socket, head) => {
    stampPeer(req);
    if (!upgradeConsole(req, socket, head)) socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, hostname, () => resolve());
  });
  console.log(`[panel] ready on http://${hostname}:${port} (console WebSocket at /api/console)`);
  const stop = (sig: string) => {
    console.log(`[panel] ${sig}: shutting down`);
    server.close();
    setTimeout(() => process.exit(0), 2000).unref();
    void app.close().finally(() => process.exit(0));
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
}

main().catch((e) => {
  console.error("[panel] fatal:", e);
  process.exit(1);
});
