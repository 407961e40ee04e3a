/**
 * The engine's TCP listener for a node on another host than the panel (OVZ_LISTEN=HOST:PORT): the same
 * frames and handlers as the Unix socket (server.ts connectionHandler), behind mutual TLS 1.3. The node
 * presents the certificate the panel's CA signed at join; a client must present a certificate of that
 * same CA made for client authentication (the panel's), anything else is refused during the handshake.
 *
 * Files, written by `ovz-node join` (tools/node-join.ts) into <OVZ_STATE_DIR>/tls/:
 *   node.key (0600)  the node's private key (never leaves the node)
 *   node.crt         its server certificate, SAN = the address the panel dials
 *   ca.crt           the panel's CA: the only issuer trusted for clients
 */
import { readFile, stat } from "node:fs/promises";
import path from "node:path";
import tls from "node:tls";
import type { Handlers } from "./handlers.js";
import { connectionHandler, type ConnectionOptions } from "./server.js";

export const NODE_TLS_FILES = { key: "node.key", cert: "node.crt", ca: "ca.crt" } as const;

/** id-kp-clientAuth */
const CLIENT_AUTH_OID = "1.3.6.1.5.5.7.3.2";

export interface NodeTls {
  key: Buffer;
  cert: Buffer;
  ca: Buffer;
}

/** Thrown when OVZ_LISTEN cannot be served; the message is meant for the admin as is. */
export class NodeTlsError extends Error {
  override name = "NodeTlsError";
}

/**
 * The node's key, certificate and the panel's CA from `dir`. Missing files → NodeTlsError that says to
 * join first; a key readable by others is refused too.
 */
export async function readNodeTls(dir: string, listen: string): Promise<NodeTls> {
  const files = Object.values(NODE_TLS_FILES);
  const missing: string[] = [];
  for (const f of files) if (!(await stat(path.join(dir, f)).catch(() => null))?.isFile()) missing.push(f);
  if (missing.length) {
    throw new NodeTlsError(
      `OVZ_LISTEN=${listen} needs this node's TLS files in ${dir} (${files.join(", ")}); missing: ${missing.join(", ")}. ` +
        `Run ovz-node join first (with a join token from the panel's Nodes page), or unset OVZ_LISTEN to serve the Unix socket only.`,
    );
  }
  const keyMode = (await stat(path.join(dir, NODE_TLS_FILES.key))).mode & 0o777;
  if (keyMode & 0o077)
    throw new NodeTlsError(
      `${path.join(dir, NODE_TLS_FILES.key)} is readable by others (mode ${keyMode.toString(8)}); chmod 600 it.`,
    );
  const [key, cert, ca] = await Promise.all(files.map((f) => readFile(path.join(dir, f))));
  return { key: key!, cert: cert!, ca: ca! };
}

export interface TlsListenOptions extends ConnectionOptions {
  host: string;
  port: number;
  tls: NodeTls;
}

export async function listenTls(handlers: Handlers, opts: TlsListenOptions): Promise<tls.Server> {
  const log = opts.log ?? (() => {});
  const serve = connectionHandler(handlers, opts);
  const server = tls.createServer(
    {
      key: opts.tls.key,
      cert: opts.tls.cert,
      ca: opts.tls.ca,
      requestCert: true,
      rejectUnauthorized: true,
      minVersion: "TLSv1.3",
      handshakeTimeout: 10_000,
    },
    (sock) => {
      // OpenSSL already checks the purpose (a server certificate of the same CA is refused); say it here too
      const peer = sock.getPeerCertificate();
      if (!sock.authorized || !peer.ext_key_usage?.includes(CLIENT_AUTH_OID)) {
        log(
          `TLS client ${sock.remoteAddress ?? "?"} refused: its certificate (${peer.subject?.CN ?? "no subject"}) is not a client certificate of the panel's CA`,
        );
        sock.destroy();
        return;
      }
      serve(sock);
    },
  );
  server.on("tlsClientError", (e, sock) => {
    // a certificate OpenSSL verified but Node refused (another CA) ends as a plain hang-up: name the reason
    const why = sock.authorizationError
      ? `certificate refused (${String(sock.authorizationError)})`
      : e.message.split("\n")[0];
    log(`TLS client ${sock.remoteAddress ?? "(gone)"} refused during the handshake: ${why}`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return server;
}
