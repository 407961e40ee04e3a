/**
 * In-memory engine for handler tests and UI work without root. It follows the real engine's contract
 * (same zod schemas for params and results, same error codes for the states the panel relies on);
 * features count as done only when also tested against the real engine (e2e/ and native/test/root/).
 */
import { EngineError } from "../../native/src/errors.js";
import { methods, type MethodName, type OpEvent, type Params, type Result } from "../../native/src/protocol/schema.js";
import { defaultLimits, limitsPatchSchema, type Limits } from "../../native/src/settings.js";
import type { EnginePort } from "./port.js";

type Info = Result<"container.status">;

const TEMPLATES = ["busybox", "debian-12"];

export class FakeEngine implements EnginePort {
  readonly containers = new Map<number, Info>();
  readonly passwords = new Map<number, string>();
  /** Next call of this method fails with this error (tests of failure paths). */
  failNext = new Map<MethodName, EngineError>();

  async call<M extends MethodName>(method: M, params: Params<M>, opts: { onEvent?: (e: OpEvent) => void } = {}): Promise<Result<M>> {
    const p = methods[method].params.safeParse(params);
    if (!p.success) throw new EngineError("BAD_REQUEST", `invalid parameters for ${method}: ${p.error.issues[0]?.message}`);
    const injected = this.failNext.get(method);
    if (injected) {
      this.failNext.delete(method);
      throw injected;
    }
    opts.onEvent?.({ kind: "progress", percent: 10, message: `${method} (fake engine)` });
    const out = this.dispatch(method, p.data as Record<string, unknown>);
    opts.onEvent?.({ kind: "log", line: `fake engine: ${method} done` });
    return methods[method].result.parse(out) as Result<M>;
  }

  private get(ctid: number): Info {
    const c = this.containers.get(ctid);
    if (!c) throw new EngineError("NOT_FOUND", `container ${ctid} does not exist; list containers with vzlist`);
    return c;
  }

  private limits(base: Limits, patch: unknown): Limits {
    const r = limitsPatchSchema.safeParse(patch ?? {});
    if (!r.success) throw new EngineError("LIMIT_OUT_OF_RANGE", r.error.issues.map((i) => i.message).join("; "));
    return { ...base, ...r.data } as Limits;
  }

  private dispatch(method: MethodName, p: Record<string, unknown>): unknown {
    const ctid = p.ctid as number;
    switch (method) {
      case "engine.info":
        return {
          version: "fake", protocol: 1, hostname: "fake-node", kernel: "fake", cpus: 2, memoryBytes: 24 * 1024 ** 3, runtime: "fake",
          cgroupVersion: 1, storage: { driver: "fake", caps: { quota: true, inodeQuota: false, cow: true }, totalBytes: 100 * 1024 ** 3, freeBytes: 90 * 1024 ** 3 },
          containers: this.containers.size,
        };
      case "container.list":
        return [...this.containers.values()];
      case "container.status":
        return this.get(ctid);
      case "container.create": {
        if (this.containers.has(ctid)) throw new EngineError("CTID_IN_USE", `container ${ctid} already exists; choose another ctid`);
        if (!TEMPLATES.includes(p.template as string)) throw new EngineError("TEMPLATE_NOT_FOUND", `template "${p.template}" not found; available: ${TEMPLATES.join(", ")}`);
        const info: Info = {
          ctid, name: (p.name as string | null) ?? null, hostname: (p.hostname as string) ?? `ct${ctid}`, template: p.template as string, state: "stopped",
          initPid: null, limits: this.limits(defaultLimits(), p.limits), onboot: false, idmap: { hostId: 1000000 + ctid * 65536, size: 65536 },
          rootfs: `/fake/${ctid}`, createdAt: new Date().toISOString(),
        };
        this.containers.set(ctid, info);
        return info;
      }
      case "container.start": {
        const c = this.get(ctid);
        if (c.state === "running") throw new EngineError("RUNNING", `container ${ctid} is already running`);
        return Object.assign(c, { state: "running", initPid: 4242 });
      }
      case "container.stop": {
        const c = this.get(ctid);
        if (c.state !== "running" && c.state !== "suspended") throw new EngineError("NOT_RUNNING", `container ${ctid} is not running`);
        return Object.assign(c, { state: "stopped", initPid: null });
      }
      case "container.restart":
        return Object.assign(this.get(ctid), { state: "running", initPid: 4243 });
      case "container.destroy": {
        const c = this.get(ctid);
        if (c.state !== "stopped" && !p.force) throw new EngineError("RUNNING", `container ${ctid} is running; stop it first or pass force`);
        this.containers.delete(ctid);
        return { ok: true };
      }
      case "container.suspend":
        return Object.assign(this.get(ctid), { state: "suspended" });
      case "container.resume":
        return Object.assign(this.get(ctid), { state: "running" });
      case "container.set": {
        const c = this.get(ctid);
        c.limits = this.limits(c.limits, p.limits);
        if (typeof p.hostname === "string") c.hostname = p.hostname;
        return c;
      }
      case "container.passwd": {
        const c = this.get(ctid);
        if (c.state !== "running") throw new EngineError("NOT_RUNNING", `container ${ctid} is not running; start it to change a password`);
        this.passwords.set(ctid, p.password as string);
        return { ok: true };
      }
      case "container.limits": {
        const c = this.get(ctid);
        return { configured: c.limits, cgroup: null, disk: { bytes: 1024 * 1024, limitBytes: c.limits.diskspace, inodes: null, limitInodes: null }, nofile: c.limits.numfile };
      }
      case "container.beancounters": {
        const c = this.get(ctid);
        return [
          { resource: "physpages", held: 4 * 1024 * 1024, maxheld: 8 * 1024 * 1024, limit: c.limits.ram, failcnt: 0, unit: "bytes" },
          { resource: "numproc", held: 3, maxheld: 5, limit: c.limits.numproc, failcnt: 0, unit: "processes" },
        ];
      }
      case "container.exec":
        return { code: 0, stdout: "", stderr: "" };
      case "container.resolve":
        return { ctid: Number(p.ref) };
      case "template.list":
        return TEMPLATES.map((name) => ({
          name, distro: name.split("-")[0], release: name.split("-")[1] ?? "1", arch: "amd64", init: name === "busybox" ? "busybox" : "systemd",
          haltSignal: "SIGUSR1", source: "built", sizeBytes: 1024, sha256: "0".repeat(64), createdAt: new Date(0).toISOString(),
        }));
      default:
        throw new EngineError("UNSUPPORTED", `${method} is not available in the fake engine`);
    }
  }

  close(): void {}
}
