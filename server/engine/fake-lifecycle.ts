/**
 * The fake engine's container lifecycle: create, clone, start, stop, restart, destroy, suspend, resume,
 * checkpoint, restore, reinstall. Same checks, codes and messages, in the same order, as the real engine.
 */
import { EngineError } from "../../native/src/errors.js";
import { checkHostname } from "../../native/src/checks.js";
import { cloneNet } from "../../native/src/net/config.js";
import { emptyNetConfig, type NetConfig } from "../../native/src/net/types.js";
import { defaultLimits } from "../../native/src/settings.js";
import { checkName, validateLimits } from "./fake-checks.js";
import { validateNet } from "./fake-net.js";
import { getContainer, isFrozen, newInfo, setNet, type FakeParams, type FakeState, type Info } from "./fake-state.js";

export function createContainer(s: FakeState, ctid: number, p: FakeParams) {
  // as the real one: the request first (hostname, name, limits), then the ctid, the template, the network
  const hostname = (p.hostname as string | undefined) ?? `ct${ctid}`;
  checkHostname(hostname);
  const name = (p.name as string | null | undefined) ?? null;
  if (name != null) checkName(name, ctid, s.containers.values());
  const limits = validateLimits(defaultLimits(), p.limits);
  if (s.containers.has(ctid)) {
    throw new EngineError(
      "CTID_IN_USE",
      `container ID ${ctid} is already in use; pick another ID or destroy container ${ctid} first`,
    );
  }
  if (!s.templates.includes(p.template as string)) {
    const available = s.templates.join(", ");
    throw new EngineError("TEMPLATE_NOT_FOUND", `template "${p.template}" not found; available: ${available}`);
  }
  const info = newInfo(ctid, {
    name,
    hostname,
    template: p.template as string,
    limits,
    features: (p.features as Info["features"] | undefined) ?? [],
    onboot: (p.onboot as boolean | undefined) ?? false,
    bootorder: (p.bootorder as number | null | undefined) ?? null,
  });
  const net = validateNet(s, ctid, (p.net as NetConfig | undefined) ?? emptyNetConfig());
  s.containers.set(ctid, info);
  setNet(s, ctid, net);
  return info;
}

export function cloneContainer(s: FakeState, ctid: number, p: FakeParams) {
  // as the real one (native/src/clone.ts): checks first, then a stopped copy with the source's settings;
  // the root filesystem is copied, so root's password and keys are the source's; snapshots are not copied
  const newCtid = p.newCtid as number;
  if (newCtid === ctid)
    throw new EngineError(
      "CTID_IN_USE",
      `container ID ${ctid} is the source's own; give the clone a free container ID`,
    );
  const src = getContainer(s, ctid);
  if (p.hostname !== undefined) checkHostname(p.hostname as string);
  const name = (p.name as string | null | undefined) ?? null;
  if (name !== null) checkName(name, newCtid, s.containers.values());
  if (s.containers.has(newCtid))
    throw new EngineError(
      "CTID_IN_USE",
      `container ID ${newCtid} is already in use; pick another ID or destroy container ${newCtid} first`,
    );
  const net = validateNet(s, newCtid, (p.net as NetConfig | undefined) ?? cloneNet(s.nets.get(ctid)));
  const info = newInfo(newCtid, {
    name,
    hostname: (p.hostname as string | undefined) ?? src.hostname,
    template: src.template,
    limits: validateLimits(src.limits, p.limits),
    features: (p.features as Info["features"] | undefined) ?? src.features,
    onboot: (p.onboot as boolean | undefined) ?? src.onboot,
    bootorder: src.bootorder,
  });
  s.containers.set(newCtid, info);
  setNet(s, newCtid, net);
  // the clone's files are the source's: every user's password comes along
  for (const [k, v] of [...s.passwords])
    if (k.startsWith(`${ctid}:`)) s.passwords.set(`${newCtid}:${k.slice(`${ctid}:`.length)}`, v);
  if (s.sshKeys.has(ctid)) s.sshKeys.set(newCtid, s.sshKeys.get(ctid)!);
  return info;
}

