/**
 * How a client reaches an engine: the one place that turns an endpoint string into a connected socket.
 * Used by the typed client (client.ts), the raw-stream clients (console-client.ts, download-client.ts)
 * and anything else that speaks the engine protocol on a connection of its own.
 *
 * Endpoints:
 *   /run/ovz/engine.sock   an absolute Unix socket path (the local node; the socket's group is the access control)
 *   tls://HOST:PORT        a node on another host: TCP with mutual TLS. The client presents the panel's client
 *                          certificate and accepts only a server certificate issued by the panel's own CA
 *                          (the system's CAs are not trusted) for exactly HOST (IP or DNS name in its SAN).
 *                          HOST is an IPv4 address, a bracketed IPv6 address ([2001:db8::1]) or a DNS name.
 *
 *   const sock = await dialEngine("tls://198.18.250.2:7443");   // resolves once the node accepted us
 *
 * The panel's credentials live in OVZ_PANEL_PKI (default /var/lib/ovz-panel/pki; created by the panel,
 * server/services/pki.ts): ca.crt (the CA every node certificate must chain to), panel.crt + panel.key
 * (the client certificate). Callers with other credentials pass `tls`.
 *
 * Every failure is an EngineError("INTERNAL", "cannot reach the host engine at <endpoint>: <why>; <what to
 * do>") marked as such (isUnreachable); the panel turns it into ENGINE_UNAVAILABLE (server/engine/unavailable.ts).
 */
import { readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";
import tls from "node:tls";
import { EngineError } from "../errors.js";

export type EngineEndpoint = { kind: "unix"; path: string } | { kind: "tls"; host: string; port: number };

export interface TlsCredentials {
  /** PEM: the CA the peer's certificate must chain to (the only one trusted) */
  ca: string | Buffer;
  /** PEM: our certificate and its private key */
  cert: string | Buffer;
  key: string | Buffer;
}

export interface DialOptions {
  /** client credentials for tls:// endpoints; default: the panel's, from `pkiDir` */
  tls?: TlsCredentials;
  /** where the panel's ca.crt, panel.crt and panel.key are; default panelPkiDir() */
  pkiDir?: string;
  /** give up connecting (TCP + TLS handshake) after this long; default 10 s */
  timeoutMs?: number;
}

export const DEFAULT_PANEL_PKI = "/var/lib/ovz-panel/pki";

/** File names inside the panel's PKI directory. */
export const PANEL_PKI_FILES = {
  caCert: "ca.crt",
  caKey: "ca.key",
  clientCert: "panel.crt",
  clientKey: "panel.key",
} as const;

export function panelPkiDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(env.OVZ_PANEL_PKI?.trim() || DEFAULT_PANEL_PKI);
}

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * "HOST:PORT" (IPv4, [IPv6] or a DNS name; port 1–65535) → parts; throws Error naming what is wrong.
 * Shared by endpoints, OVZ_LISTEN and `ovz-node join --listen`.
 */
export function parseHostPort(s: string): { host: string; port: number } {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(s);
  if (!m) throw new Error(`"${s}" is not HOST:PORT (IPv6 addresses in brackets: [2001:db8::1]:7443)`);
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`port ${m[3]} in "${s}" is out of range 1–65535`);
  const v6 = m[1] !== undefined;
  const ok = v6 ? net.isIPv6(host) : net.isIPv4(host) || (HOSTNAME.test(host) && !/^[0-9.]+$/.test(host));
  if (!ok) throw new Error(`"${host}" in "${s}" is not an IP address or host name`);
  return { host: v6 ? host.toLowerCase() : host, port };
}

