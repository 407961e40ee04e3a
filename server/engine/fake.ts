/**
 * In-memory engine for handler tests and UI work without root. It follows the real engine's contract
 * (same zod schemas for params and results, same checks and error codes for what the panel relies on):
 * server/test/contract/engine.contract.ts runs the same suite against both. Features count as done only
 * when also tested against the real engine (e2e/ and native/test/root/).
 */
import { EngineError } from "../../native/src/errors.js";
import { checkHostname } from "../../native/src/checks.js";
import { cloneNet, netIps } from "../../native/src/net/config.js";
import { emptyNetConfig, type NetConfig, type NetPatch, type Network } from "../../native/src/net/types.js";
import { checkPasswordInput } from "../../native/src/passwd.js";
import { defaultSnapshotName } from "../../native/src/snapshot-names.js";
import { parseSshKeys } from "../../native/src/ssh-keys.js";
import { methods, type MethodName, type OpEvent, type Params, type Result } from "../../native/src/protocol/schema.js";
import { driverOf } from "../../native/src/net/nic/index.js";
import { defaultLimits } from "../../native/src/settings.js";
import { checkName, checkParams, FAKE_HOST, validateLimits } from "./fake-checks.js";
import { createNetwork, deleteNetwork, devices, mergeNet, netInfo, networkInfo, validateNet } from "./fake-net.js";
import type { NetState } from "./fake-net.js";
import { beancounters, limitsReadback } from "./fake-readback.js";
import type { EnginePort } from "./port.js";

type Info = Result<"container.status">;

/** Frozen (suspended without a checkpoint): it has processes, but they do not run. */
const isFrozen = (c: Info) => c.state === "suspended" && !c.checkpoint;

const TEMPLATES = ["busybox", "debian-12"];

export class FakeEngine implements EnginePort, NetState {
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
  /** Usage counters set by tests (container.usage): these fields replace the computed ones. */
  readonly usageOverride = new Map<number, Partial<Omit<Result<"container.usage">[number], "ctid">>>();
  /** The clock of container.usage's sampledAt (tests of rates); Date.now when null. */
  usageClock: (() => number) | null = null;
  /** Snapshots per container, and backups (the manifest's fields the panel reads) by engine id. */
  readonly snapshots = new Map<
    number,
    { name: string; description: string; createdAt: string; sizeBytes: number | null }[]
  >();
  readonly backups = new Map<
    string,
    { ctid: number; createdAt: string; hostname: string; template: string; sizeBytes: number }
  >();
  /** root's authorized_keys as last written per container. */
  readonly sshKeys = new Map<number, string>();
  /** Every accepted container.net.set, in order (tests inspect what the panel sent). */
  readonly netSets: { ctid: number; net: NetPatch }[] = [];

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

