/**
 * The fake engine's templates (FakeState.templates): listed with made-up metadata, built in place (no
 * debootstrap: the name is added), deleted unless a container uses them, with the real engine's error codes.
 */
import { EngineError } from "../../native/src/errors.js";
import { TEMPLATE_NAME_RE, TEMPLATE_NAME_RULE } from "../../native/src/identity.js";
import type { Result } from "../../native/src/protocol/schema.js";
import type { FakeState } from "./fake-state.js";

type Meta = Result<"template.list">[number];

function metaOf(name: string): Meta {
  return {
    name,
    distro: name.split("-")[0]!,
    release: name.split("-")[1] ?? "1",
    arch: "amd64",
    init: name === "busybox" ? "busybox" : "systemd",
    haltSignal: "SIGUSR1",
    source: "built",
    sizeBytes: 1024,
    sha256: "0".repeat(64),
    createdAt: new Date(0).toISOString(),
  };
}

export function listTemplates(s: FakeState): Meta[] {
  return [...s.templates].sort((a, b) => a.localeCompare(b)).map(metaOf);
}

export function buildTemplate(s: FakeState, p: { kind: string; name?: string }): Meta {
  const name = p.name ?? p.kind;
  if (!TEMPLATE_NAME_RE.test(name))
    throw new EngineError(
      "TEMPLATE_INVALID",
      `Invalid template name ${JSON.stringify(name)}: use ${TEMPLATE_NAME_RULE}`,
    );
  if (s.templates.includes(name))
    throw new EngineError("TEMPLATE_EXISTS", `Template ${name} already exists; delete it first (or use another name)`);
  s.templates.push(name);
  return metaOf(name);
}

export function deleteTemplate(s: FakeState, name: string): { ok: true } {
  if (!s.templates.includes(name))
    throw new EngineError(
      "TEMPLATE_NOT_FOUND",
      `Template ${name} not found. Available templates: ${s.templates.join(", ")}`,
    );
  const users = [...s.containers.values()].filter((c) => c.template === name).map((c) => c.ctid);
  if (users.length)
    throw new EngineError(
      "TEMPLATE_IN_USE",
      `template ${name} is used by containers ${users.join(", ")}; destroy or reinstall them first`,
    );
  s.templates.splice(s.templates.indexOf(name), 1);
  return { ok: true };
}
