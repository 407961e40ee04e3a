/**
 * In-memory engine for handler tests and UI work without root. It follows the real engine's contract
 * (same zod schemas for params and results, same checks and error codes for what the panel relies on):
 * server/test/contract/engine.contract.ts runs the same suite against both. Features count as done only
 * when also tested against the real engine (e2e/ and native/test/root/).
 */
import { EngineError } from "../../native/src/errors.js";
import { checkHostname } from "../../native/src/checks.js";
import { emptyNetConfig, type NetConfig, type NetPatch, type Network } from "../../native/src/net/types.js";
import { checkPasswordInput } from "../../native/src/passwd.js";
import { parseSshKeys } from "../../native/src/ssh-keys.js";
import { methods, type MethodName, type OpEvent, type Params, type Result } from "../../native/src/protocol/schema.js";
import {
  createBackup,
  createSnapshot,
  deleteBackup,
  deleteOrRollbackSnapshot,
  listBackups,
  listSnapshots,
  restoreBackup,
} from "./fake-backups.js";
import { checkName, checkParams, FAKE_HOST, validateLimits } from "./fake-checks.js";
import {
  checkpointContainer,
  cloneContainer,
  createContainer,
  destroyContainer,
  reinstallContainer,
  restartContainer,
  restoreContainer,
  resumeContainer,
  startContainer,
  stopContainer,
  suspendContainer,
} from "./fake-lifecycle.js";
import { createNetwork, deleteNetwork, mergeNet, netInfo, networkInfo, validateNet } from "./fake-net.js";
import { beancounters, limitsReadback } from "./fake-readback.js";
import {
  getContainer,
  isFrozen,
  setNet,
  TEMPLATES,
  type FakeBackup,
  type FakeSnapshot,
  type FakeState,
  type Info,
} from "./fake-state.js";
import { hostStats, netStats, usage } from "./fake-stats.js";
import { buildTemplate, deleteTemplate, listTemplates } from "./fake-templates.js";
import type { EnginePort } from "./port.js";

export class FakeEngine implements EnginePort, FakeState {
  readonly containers = new Map<number, Info>();
  readonly passwords = new Map<string, string>(); // "ctid:user" → password
  /** Next call of this method fails with this error (tests of failure paths). */
  failNext = new Map<MethodName, EngineError>();
  /** Each container's network (as the engine stores it: validated, MACs filled in). */
  readonly nets = new Map<number, NetConfig>();
  /** Engine networks (bridges) by name. */
  readonly networks = new Map<string, Network>();
  /** Interface counters of running containers, as the container sees them (rx = received). */
  readonly counters = new Map<number, { rx: number; tx: number }>();
  /** How many times each container was started (its boot id in container.net.stats). */
  readonly boots = new Map<number, number>();
  /** When each running container was started (its container.usage counters grow from then). */
  readonly startedAt = new Map<number, number>();
  /** Each container's console output (container.bootlog): what the busybox template's rcS prints, per start. */
  readonly consoleLogs = new Map<number, string>();
  /** Usage counters set by tests (container.usage): these fields replace the computed ones. */
  readonly usageOverride = new Map<number, Partial<Omit<Result<"container.usage">[number], "ctid">>>();
  /** What host.power answers (tests set lastBoot/lastShutdown as a host reboot would leave them). */
  power: Result<"host.power"> = {
    bootId: "fake-boot",
    booted: true,
    stopMode: "stop",
    lastBoot: null,
    lastShutdown: null,
  };
  /** The clock of container.usage's sampledAt (tests of rates); Date.now when null. */
  usageClock: (() => number) | null = null;
  /** Snapshots per container, and backups (the manifest's fields the panel reads) by engine id. */
  readonly snapshots = new Map<number, FakeSnapshot[]>();
  readonly backups = new Map<string, FakeBackup>();
  /** root's authorized_keys as last written per container. */
  readonly sshKeys = new Map<number, string>();
  /** Every accepted container.net.set, in order (tests inspect what the panel sent). */
  readonly netSets: { ctid: number; net: NetPatch }[] = [];
  readonly templates: string[] = [...TEMPLATES];

