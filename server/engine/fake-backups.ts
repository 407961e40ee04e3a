/**
 * The fake engine's snapshots (instant, per container) and backups (by engine id; they outlive their
 * container), with the real engine's checks and messages; a backup's info is shaped as its manifest.
 */
import { EngineError } from "../../native/src/errors.js";
import { emptyNetConfig } from "../../native/src/net/types.js";
import { defaultSnapshotName } from "../../native/src/snapshot-names.js";
import { defaultLimits } from "../../native/src/settings.js";
import { getContainer, newInfo, setNet, type FakeParams, type FakeState } from "./fake-state.js";

export function createSnapshot(s: FakeState, ctid: number, p: FakeParams) {
  getContainer(s, ctid);
  const list = s.snapshots.get(ctid) ?? [];
  const name =
    (p.name as string | undefined) ??
    defaultSnapshotName(
      new Date(),
      list.map((x) => x.name),
    );
  if (list.some((x) => x.name === name)) {
    const why = `container ${ctid} already has a snapshot named "${name}"; pick another name or delete that one`;
    throw new EngineError("BAD_REQUEST", why);
  }
  const snap = {
    name,
    description: (p.description as string | undefined) ?? "",
    createdAt: new Date().toISOString(),
    sizeBytes: 4096,
  };
  s.snapshots.set(ctid, [...list, snap]);
  return snap;
}

export function listSnapshots(s: FakeState, ctid: number) {
  getContainer(s, ctid);
  return s.snapshots.get(ctid) ?? [];
}

export function deleteOrRollbackSnapshot(
  s: FakeState,
  ctid: number,
  p: FakeParams,
  method: "snapshot.delete" | "snapshot.rollback",
) {
  const c = getContainer(s, ctid);
  const list = s.snapshots.get(ctid) ?? [];
  if (!list.some((x) => x.name === p.name))
    throw new EngineError("NOT_FOUND", `container ${ctid} has no snapshot named "${p.name}"`);
  if (method === "snapshot.delete") {
    s.snapshots.set(
      ctid,
      list.filter((x) => x.name !== p.name),
    );
    return { ok: true };
  }
  if (c.state !== "stopped") throw new EngineError("RUNNING", `container ${ctid} is running; stop it first`);
  return c;
}

/** A backup id's last part: never reused (a count of the backups held would repeat after a delete). */
let backupSeq = 0;

export function createBackup(s: FakeState, ctid: number) {
  const c = getContainer(s, ctid);
  const at = new Date();
  const id = `${ctid}-${at.toISOString().replace(/[-:]/g, "").slice(0, 15)}Z-${(++backupSeq).toString(16).padStart(6, "0")}`;
  s.backups.set(id, {
    ctid,
    createdAt: at.toISOString(),
    hostname: c.hostname,
    template: c.template,
    sizeBytes: 1234567,
  });
  return backupInfo(s, id);
}

export function listBackups(s: FakeState, p: FakeParams) {
  return [...s.backups.keys()]
    .filter((id) => p.ctid === undefined || s.backups.get(id)!.ctid === p.ctid)
    .map((id) => backupInfo(s, id));
}

export function deleteBackup(s: FakeState, p: FakeParams) {
  if (!s.backups.delete(p.id as string)) throw new EngineError("NOT_FOUND", `backup ${p.id} does not exist`);
  return { ok: true };
}

export function restoreBackup(s: FakeState, ctid: number, p: FakeParams) {
  const b = s.backups.get(p.id as string);
  if (!b) throw new EngineError("NOT_FOUND", `backup ${p.id} does not exist`);
  const old = s.containers.get(ctid);
  if (old && !p.force) throw new EngineError("CTID_IN_USE", `container ${ctid} exists; pass force to replace it`);
  if (old && old.state !== "stopped") throw new EngineError("RUNNING", `container ${ctid} is running; stop it first`);
  const info = newInfo(ctid, {
    name: null,
    hostname: b.hostname,
    template: b.template,
    limits: defaultLimits(),
    onboot: false,
    bootorder: null,
  });
  s.containers.set(ctid, info);
  if (!old) setNet(s, ctid, emptyNetConfig());
  return info;
}

function backupInfo(s: FakeState, id: string) {
  const b = s.backups.get(id)!;
  return {
    format: "ovz-backup",
    version: 1,
    id,
    ctid: b.ctid,
    createdAt: b.createdAt,
    engineVersion: "fake",
    path: `/fake/backups/${id}.tar.zst`,
    container: {
      name: null,
      hostname: b.hostname,
      template: b.template,
      limits: {},
      net: emptyNetConfig(),
      onboot: false,
      init: "/sbin/init",
      haltSignal: "SIGUSR1",
      createdAt: b.createdAt,
    },
    archive: {
      compression: "zstd",
      format: "posix-tar",
      sizeBytes: b.sizeBytes,
      sha256: "0".repeat(64),
      dataBytes: b.sizeBytes * 3,
    },
  };
}
