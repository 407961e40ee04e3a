/**
 * The one place that decides how the panel reaches a node's engine:
 *   OVZ_PANEL_ENGINE=socket (default) → EngineClient on the node's endpoint (the privilege split: the panel
 *                                        runs unprivileged, the engine as root): a Unix socket path, or
 *                                        tls://HOST:PORT for a joined node (mutual TLS with the panel's
 *                                        certificate from OVZ_PANEL_PKI; native/src/protocol/dial.ts);
 *   OVZ_PANEL_ENGINE=fake             → FakeEngine in memory (handler tests, UI development only).
 */
import { EngineClient } from "../../native/src/protocol/client.js";
import { openBackupDownload } from "../../native/src/protocol/download-client.js";
import { uploadTemplate } from "../../native/src/protocol/upload-client.js";
import { EngineError } from "../../native/src/errors.js";
import { FakeEngine } from "./fake.js";
import { dialEngine } from "../../native/src/protocol/dial.js";
import type { Dialer } from "../../native/src/protocol/migrate-stream.js";
import type { EnginePort } from "./port.js";
import { NodeEngine } from "./unavailable.js";

export type { EnginePort } from "./port.js";

const g = globalThis as unknown as { __ovzEngines?: Map<string, NodeEngine> };

/** The engine of the node at `endpoint`; a connection that fails is ENGINE_UNAVAILABLE (./unavailable.ts). */
export function engineFor(endpoint: string): EnginePort {
  g.__ovzEngines ??= new Map();
  let e = g.__ovzEngines.get(endpoint);
  if (!e) {
    e = new NodeEngine(process.env.OVZ_PANEL_ENGINE === "fake" ? new FakeEngine() : new EngineClient(endpoint));
    g.__ovzEngines.set(endpoint, e);
  }
  return e;
}

/** Tests (OVZ_PANEL_ENGINE=fake): the in-memory engine behind engineFor(endpoint), to inspect or to fail. */
export function fakeEngineFor(endpoint: string): FakeEngine {
  const inner = (engineFor(endpoint) as NodeEngine).inner;
  if (!(inner instanceof FakeEngine)) throw new Error('fakeEngineFor: OVZ_PANEL_ENGINE is not "fake"');
  return inner;
}

/** A node was removed: close and drop its client. */
export function forgetEngine(endpoint: string): void {
  g.__ovzEngines?.get(endpoint)?.close();
  g.__ovzEngines?.delete(endpoint);
}

/** Tests: drop cached clients (and fake state). */
export function resetEngines(): void {
  for (const e of g.__ovzEngines?.values() ?? []) e.close();
  g.__ovzEngines?.clear();
}

/**
 * backup.download on its own connection (the panel cannot read the engine's files): the archive's size,
 * sha256 and a stream of its bytes. The fake engine has no archives.
 */
export async function openBackupStream(endpoint: string, backupId: string) {
  if (process.env.OVZ_PANEL_ENGINE === "fake")
    throw new EngineError("UNSUPPORTED", "the fake engine has no backup archives to download");
  return openBackupDownload(endpoint, backupId);
}

/** A tarball streamed to a node's engine (template.upload); the fake engine takes none. */
export type TemplateUploader = typeof uploadTemplate;
export const uploadTemplateTo: TemplateUploader = (endpoint, params, body, cb) => {
  if (process.env.OVZ_PANEL_ENGINE === "fake")
    return Promise.reject(new EngineError("UNSUPPORTED", "the fake engine takes no template uploads"));
  return uploadTemplate(endpoint, params, body, cb);
};

/** How raw byte streams (migration) reach engines: Unix socket or mutual TLS. The fake engine has none. */
export function dialerFor(): Dialer {
  if (process.env.OVZ_PANEL_ENGINE === "fake")
    return async () => Promise.reject(new EngineError("UNSUPPORTED", "the fake engine cannot migrate containers"));
  return (endpoint) => dialEngine(endpoint);
}