/** "HOST:PORT" with IPv6 in brackets. */
export function formatHostPort(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Parses an endpoint; throws EngineError BAD_REQUEST with a sentence saying what forms are accepted. */
export function parseEndpoint(endpoint: string): EngineEndpoint {
  if (endpoint.startsWith("/")) {
    if (endpoint.includes("\0") || endpoint.split("/").includes(".."))
      throw new EngineError("BAD_REQUEST", `engine endpoint "${endpoint}" is not a clean absolute socket path`);
    return { kind: "unix", path: endpoint };
  }
  if (endpoint.startsWith("tls://")) {
    try {
      return { kind: "tls", ...parseHostPort(endpoint.slice("tls://".length)) };
    } catch (e) {
      throw new EngineError("BAD_REQUEST", `engine endpoint "${endpoint}": ${(e as Error).message}`);
    }
  }
  throw new EngineError(
    "BAD_REQUEST",
    `engine endpoint "${endpoint}" is neither an absolute Unix socket path nor tls://HOST:PORT`,
  );
}

export function formatEndpoint(e: EngineEndpoint): string {
  return e.kind === "unix" ? e.path : `tls://${formatHostPort(e.host, e.port)}`;
}

/** The panel's client credentials (ca.crt, panel.crt, panel.key) from its PKI directory. */
export async function loadPanelCredentials(dir: string = panelPkiDir()): Promise<TlsCredentials> {
  const read = (f: string) => readFile(path.join(dir, f));
  try {
    const [ca, cert, key] = await Promise.all([
      read(PANEL_PKI_FILES.caCert),
      read(PANEL_PKI_FILES.clientCert),
      read(PANEL_PKI_FILES.clientKey),
    ]);
    return { ca, cert, key };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === "ENOENT"
        ? `the panel has no client certificate in ${dir} (OVZ_PANEL_PKI); it is created with the first join token (Nodes page), and nodes must join with a token of this panel`
        : `the panel cannot read its client certificate in ${dir} (OVZ_PANEL_PKI): ${err.message}; the directory must belong to the panel's user`;
    throw new EngineError("INTERNAL", `cannot reach the host engine: ${why}`, { cause: e, details: UNREACHABLE });
  }
}

/** The mark of a failed connection attempt (a local error, never sent over the wire). */
const UNREACHABLE = { unreachable: true } as const;

/** Is this a failure to reach an engine (no socket, refused, no TLS, no answer), as dialEngine reports it? */
export function isUnreachable(e: unknown): e is EngineError {
  return e instanceof Error && (e as EngineError).details?.unreachable === true;
}

/** The error dialEngine fails with (exported for tests and fakes that stand in for an unreachable engine). */
export function unreachable(endpoint: string, why: string, cause?: unknown): EngineError {
  const message = `cannot reach the host engine at ${endpoint}: ${why}`;
  return new EngineError("INTERNAL", message, { cause, details: UNREACHABLE });
}

/** A sentence for a TCP/TLS failure, with what to check. */
function tlsFailure(e: NodeJS.ErrnoException, ep: { host: string; port: number }): string {
  const where = formatHostPort(ep.host, ep.port);
  switch (e.code) {
    case "ECONNREFUSED":
      return `connection refused; is the node's engine running with OVZ_LISTEN=${where}?`;
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return `no route to ${ep.host} (${e.code}); check the node's address and the network between panel and node`;
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `cannot resolve host name ${ep.host} (${e.code})`;
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `the node's certificate is not for ${ep.host} (${e.message}); join the node again with the address the panel uses`;
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "CERT_SIGNATURE_FAILURE":
      return `the node's certificate was not issued by this panel's CA (${e.code}); join the node to this panel again`;
    case "CERT_HAS_EXPIRED":
    case "CERT_NOT_YET_VALID":
      return `the node's certificate is not valid now (${e.code}); check both clocks, or join the node again`;
    default:
      if (
        /alert (certificate required|unknown ca|bad certificate|certificate unknown|decrypt error|handshake failure)/i.test(
          e.message,
        )
      ) {
        return `the node refused the panel's client certificate (${e.message.replace(/^.*?:(tlsv1\d? alert [^:]+).*$/s, "$1")}); was the node joined to this panel?`;
      }
      return `${e.message}${e.code ? ` (${e.code})` : ""}`;
  }
}

function dialUnix(p: string, endpoint: string, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.createConnection(p);
    const timer = setTimeout(
      () => fail(unreachable(endpoint, `no answer within ${timeoutMs / 1000} s; is it running?`)),
      timeoutMs,
    );
    const fail = (e: EngineError) => {
      cleanup();
      s.destroy();
      reject(e);
    };
    const onError = (e: Error) => fail(unreachable(endpoint, `${e.message}; is it running?`, e));
    const onConnect = () => {
      cleanup();
      resolve(s);
    };
    const cleanup = () => {
      clearTimeout(timer);
      s.off("error", onError);
      s.off("connect", onConnect);
    };
    s.once("error", onError);
    s.once("connect", onConnect);
  });
}