  private get(ctid: number): Info {
    const c = this.containers.get(ctid);
    if (!c) throw new EngineError("NOT_FOUND", `container ${ctid} does not exist; list containers with vzlist`);
    return c;
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
          containers: this.containers.size,
          storage: { driver: "fake", caps: FAKE_HOST.caps, totalBytes: 100 * 1024 ** 3, freeBytes: 90 * 1024 ** 3 },
        };
      case "container.list":
        return [...this.containers.values()].sort((a, b) => a.ctid - b.ctid);
      case "container.status":
        return this.get(ctid);
      case "container.create": {
        // as the real one: the request first (hostname, name, limits), then the ctid, the template, the network
        const hostname = (p.hostname as string | undefined) ?? `ct${ctid}`;
        checkHostname(hostname);
        const name = (p.name as string | null | undefined) ?? null;
        if (name != null) checkName(name, ctid, this.containers.values());
        const limits = validateLimits(defaultLimits(), p.limits);
        if (this.containers.has(ctid)) {
          throw new EngineError(
            "CTID_IN_USE",
            `container ID ${ctid} is already in use; pick another ID or destroy container ${ctid} first`,
          );
        }
        if (!TEMPLATES.includes(p.template as string)) {
          const available = TEMPLATES.join(", ");
          throw new EngineError("TEMPLATE_NOT_FOUND", `template "${p.template}" not found; available: ${available}`);
        }
        const info: Info = {
          ctid,
          name,
          hostname,
          template: p.template as string,
          state: "stopped",
          initPid: null,
          limits,
          onboot: (p.onboot as boolean | undefined) ?? false,
          idmap: { hostId: 1000000 + ctid * 65536, size: 65536 },
          rootfs: `/fake/${ctid}`,
          root: `/fake/root/${ctid}`,
          createdAt: new Date().toISOString(),
          ips: [],
          checkpoint: null,
        };
        const net = validateNet(this, ctid, (p.net as NetConfig | undefined) ?? emptyNetConfig());
        this.containers.set(ctid, info);
        this.setNet(ctid, net);
        return info;
      }
      case "container.clone": {
        // as the real one (native/src/clone.ts): checks first, then a stopped copy with the source's settings;
        // the root filesystem is copied, so root's password and keys are the source's; snapshots are not copied
        const newCtid = p.newCtid as number;
        if (newCtid === ctid)
          throw new EngineError(
            "CTID_IN_USE",
            `container ID ${ctid} is the source's own; give the clone a free container ID`,
          );
        const src = this.get(ctid);
        if (p.hostname !== undefined) checkHostname(p.hostname as string);
        const name = (p.name as string | null | undefined) ?? null;
        if (name !== null) checkName(name, newCtid, this.containers.values());
        if (this.containers.has(newCtid))
          throw new EngineError(
            "CTID_IN_USE",
            `container ID ${newCtid} is already in use; pick another ID or destroy container ${newCtid} first`,
          );
        const net = validateNet(this, newCtid, (p.net as NetConfig | undefined) ?? cloneNet(this.nets.get(ctid)));
        const info: Info = {
          ...structuredClone(src),
          ctid: newCtid,
          name,
          hostname: (p.hostname as string | undefined) ?? src.hostname,
          state: "stopped",
          initPid: null,
          limits: validateLimits(src.limits, p.limits),
          onboot: (p.onboot as boolean | undefined) ?? src.onboot,
          idmap: { hostId: 1000000 + newCtid * 65536, size: 65536 },
          rootfs: `/fake/${newCtid}`,
          root: `/fake/root/${newCtid}`,
          createdAt: new Date().toISOString(),
          ips: [],
          checkpoint: null,
        };
        this.containers.set(newCtid, info);
        this.setNet(newCtid, net);
        // the clone's files are the source's: every user's password comes along
        for (const [k, v] of [...this.passwords])
          if (k.startsWith(`${ctid}:`)) this.passwords.set(`${newCtid}:${k.slice(`${ctid}:`.length)}`, v);
        if (this.sshKeys.has(ctid)) this.sshKeys.set(newCtid, this.sshKeys.get(ctid)!);
        return info;
      }
      case "container.start": {
        const c = this.get(ctid);
        if (isFrozen(c)) throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it instead`);
        if (c.state === "running") throw new EngineError("RUNNING", `container ${ctid} is already running`);
        this.counters.set(ctid, { rx: 0, tx: 0 });
        this.boots.set(ctid, (this.boots.get(ctid) ?? 0) + 1); // devices are created at start: counters from 0
        this.startedAt.set(ctid, Date.now());
        return Object.assign(c, { state: "running", initPid: 4242, checkpoint: null }); // a checkpoint is restored by a start
      }
      case "container.stop": {
        const c = this.get(ctid);
        if (c.state !== "running" && c.state !== "suspended")
          throw new EngineError("NOT_RUNNING", `container ${ctid} is not running`);
        this.counters.delete(ctid);
        this.startedAt.delete(ctid);
        // stopping a checkpointed container discards its checkpoint
        return Object.assign(c, { state: "stopped", initPid: null, checkpoint: null });
      }
      case "container.restart": {
        const c = this.get(ctid);
        this.counters.set(ctid, { rx: 0, tx: 0 });
        this.boots.set(ctid, (this.boots.get(ctid) ?? 0) + 1);
        this.startedAt.set(ctid, Date.now());
        return Object.assign(c, { state: "running", initPid: 4243 });
      }
      case "container.destroy": {
        const c = this.get(ctid);
        if (c.state !== "stopped" && !p.force) {
          throw new EngineError("RUNNING", `container ${ctid} is running; stop it first (or destroy with force)`);
        }
        this.containers.delete(ctid);
        this.nets.delete(ctid);
        // its files go with it: users, passwords and keys, snapshots (backups stay)
        for (const k of [...this.passwords.keys()]) if (k.startsWith(`${ctid}:`)) this.passwords.delete(k);
        this.sshKeys.delete(ctid);
        this.snapshots.delete(ctid);
        this.counters.delete(ctid);
        this.startedAt.delete(ctid);
        this.usageOverride.delete(ctid);
        return { ok: true };
      }
      case "container.suspend":
        return Object.assign(this.get(ctid), { state: "suspended" });
      case "container.resume":
        return Object.assign(this.get(ctid), { state: "running", checkpoint: null });
      case "container.checkpoint": {
        const c = this.get(ctid);
        if (c.state !== "running")
          throw new EngineError(c.state === "suspended" ? "FROZEN" : "NOT_RUNNING", `container ${ctid} is not running`);
        this.counters.delete(ctid);
        return Object.assign(c, {
          state: "suspended",
          initPid: null,
          checkpoint: { createdAt: new Date().toISOString(), sizeBytes: 350_000 },
        });
      }
      case "container.restore": {
        const c = this.get(ctid);
        if (c.state === "running") throw new EngineError("RUNNING", `container ${ctid} is running`);
        if (!c.checkpoint) throw new EngineError("NOT_FOUND", `container ${ctid} has no checkpoint`);
        return Object.assign(c, { state: "running", initPid: 4242, checkpoint: null });
      }
      case "container.set": {
        const c = this.get(ctid);
        const limits = validateLimits(c.limits, p.limits);
        if (p.hostname !== undefined) checkHostname(p.hostname as string);
        if (p.name != null) checkName(p.name as string, ctid, this.containers.values());
        c.limits = limits;
        if (p.hostname !== undefined) c.hostname = p.hostname as string;
        if (p.name !== undefined) c.name = p.name as string | null;
        if (p.onboot !== undefined) c.onboot = p.onboot as boolean;
        return c;
      }
      case "container.passwd": {
        // as the real engine: running or stopped; a user other than root is created the first time
        checkPasswordInput(p.user as string, p.password as string);
        const c = this.get(ctid);
        if (c.state === "suspended") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
        const key = `${ctid}:${p.user as string}`;
        const created = p.user !== "root" && !this.passwords.has(key);
        this.passwords.set(key, p.password as string);
        return { ok: true, created };
      }
      case "container.limits":
        return limitsReadback(this.get(ctid));
      case "container.beancounters":
        return beancounters(this.get(ctid), this.startedAt.get(ctid));
      case "container.exec": {
        const c = this.get(ctid);
        if (isFrozen(c)) throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
        if (c.state !== "running") {
          throw new EngineError("NOT_RUNNING", `container ${ctid} is not running; start it first`);
        }
        return { code: 0, stdout: "", stderr: "" };
      }
      case "container.reinstall": {
        const c = this.get(ctid);
        if (c.state !== "stopped")
          throw new EngineError("RUNNING", `container ${ctid} is running; stop it first, then reinstall`);
        if (!TEMPLATES.includes(p.template as string))
          throw new EngineError("TEMPLATE_NOT_FOUND", `template "${p.template}" not found`);
        c.template = p.template as string;
        if (!p.keepData) this.sshKeys.delete(ctid);
        return c;
      }
      case "container.sshkeys.set": {
        // as the real engine: OpenSSH public keys only (comments and blank lines dropped); running or stopped
        const keys = parseSshKeys(p.keys as string);
        const c = this.get(ctid);
        if (isFrozen(c)) throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
        this.sshKeys.set(ctid, keys.join("\n"));
        return { ok: true, count: keys.length };
      }
      case "snapshot.create": {
        this.get(ctid);
        const list = this.snapshots.get(ctid) ?? [];
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
        this.snapshots.set(ctid, [...list, snap]);
        return snap;
      }
      case "snapshot.list":
        this.get(ctid);
        return this.snapshots.get(ctid) ?? [];
      case "snapshot.delete":
      case "snapshot.rollback": {
        const c = this.get(ctid);
        const list = this.snapshots.get(ctid) ?? [];
        if (!list.some((x) => x.name === p.name))
          throw new EngineError("NOT_FOUND", `container ${ctid} has no snapshot named "${p.name}"`);
        if (method === "snapshot.delete") {
          this.snapshots.set(
            ctid,
            list.filter((x) => x.name !== p.name),
          );
          return { ok: true };
        }
        if (c.state !== "stopped") throw new EngineError("RUNNING", `container ${ctid} is running; stop it first`);
        return c;
      }
      case "backup.create": {
        const c = this.get(ctid);
        const at = new Date();
        const id = `${ctid}-${at.toISOString().replace(/[-:]/g, "").slice(0, 15)}Z-${(this.backups.size + 1).toString(16).padStart(6, "0")}`;
        this.backups.set(id, {
          ctid,
          createdAt: at.toISOString(),
          hostname: c.hostname,
          template: c.template,
          sizeBytes: 1234567,
        });
        return this.backupInfo(id);
      }
      case "backup.list":
        return [...this.backups.keys()]
          .filter((id) => p.ctid === undefined || this.backups.get(id)!.ctid === p.ctid)
          .map((id) => this.backupInfo(id));
      case "backup.delete": {
        if (!this.backups.delete(p.id as string)) throw new EngineError("NOT_FOUND", `backup ${p.id} does not exist`);
        return { ok: true };
      }
      case "backup.restore": {
        const b = this.backups.get(p.id as string);
        if (!b) throw new EngineError("NOT_FOUND", `backup ${p.id} does not exist`);
        const old = this.containers.get(ctid);
        if (old && !p.force) throw new EngineError("CTID_IN_USE", `container ${ctid} exists; pass force to replace it`);
        if (old && old.state !== "stopped")
          throw new EngineError("RUNNING", `container ${ctid} is running; stop it first`);
        const info: Info = {
          ctid,
          name: null,
          hostname: b.hostname,
          template: b.template,
          state: "stopped",
          initPid: null,
          limits: defaultLimits(),
          onboot: false,
          idmap: { hostId: 1000000 + ctid * 65536, size: 65536 },
          rootfs: `/fake/${ctid}`,
          root: `/fake/root/${ctid}`,
          createdAt: new Date().toISOString(),
          ips: [],
          checkpoint: null,
        };
        this.containers.set(ctid, info);
        if (!old) this.setNet(ctid, emptyNetConfig());
        return info;
      }
      case "container.resolve": {
        // a ctid, or the name of a container (Engine.resolve)
        const ref = p.ref as string;
        if (/^\d+$/.test(ref)) return { ctid: Number(ref) };
        const named = [...this.containers.values()].find((c) => c.name === ref);
        if (!named) throw new EngineError("NOT_FOUND", `no container is named "${ref}"`);
        return { ctid: named.ctid };
      }
      case "template.list":
        return TEMPLATES.map((name) => ({
          name,
          distro: name.split("-")[0],
          release: name.split("-")[1] ?? "1",
          arch: "amd64",
          init: name === "busybox" ? "busybox" : "systemd",
          haltSignal: "SIGUSR1",
          source: "built",
          sizeBytes: 1024,
          sha256: "0".repeat(64),
          createdAt: new Date(0).toISOString(),
        }));
      case "container.net.get":
        return netInfo(this, ctid, this.get(ctid).state !== "stopped");
      case "container.net.set": {
        const c = this.get(ctid);
        const patch = p.net as NetPatch;
        const old = this.nets.get(ctid) ?? emptyNetConfig();
        const next = validateNet(this, ctid, mergeNet(old, patch, c.state !== "stopped"));
        this.setNet(ctid, next);
        this.netSets.push({ ctid, net: structuredClone(patch) });
        return netInfo(this, ctid, c.state !== "stopped");
      }
      case "container.net.stats": {
        const ctids = p.ctids as number[] | undefined;
        if (ctids) for (const x of ctids) this.get(x);
        const list = ctids ? ctids.map((x) => this.get(x)) : [...this.containers.values()];
        const zero = { packets: 0, bytes: 0 };
        return list.map((c) => {
          const running = c.state === "running" || c.state === "suspended";
          const k = this.counters.get(c.ctid) ?? { rx: 0, tx: 0 };
          const devs = running ? devices(this, c.ctid).filter((d) => driverOf(d.kind).hostSide) : [];
          // all traffic on the first device, like a container with one interface
          const ifaces = devs.map((d, i) => ({
            name: d.name,
            hostIf: d.hostIf,
            rxBytes: i ? 0 : k.rx,
            txBytes: i ? 0 : k.tx,
            rxPackets: i ? 0 : Math.ceil(k.rx / 1500),
            txPackets: i ? 0 : Math.ceil(k.tx / 1500),
          }));
          return {
            ctid: c.ctid,
            running,
            boot: running ? `fake-${c.ctid}-${this.boots.get(c.ctid) ?? 0}` : null,
            ifaces,
            spoofDropped: zero,
            firewallDropped: zero,
          };
        });
      }
      case "container.usage": {
        const ctids = p.ctids as number[] | undefined;
        if (ctids) for (const x of ctids) this.get(x);
        const list = ctids ? ctids.map((x) => this.get(x)) : [...this.containers.values()];
        const now = this.usageClock?.() ?? Date.now();
        return list
          .filter((c) => c.state === "running" || c.state === "suspended")
          .sort((a, b) => a.ctid - b.ctid)
          .map((c) => {
            // plausible, steadily growing counters: a few % of a core, tens of MiB, a little disk I/O
            const sec = Math.max(0, (now - (this.startedAt.get(c.ctid) ?? now)) / 1000);
            const mem = Math.min(c.limits.ram, (24 + (c.ctid % 5) * 8) * 1024 * 1024);
            return {
              ctid: c.ctid,
              initPid: c.initPid ?? 4242,
              cgroup: `/ovz/${c.ctid}`,
              cpuNs: Math.round(sec * 1e9 * (0.02 + (c.ctid % 7) * 0.03)),
              memBytes: mem,
              memMaxBytes: Math.min(c.limits.ram, mem + 4 * 1024 * 1024),
              swapBytes: 0,
              nproc: 3 + (c.ctid % 4),
              ioReadBytes: Math.round(sec * 4096),
              ioWriteBytes: Math.round(sec * 16384),
              sampledAt: now,
              ...this.usageOverride.get(c.ctid),
            };
          });
      }
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

  private backupInfo(id: string) {
    const b = this.backups.get(id)!;
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

  private setNet(ctid: number, net: NetConfig): void {
    this.nets.set(ctid, net);
    const c = this.containers.get(ctid);
    if (c) c.ips = netIps(net);
  }

  close(): void {}
}