export function startContainer(s: FakeState, ctid: number) {
  const c = getContainer(s, ctid);
  if (isFrozen(c)) throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it instead`);
  if (c.state === "running") throw new EngineError("RUNNING", `container ${ctid} is already running`);
  s.counters.set(ctid, { rx: 0, tx: 0 });
  s.boots.set(ctid, (s.boots.get(ctid) ?? 0) + 1); // devices are created at start: counters from 0
  s.startedAt.set(ctid, Date.now());
  return Object.assign(c, { state: "running", initPid: 4242, checkpoint: null }); // a checkpoint is restored by a start
}

export function stopContainer(s: FakeState, ctid: number) {
  const c = getContainer(s, ctid);
  if (c.state !== "running" && c.state !== "suspended")
    throw new EngineError("NOT_RUNNING", `container ${ctid} is not running`);
  s.counters.delete(ctid);
  s.startedAt.delete(ctid);
  // stopping a checkpointed container discards its checkpoint
  return Object.assign(c, { state: "stopped", initPid: null, checkpoint: null });
}

export function restartContainer(s: FakeState, ctid: number) {
  const c = getContainer(s, ctid);
  s.counters.set(ctid, { rx: 0, tx: 0 });
  s.boots.set(ctid, (s.boots.get(ctid) ?? 0) + 1);
  s.startedAt.set(ctid, Date.now());
  return Object.assign(c, { state: "running", initPid: 4243 });
}

export function destroyContainer(s: FakeState, ctid: number, p: FakeParams) {
  const c = getContainer(s, ctid);
  if (c.state !== "stopped" && !p.force) {
    throw new EngineError("RUNNING", `container ${ctid} is running; stop it first (or destroy with force)`);
  }
  s.containers.delete(ctid);
  s.nets.delete(ctid);
  // its files go with it: users, passwords and keys, snapshots (backups stay)
  for (const k of [...s.passwords.keys()]) if (k.startsWith(`${ctid}:`)) s.passwords.delete(k);
  s.sshKeys.delete(ctid);
  s.snapshots.delete(ctid);
  s.counters.delete(ctid);
  s.startedAt.delete(ctid);
  s.usageOverride.delete(ctid);
  return { ok: true };
}

export function suspendContainer(s: FakeState, ctid: number) {
  return Object.assign(getContainer(s, ctid), { state: "suspended" });
}

export function resumeContainer(s: FakeState, ctid: number) {
  return Object.assign(getContainer(s, ctid), { state: "running", checkpoint: null });
}

export function checkpointContainer(s: FakeState, ctid: number) {
  const c = getContainer(s, ctid);
  if (c.state !== "running")
    throw new EngineError(c.state === "suspended" ? "FROZEN" : "NOT_RUNNING", `container ${ctid} is not running`);
  s.counters.delete(ctid);
  return Object.assign(c, {
    state: "suspended",
    initPid: null,
    checkpoint: { createdAt: new Date().toISOString(), sizeBytes: 350_000 },
  });
}

export function restoreContainer(s: FakeState, ctid: number) {
  const c = getContainer(s, ctid);
  if (c.state === "running") throw new EngineError("RUNNING", `container ${ctid} is running`);
  if (!c.checkpoint) throw new EngineError("NOT_FOUND", `container ${ctid} has no checkpoint`);
  return Object.assign(c, { state: "running", initPid: 4242, checkpoint: null });
}

export function reinstallContainer(s: FakeState, ctid: number, p: FakeParams) {
  const c = getContainer(s, ctid);
  if (c.state !== "stopped")
    throw new EngineError("RUNNING", `container ${ctid} is running; stop it first, then reinstall`);
  if (!s.templates.includes(p.template as string))
    throw new EngineError("TEMPLATE_NOT_FOUND", `template "${p.template}" not found`);
  c.template = p.template as string;
  if (!p.keepData) s.sshKeys.delete(ctid);
  return c;
}