/**
 * TCP + TLS 1.3 with both certificates. TLS 1.3 ends the client's handshake before the server has checked
 * the client's certificate, so "connected" is not yet "accepted": the server sends its session tickets only
 * after it accepted us, so the first ticket ('session') is the signal (our engine's TLS listener always
 * sends them). A refusal arrives instead as an alert or a close, which becomes the error here.
 */
function dialTls(
  ep: { host: string; port: number },
  creds: TlsCredentials,
  endpoint: string,
  timeoutMs: number,
): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const s = tls.connect({
      host: ep.host,
      port: ep.port,
      ca: creds.ca,
      cert: creds.cert,
      key: creds.key,
      minVersion: "TLSv1.3",
      rejectUnauthorized: true,
      // SNI must be a DNS name; for an IP the certificate's IP SAN is still checked (checkServerIdentity)
      ...(net.isIP(ep.host) ? {} : { servername: ep.host }),
    });
    s.setTimeout(timeoutMs);
    const done = (e: EngineError | null) => {
      if (settled) return;
      settled = true;
      s.off("error", onError);
      s.off("close", onClose);
      s.off("timeout", onTimeout);
      s.off("session", onSession);
      s.setTimeout(0);
      if (e) {
        s.destroy();
        reject(e);
      } else resolve(s);
    };
    const onError = (e: NodeJS.ErrnoException) => done(unreachable(endpoint, tlsFailure(e, ep), e));
    const onClose = () =>
      done(
        unreachable(
          endpoint,
          "the node closed the connection during the TLS handshake: it did not accept the panel's client certificate (was the node joined to this panel? its tls/ca.crt must be this panel's CA)",
        ),
      );
    const onTimeout = () =>
      done(
        unreachable(
          endpoint,
          `no TLS answer within ${timeoutMs / 1000} s; check the address, the port and any firewall between panel and node`,
        ),
      );
    // resolve outside OpenSSL's read callback: a write from inside it corrupts the record layer
    const onSession = () =>
      setImmediate(() =>
        done(s.destroyed ? unreachable(endpoint, "the connection closed right after the TLS handshake") : null),
      );
    s.on("error", onError);
    s.on("close", onClose);
    s.on("timeout", onTimeout);
    s.once("session", onSession);
  });
}

/**
 * A connected socket to the engine at `endpoint` (see the file comment): for a Unix socket once connected,
 * for tls:// once the TLS handshake is done and the node accepted the panel's certificate. Rejects with an
 * EngineError whose message says what to check. The caller owns the socket (attach 'error' at once).
 */
export async function dialEngine(endpoint: string, opts: DialOptions = {}): Promise<net.Socket> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const ep = parseEndpoint(endpoint);
  if (ep.kind === "unix") return dialUnix(ep.path, endpoint, timeoutMs);
  const creds =
    opts.tls ??
    (await loadPanelCredentials(opts.pkiDir).catch((e: EngineError) => {
      throw unreachable(endpoint, e.message.replace(/^cannot reach the host engine: /, ""), e);
    }));
  return dialTls(ep, creds, endpoint, timeoutMs);
}
