/**
 * What the fake engine keeps (FakeEngine's maps), as the fake-*.ts parts that act on it see it, and the few
 * helpers they share: a container by ctid (NOT_FOUND as the real engine), its network, the templates.
 */
import { EngineError } from "../../native/src/errors.js";
import { netIps } from "../../native/src/net/config.js";
import type { NetConfig, NetPatch } from "../../native/src/net/types.js";
import type { Result } from "../../native/src/protocol/schema.js";
import type { NetState } from "./fake-net.js";

export type Info = Result<"container.status">;

/** A new stopped container as the fake engine reports it (create, clone, restore): its own paths and ids. */
export function newInfo(
  ctid: number,
  f: Pick<Info, "name" | "hostname" | "template" | "limits" | "onboot" | "bootorder"> & Partial<Pick<Info, "features">>,
): Info {
  return {
    ctid,
    features: [],
    ...f,
    state: "stopped",
    initPid: null,
    idmap: { hostId: 1000000 + ctid * 65536, size: 65536 },
    rootfs: `/fake/${ctid}`,
    root: `/fake/root/${ctid}`,
    createdAt: new Date().toISOString(),
    ips: [],
    checkpoint: null,
  };
}
/** A method's params after its schema (checkParams). */
export type FakeParams = Record<string, unknown>;

export interface FakeSnapshot {
  name: string;
  description: string;
  createdAt: string;
  sizeBytes: number | null;
}
/** The manifest's fields the panel reads. */
export interface FakeBackup {
  ctid: number;
  createdAt: string;
  hostname: string;
  template: string;
  sizeBytes: number;
}

/** FakeEngine's state (documented there). */
export interface FakeState extends NetState {
  readonly containers: Map<number, Info>;
  readonly passwords: Map<string, string>;
  readonly counters: Map<number, { rx: number; tx: number }>;
  readonly boots: Map<number, number>;
  readonly startedAt: Map<number, number>;
  readonly usageOverride: Map<number, Partial<Omit<Result<"container.usage">[number], "ctid">>>;
  usageClock: (() => number) | null;
  readonly snapshots: Map<number, FakeSnapshot[]>;
  readonly backups: Map<string, FakeBackup>;
  readonly sshKeys: Map<number, string>;
  readonly netSets: { ctid: number; net: NetPatch }[];
  /** Template names on this fake node (template.build adds, template.delete removes). */
  readonly templates: string[];
}

/** Frozen (suspended without a checkpoint): it has processes, but they do not run. */
export const isFrozen = (c: Info) => c.state === "suspended" && !c.checkpoint;

/** The templates every fake node starts with. */
export const TEMPLATES = ["busybox", "debian-12"];

export function getContainer(s: FakeState, ctid: number): Info {
  const c = s.containers.get(ctid);
  if (!c) throw new EngineError("NOT_FOUND", `container ${ctid} does not exist; list containers with vzlist`);
  return c;
}

export function setNet(s: FakeState, ctid: number, net: NetConfig): void {
  s.nets.set(ctid, net);
  const c = s.containers.get(ctid);
  if (c) c.ips = netIps(net);
}
