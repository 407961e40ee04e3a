/**
 * X.509 for nodes joined over mutual TLS, with Debian's openssl CLI (Node.js can check certificates but
 * not make them). Always argument arrays, never a shell; `-config /dev/null` so the host's openssl.cnf
 * cannot add extensions (its v3_ca section would make every signed certificate a CA). Keys are EC P-256.
 *
 * Who uses what: the panel keeps a CA and its client certificate (server/services/pki.ts) and signs each
 * node's CSR at join; a node makes its key and CSR (tools/node-join.ts). A CSR's own subject and requested
 * extensions are ignored: the signer sets subject, usage and SAN.
 */
import { createPublicKey, randomBytes, X509Certificate, type KeyObject } from "node:crypto";
import { existsSync } from "node:fs";
import net from "node:net";
import { run } from "./exec.js";

const OPENSSL = existsSync("/usr/bin/openssl") ? "/usr/bin/openssl" : "openssl";
const MAX_CSR_BYTES = 16 * 1024;

/** `openssl req -config /dev/null …` → stdout */
async function req(args: string[], input?: string): Promise<string> {
  return (await run(OPENSSL, ["req", "-config", "/dev/null", ...args], { input, timeoutMs: 30_000 })).stdout;
}

/** A new private key, PEM (PKCS#8). Write it with mode 0600. */
export async function generateKey(): Promise<string> {
  return (
    await run(OPENSSL, ["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], { timeoutMs: 30_000 })
  ).stdout;
}

function serial(): string {
  const b = randomBytes(16);
  b[0] = b[0]! & 0x7f; // positive
  return `0x${b.toString("hex")}`;
}

/** Subject text for -subj from plain values (only letters, digits, space and ._- are kept). */
function subj(parts: Record<string, string>): string {
  return Object.entries(parts)
    .map(([k, v]) => `/${k}=${v.replace(/[^A-Za-z0-9 ._-]/g, "")}`)
    .join("");
}

/** A self-signed CA certificate (PEM) for the key in `keyFile`: may sign leaf certificates only. */
export async function createCa(keyFile: string, commonName: string, days = 3650): Promise<string> {
  return req([
    "-new",
    "-x509",
    "-key",
    keyFile,
    "-subj",
    subj({ O: "ovz", CN: commonName }),
    "-days",
    String(days),
    "-set_serial",
    serial(),
    "-addext",
    "basicConstraints=critical,CA:TRUE,pathlen:0",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
    "-addext",
    "subjectKeyIdentifier=hash",
  ]);
}

/** A certificate request (PEM) for the key in `keyFile`. */
export async function createCsr(keyFile: string, commonName: string): Promise<string> {
  return req(["-new", "-key", keyFile, "-subj", subj({ CN: commonName })]);
}

/** subjectAltName entry for a host: an IP address or a DNS name. */
export function sanFor(host: string): string {
  return net.isIP(host) ? `IP:${host}` : `DNS:${host}`;
}

export interface SignOptions {
  csrPem: string;
  caCertFile: string;
  caKeyFile: string;
  subject: { O: string; CN: string };
  /** server: TLS server (needs `hosts` for its SAN); client: TLS client */
  usage: "server" | "client";
  hosts?: string[];
  days?: number;
}

/** Signs a CSR (whose signature was checked with checkCsr) as a leaf certificate; returns PEM. */
export async function signCsr(o: SignOptions): Promise<string> {
  if (o.usage === "server" && !o.hosts?.length)
    throw new Error("a server certificate needs at least one host for its subjectAltName");
  const ext = [
    "-addext",
    "basicConstraints=critical,CA:FALSE",
    "-addext",
    "keyUsage=critical,digitalSignature",
    "-addext",
    `extendedKeyUsage=${o.usage === "server" ? "serverAuth" : "clientAuth"}`,
    "-addext",
    "subjectKeyIdentifier=hash",
    "-addext",
    "authorityKeyIdentifier=keyid",
  ];
  if (o.hosts?.length) ext.push("-addext", `subjectAltName=${o.hosts.map(sanFor).join(",")}`);
  return req(
    [
      "-in",
      "-",
      "-x509",
      "-CA",
      o.caCertFile,
      "-CAkey",
      o.caKeyFile,
      "-subj",
      subj(o.subject),
      "-days",
      String(o.days ?? 825),
      "-set_serial",
      serial(),
      ...ext,
    ],
    o.csrPem,
  );
}

/** Thrown for a CSR that is not acceptable; the message says why. */
export class CsrError extends Error {
  override name = "CsrError";
}

/**
 * Checks a PEM certificate request: one request, its self-signature (proof the sender holds the key), and
 * a strong key (EC P-256/P-384, Ed25519 or RSA ≥ 2048 bits). Returns its public key.
 */
export async function checkCsr(csrPem: string): Promise<KeyObject> {
  const pem = csrPem.trim();
  if (pem.length > MAX_CSR_BYTES)
    throw new CsrError(`the certificate request is larger than ${MAX_CSR_BYTES / 1024} KiB`);
  if (!/^-----BEGIN CERTIFICATE REQUEST-----\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----$/.test(pem)) {
    throw new CsrError(
      "the certificate request is not one PEM block (-----BEGIN CERTIFICATE REQUEST----- … -----END CERTIFICATE REQUEST-----)",
    );
  }
  const r = await run(OPENSSL, ["req", "-config", "/dev/null", "-in", "-", "-noout", "-verify", "-pubkey"], {
    input: pem + "\n",
    allowFailure: true,
    timeoutMs: 30_000,
  });
  if (r.code !== 0 || !/verify OK/.test(r.stderr + r.stdout))
    throw new CsrError("the certificate request's signature does not verify (corrupted, or not made with its key)");
  let key: KeyObject;
  try {
    key = createPublicKey(r.stdout);
  } catch {
    throw new CsrError("the certificate request's public key cannot be read");
  }
  const d = key.asymmetricKeyDetails ?? {};
  const ok =
    (key.asymmetricKeyType === "ec" && ["prime256v1", "secp384r1"].includes(d.namedCurve ?? "")) ||
    key.asymmetricKeyType === "ed25519" ||
    (key.asymmetricKeyType === "rsa" && (d.modulusLength ?? 0) >= 2048);
  if (!ok)
    throw new CsrError(
      `the certificate request's key (${key.asymmetricKeyType} ${d.namedCurve ?? d.modulusLength ?? ""}) is too weak: use EC P-256/P-384, Ed25519 or RSA ≥ 2048 bits`,
    );
  return key;
}

/** SHA-256 of a certificate's DER, lowercase hex without colons (what `--ca-sha256` takes). */
export function fingerprint256(certPem: string | Buffer): string {
  return new X509Certificate(certPem).fingerprint256.replace(/:/g, "").toLowerCase();
}