  /**
   * Traffic for tests: the container received `rx` and sent `tx` bytes more. Only a running container
   * has devices (and counters); returns false for any other.
   */
  trafficTick(ctid: number, rx: number, tx: number): boolean {
    const c = this.containers.get(ctid);
    if (!c || (c.state !== "running" && c.state !== "suspended")) return false;
    const k = this.counters.get(ctid) ?? { rx: 0, tx: 0 };
    this.counters.set(ctid, { rx: k.rx + rx, tx: k.tx + tx });
    return true;
  }

  async call<M extends MethodName>(
    method: M,
    params: Params<M>,
    opts: { onEvent?: (e: OpEvent) => void } = {},
  ): Promise<Result<M>> {
    const p = checkParams(method, params);
    const injected = this.failNext.get(method);
    if (injected) {
      this.failNext.delete(method);
      throw injected;
    }
    opts.onEvent?.({ kind: "progress", percent: 10, message: `${method} (fake engine)` });
    const out = this.dispatch(method, p);
    opts.onEvent?.({ kind: "log", line: `fake engine: ${method} done` });
    return methods[method].result.parse(out) as Result<M>;
  }

  private dispatch(method: MethodName, p: Record<string, unknown>): unknown {
    const ctid = p.ctid as number;
    switch (method) {
      case "engine.info":
        return {
          version: "fake",
          protocol: 1,
          hostname: "fake-node",
          kernel: "fake",
          cpus: FAKE_HOST.cpus,
          memoryBytes: FAKE_HOST.memoryBytes,
          runtime: "fake",
          cgroupVersion: 1,
          cgroupParent: "ovz",
          containers: this.containers.size,
          storage: { driver: "fake", caps: FAKE_HOST.caps, totalBytes: 100 * 1024 ** 3, freeBytes: 90 * 1024 ** 3 },
        };
      case "container.list":
        return [...this.containers.values()].sort((a, b) => a.ctid - b.ctid);
      case "host.power":
        return this.power;
      case "host.stats":
        return hostStats(this);
      case "container.status":
        return getContainer(this, ctid);
      case "container.create":
        return createContainer(this, ctid, p);
      case "container.clone":
        return cloneContainer(this, ctid, p);
      case "container.start":
        return this.booted(ctid, startContainer(this, ctid));
      case "container.stop":
        return stopContainer(this, ctid);
      case "container.restart":
        return this.booted(ctid, restartContainer(this, ctid));
      case "container.destroy": {
        const r = destroyContainer(this, ctid, p);
        this.consoleLogs.delete(ctid);
        return r;
      }
      case "container.bootlog": {
        getContainer(this, ctid);
        const all = Buffer.from(this.consoleLogs.get(ctid) ?? "");
        const max = (p.maxBytes as number | undefined) ?? 64 * 1024;
        const text = all.subarray(Math.max(0, all.length - max)).toString("utf8");
        return { ctid, enabled: true, text, bytes: all.length, truncated: all.length > max };
      }
      case "container.suspend":
        return suspendContainer(this, ctid);
      case "container.resume":
        return resumeContainer(this, ctid);
      case "container.checkpoint":
        return checkpointContainer(this, ctid);
      case "container.restore":
        return restoreContainer(this, ctid);
      case "container.set": {
        const c = getContainer(this, ctid);
        const limits = validateLimits(c.limits, p.limits);
        if (p.hostname !== undefined) checkHostname(p.hostname as string);
        if (p.name != null) checkName(p.name as string, ctid, this.containers.values());
        c.limits = limits;
        // as the real engine: a whole new set, validated by the schema; it applies at the next start
        if (p.features !== undefined) c.features = p.features as typeof c.features;
        if (p.hostname !== undefined) c.hostname = p.hostname as string;
        if (p.name !== undefined) c.name = p.name as string | null;
        if (p.onboot !== undefined) c.onboot = p.onboot as boolean;
        if (p.bootorder !== undefined) c.bootorder = p.bootorder as number | null;
        return c;
      }
      case "container.passwd": {
        // as the real engine: running or stopped; a user other than root is created the first time
        checkPasswordInput(p.user as string, p.password as string);
        const c = getContainer(this, ctid);
        if (c.state === "suspended") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
        const key = `${ctid}:${p.user as string}`;
        const created = p.user !== "root" && !this.passwords.has(key);
        this.passwords.set(key, p.password as string);
        return { ok: true, created };
      }
      case "container.limits":
        return limitsReadback(getContainer(this, ctid));
      case "container.beancounters":
        return beancounters(getContainer(this, ctid), this.startedAt.get(ctid));
      case "container.exec": {
        const c = getContainer(this, ctid);
        if (isFrozen(c)) throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
        if (c.state !== "running") {
          throw new EngineError("NOT_RUNNING", `container ${ctid} is not running; start it first`);
        }
        return { code: 0, stdout: "", stderr: "" };
      }
      case "container.reinstall":
        return reinstallContainer(this, ctid, p);
      case "container.sshkeys.set": {
        // as the real engine: OpenSSH public keys only (comments and blank lines dropped); running or stopped
        const keys = parseSshKeys(p.keys as string);
        const c = getContainer(this, ctid);
        if (isFrozen(c)) throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
        this.sshKeys.set(ctid, keys.join("\n"));
        return { ok: true, count: keys.length };
      }
      case "snapshot.create":
        return createSnapshot(this, ctid, p);
      case "snapshot.list":
        return listSnapshots(this, ctid);
      case "snapshot.delete":
      case "snapshot.rollback":
        return deleteOrRollbackSnapshot(this, ctid, p, method);
      case "backup.create":
        return createBackup(this, ctid);
      case "backup.list":
        return listBackups(this, p);
      case "backup.delete":
        return deleteBackup(this, p);
      case "backup.restore":
        return restoreBackup(this, ctid, p);
      case "container.resolve": {
        // a ctid, or the name of a container (Engine.resolve)
        const ref = p.ref as string;
        if (/^\d+$/.test(ref)) return { ctid: Number(ref) };
        const named = [...this.containers.values()].find((c) => c.name === ref);
        if (!named) throw new EngineError("NOT_FOUND", `no container is named "${ref}"`);
        return { ctid: named.ctid };
      }
      case "template.list":
        return listTemplates(this);
      case "template.build":
        return buildTemplate(this, p as { kind: string; name?: string });
      case "template.delete":
        return deleteTemplate(this, p.name as string);
      case "container.net.get":
        return netInfo(this, ctid, getContainer(this, ctid).state !== "stopped");
      case "container.net.set": {
        const c = getContainer(this, ctid);
        const patch = p.net as NetPatch;
        const old = this.nets.get(ctid) ?? emptyNetConfig();
        const next = validateNet(this, ctid, mergeNet(old, patch, c.state !== "stopped"));
        setNet(this, ctid, next);
        this.netSets.push({ ctid, net: structuredClone(patch) });
        return netInfo(this, ctid, c.state !== "stopped");
      }
      case "container.net.stats":
        return netStats(this, p);
      case "container.usage":
        return usage(this, p);
      case "network.list":
        return [...this.networks.values()].map((n) => networkInfo(this, n));
      case "network.create":
        return createNetwork(this, p as unknown as Network);
      case "network.delete":
        return deleteNetwork(this, p.name as string);
      default:
        throw new EngineError("UNSUPPORTED", `${method} is not available in the fake engine`);
    }
  }

  private booted<T>(ctid: number, r: T): T {
    const c = this.containers.get(ctid);
    const line = `rcS: booting ${c?.hostname ?? ctid} (fake engine)\nrcS: boot finished\n`;
    this.consoleLogs.set(ctid, (this.consoleLogs.get(ctid) ?? "") + line);
    return r;
  }

  close(): void {}
}
