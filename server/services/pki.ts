/**
 * The panel's PKI for nodes on other hosts (mutual TLS, native/src/protocol/dial.ts): a CA that signs
 * each node's server certificate at join and the panel's own client certificate. Lives in OVZ_PANEL_PKI
 * (default /var/lib/ovz-panel/pki), owned by the panel's user, directory 0700, keys 0600. Created on first
 * need (the first join token) in a temporary directory that is renamed into place, so two requests — or
 * two processes — racing to create it end with one complete PKI, never a mix.
 */
import { randomBytes } from "node:crypto";
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { PANEL_PKI_FILES, panelPkiDir } from "../../native/src/protocol/dial.js";
import { createCa, createCsr, fingerprint256, generateKey, signCsr } from "../../native/src/pki.js";

export interface PanelPki {
  dir: string;
  /** PEM of the CA every node gets at join (its tls/ca.crt) */
  caCert: string;
  /** sha256 of the CA certificate, hex: `ovz-node join --ca-sha256` checks it */
  caSha256: string;
}

const creating = new Map<string, Promise<PanelPki>>();

async function load(dir: string): Promise<PanelPki | null> {
  const names = await readdir(dir).catch((e: NodeJS.ErrnoException) => {
    if (e.code === "ENOENT") return null;
    throw e;
  });
  if (names === null || names.length === 0) return null;
  const want = Object.values(PANEL_PKI_FILES);
  const missing = want.filter((f) => !names.includes(f));
  if (missing.length) {
    throw new Error(
      `The panel's PKI in ${dir} (OVZ_PANEL_PKI) is incomplete (missing ${missing.join(", ")}); restore it from a backup — or remove the directory, after which every node must join again.`,
    );
  }
  const caCert = await readFile(path.join(dir, PANEL_PKI_FILES.caCert), "utf8");
  return { dir, caCert, caSha256: fingerprint256(caCert) };
}

async function create(dir: string): Promise<PanelPki> {
  await mkdir(path.dirname(dir), { recursive: true });
  const tmp = await mkdtemp(path.join(path.dirname(dir), `.${path.basename(dir)}.new-`)); // mode 0700
  try {
    const f = (name: string) => path.join(tmp, name);
    await writeFile(f(PANEL_PKI_FILES.caKey), await generateKey(), { mode: 0o600, flag: "wx" });
    await writeFile(
      f(PANEL_PKI_FILES.caCert),
      await createCa(f(PANEL_PKI_FILES.caKey), `ovz panel CA ${randomBytes(4).toString("hex")}`),
      { mode: 0o644, flag: "wx" },
    );
    await writeFile(f(PANEL_PKI_FILES.clientKey), await generateKey(), { mode: 0o600, flag: "wx" });
    const csr = await createCsr(f(PANEL_PKI_FILES.clientKey), "ovz-panel");
    const cert = await signCsr({
      csrPem: csr,
      caCertFile: f(PANEL_PKI_FILES.caCert),
      caKeyFile: f(PANEL_PKI_FILES.caKey),
      subject: { O: "ovz", CN: "ovz-panel" },
      usage: "client",
      days: 3650,
    });
    await writeFile(f(PANEL_PKI_FILES.clientCert), cert, { mode: 0o644, flag: "wx" });
    try {
      await rename(tmp, dir); // replaces an empty directory; fails when another process was first
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const pki = await load(dir);
  if (!pki) throw new Error(`The panel could not create its PKI in ${dir} (OVZ_PANEL_PKI).`);
  return pki;
}

/** The panel's CA (created with the client certificate on first use). */
export async function ensurePanelPki(dir: string = panelPkiDir()): Promise<PanelPki> {
  const have = await load(dir);
  if (have) return have;
  let p = creating.get(dir);
  if (!p) {
    p = create(dir).finally(() => creating.delete(dir));
    creating.set(dir, p);
  }
  return p;
}

/**
 * A server certificate for a joining node: subject "ovz node <name>", SAN = the host the panel dials,
 * usable for TLS server authentication only. The CSR must have passed checkCsr.
 */
export async function signNodeCertificate(o: {
  csrPem: string;
  nodeName: string;
  host: string;
  dir?: string;
}): Promise<{ cert: string; caCert: string }> {
  const pki = await ensurePanelPki(o.dir);
  const cert = await signCsr({
    csrPem: o.csrPem,
    caCertFile: path.join(pki.dir, PANEL_PKI_FILES.caCert),
    caKeyFile: path.join(pki.dir, PANEL_PKI_FILES.caKey),
    subject: { O: "ovz node", CN: o.nodeName },
    usage: "server",
    hosts: [o.host],
  });
  return { cert, caCert: pki.caCert };
}
