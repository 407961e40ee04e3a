/**
 * Container lifecycle: create, start, stop, restart, suspend, resume, destroy, exec. Each validates the whole
 * request before touching the host, runs under the container's lock, and journals multi-step host changes
 * (the journal repairs what a crash interrupted at the next engine start).
 */
import type { EngineCore } from "./engine-core.js";
import { SILENT, type ContainerInfo, type CreateRequest, type OpContext } from "./engine-types.js";
import type { CheckpointOps } from "./checkpoint.js";
import { EngineError, wrapError } from "./errors.js";
import type { ContainerRecord } from "./records.js";
import type { ExecResult } from "./drivers/runtime/types.js";
import type { TemplateMeta } from "./templates/types.js";
import { netConfigSchema } from "./net/types.js";
import { closeGate, openGate } from "./gate.js";
import { checkCtid, checkHostname, parseNet } from "./checks.js";
import { renewSshHostKeys } from "./ssh-host-keys.js";
import { writeHostname, writeSystemFiles } from "./system-files.js";

export class Lifecycle {
  constructor(
    private readonly core: EngineCore,
    private readonly checkpoints: CheckpointOps,
  ) {}

  async create(req: CreateRequest, ctx: OpContext = SILENT): Promise<ContainerInfo> {
    const core = this.core;
    checkCtid(req.ctid);
    const hostname = req.hostname ?? `ct${req.ctid}`;
    checkHostname(hostname);
    if (req.name != null) await core.checkName(req.name, req.ctid);
    const limits = core.validateLimits(core.newContainerDefaults(), req.limits);
    const netIn = parseNet(netConfigSchema, req.net ?? {});
    return core.withLock(req.ctid, async () => {
      const { storage, templates } = core.drivers;
      await core.assertCtidFree(req.ctid);
      const tpl: TemplateMeta = await templates.get(req.template);
      await core.checkDiskSpace(limits);
      const net = await core.net.validate(req.ctid, netIn);
      const { slot, release } = await core.reserveSlot();
      const journal = await core.journal.begin("create", req.ctid, { slot, template: tpl.name });
      // one idempotent removal undoes every step below (the same one the journal's recovery runs after a crash)
      const r = core.revert(ctx);
      r.add(`remove what was made of container ${req.ctid} (the next engine start repairs what is left)`, () =>
        core.removeHostResources(req.ctid, { removeRecord: true }),
      );
      try {
        ctx.progress(10, `preparing template ${tpl.name}`);
        await templates.ensureVolume(tpl.name, ctx.log);
        await core.failpoint("create:begin");
        ctx.progress(40, "creating root filesystem (copy-on-write snapshot)");
        await journal.step("volume");
        await storage.createContainerVolume(req.ctid, tpl.name);
        await core.failpoint("create:volume");
        await journal.step("quota");
        if (storage.caps.quota) {
          await storage.setQuota(req.ctid, { bytes: limits.diskspace, inodes: limits.diskinodes || null });
        }
        const rec: ContainerRecord = {
          ctid: req.ctid,
          name: req.name ?? null,
          hostname,
          template: tpl.name,
          limits,
          features: req.features ?? [],
          idmapSlot: slot,
          init: "/sbin/init",
          haltSignal: tpl.haltSignal,
          onboot: req.onboot ?? false,
          bootorder: req.bootorder ?? null,
          createdAt: new Date().toISOString(),
          net,
        };
        await writeHostname(core.drivers, rec, false);
        // a template that carries SSH host keys would give every container made from it the same ones
        await renewSshHostKeys(storage.containerPath(req.ctid), hostname, ctx.log);
        ctx.progress(70, "writing runtime configuration");
        await journal.step("config");
        await core.writeRuntimeConfig(rec);
        await core.failpoint("create:config");
        await core.records.put(rec);
        await journal.step("net");
        await core.net.update(rec.ctid, rec.net);
        await journal.commit();
        await core.failpoint("create:commit");
        await journal.close();
        ctx.progress(100, `container ${req.ctid} created`);
        const info = await core.info(rec);
        r.success();
        return info;
      } catch (e) {
        ctx.log(`create failed, undoing: ${(e as Error).message}`);
        await r.fail();
        await journal.close();
        throw wrapError(e, `Failed to create container ${req.ctid}`);
      } finally {
        release();
      }
    });
  }

  async destroy(ctid: number, opts: { force?: boolean } = {}, ctx: OpContext = SILENT): Promise<void> {
    const core = this.core;
    await core.mustGet(ctid);
    return core.withLock(ctid, async () => {
      await core.mustGet(ctid);
      const st = await core.drivers.runtime.state(ctid);
      if (st !== "STOPPED" && !opts.force) {
        throw new EngineError("RUNNING", `container ${ctid} is running; stop it first (or destroy with force)`);
      }
      const journal = await core.journal.begin("destroy", ctid);
      ctx.progress(20, "stopping and removing");
      await core.failpoint("destroy:begin");
      await journal.step("remove");
      await core.removeHostResources(ctid, { removeRecord: true, failpoint: "destroy:volume" });
      await journal.close();
      ctx.progress(100, `container ${ctid} destroyed`);
    });
  }

  async start(ctid: number, ctx: OpContext = SILENT): Promise<ContainerInfo> {
    const core = this.core;
    await core.mustGet(ctid);
    return core.withLock(ctid, async () => {
      const rec = await core.mustGet(ctid);
      const { runtime, storage, cgroups } = core.drivers;
      const st = await runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it instead`);
      if (st !== "STOPPED") throw new EngineError("RUNNING", `container ${ctid} is already running`);
      await core.requireDelegatedCgroup();
      if (await this.checkpoints.info(ctid)) {
        // a checkpointed container starts by continuing where it was (as OpenVZ's vzctl start does)
        await this.checkpoints.restoreLocked(rec, ctx);
        return core.info(rec);
      }
      if (!(await storage.containerVolumeExists(ctid))) {
        throw new EngineError(
          "INTERNAL",
          `root filesystem of container ${ctid} is missing; reinstall it from a template`,
        );
      }
      // Clear leftovers of an earlier failed start (LXC leaves empty monitor cgroups behind); best effort: LXC
      // reports it if one is still in its way.
      await core.bestEffort(`container ${ctid}: old monitor cgroup`, cgroups.remove(core.monitorCgroupDir(ctid)));
      // its own view of /proc (lxcfs, started again if it died); without it the container starts with the host's
      await core.view.prepare(ctx.log);
      await core.writeRuntimeConfig(rec);
      await writeSystemFiles(core.drivers, rec);
      ctx.progress(30, "starting init");
      // Each undo tolerates "not done", so it is registered before its step: a step that fails half-way (LXC
      // started the container, then failed) is undone too.
      const r = core.revert(ctx);
      try {
        r.add(`container ${ctid}: close its rootfs gate`, () => closeGate(core.config.lxcPath, ctid));
        await openGate(core.config.lxcPath, ctid, storage.containerPath(ctid), core.hostGid(rec));
        r.add(`container ${ctid}: remove its monitor cgroup`, () => cgroups.remove(core.monitorCgroupDir(ctid)));
        r.add(`container ${ctid}: remove its cgroup`, () => cgroups.remove(core.cgroupDir(ctid)));
        r.add(`container ${ctid}: kill its processes`, () => runtime.kill(ctid));
        await runtime.start(ctid);
        ctx.progress(70, "placing its vCPUs");
        r.add(`container ${ctid}: free its cores`, () => core.cpu.stopped(ctid));
        await core.cpu.place(ctid, rec.limits);
        ctx.progress(80, "configuring the host side of the network");
        r.add(`container ${ctid}: host side of its network`, () => core.net.afterStop(ctid, rec.net));
        await core.net.postStart(ctid, rec.net, await runtime.initPid(ctid));
        r.success();
      } catch (e) {
        await r.fail();
        throw wrapError(e, `Failed to start container ${ctid}`);
      }
      ctx.progress(100, "running");
      return core.info(rec);
    });
  }

  async stop(ctid: number, opts: { timeoutSec?: number; force?: boolean } = {}, ctx = SILENT): Promise<ContainerInfo> {
    const core = this.core;
    await core.mustGet(ctid);
    return core.withLock(ctid, async () => {
      const rec = await core.mustGet(ctid);
      if ((await core.drivers.runtime.state(ctid)) === "STOPPED" && (await this.checkpoints.info(ctid))) {
        // stopping a checkpointed container discards its checkpoint (as vzctl stop of a suspended one)
        await this.checkpoints.remove(ctid);
        ctx.progress(100, "checkpoint discarded; stopped");
        return core.info(rec);
      }
      await this.stopLocked(rec, opts, ctx);
      return core.info(rec);
    });
  }

  /** Stop under the caller's lock. */
  async stopLocked(rec: ContainerRecord, opts: { timeoutSec?: number; force?: boolean }, ctx: OpContext) {
    const core = this.core;
    const { runtime } = core.drivers;
    const st = await runtime.state(rec.ctid);
    if (st === "STOPPED") {
      await core.cpu.stopped(rec.ctid); // it stopped behind the engine's back: free its cores
      throw new EngineError("NOT_RUNNING", `container ${rec.ctid} is not running`);
    }
    if (st === "FROZEN") await runtime.unfreeze(rec.ctid);
    if (opts.force) {
      ctx.progress(50, "killing");
      await runtime.kill(rec.ctid);
    } else {
      const t = opts.timeoutSec ?? core.config.stopTimeoutSec;
      ctx.progress(30, `halting (${rec.haltSignal}), killing after ${t} s`);
      await runtime.stop(rec.ctid, t);
    }
    await core.cpu.stopped(rec.ctid);
    await closeGate(core.config.lxcPath, rec.ctid);
    await core.net.afterStop(rec.ctid, rec.net);
    // best effort: the container is stopped either way, and the next start clears what is left
    const { cgroups } = core.drivers;
    const ctid = rec.ctid;
    await core.bestEffort(`container ${ctid}: remove its cgroup`, cgroups.remove(core.cgroupDir(ctid)));
    await core.bestEffort(`container ${ctid}: remove its monitor cgroup`, cgroups.remove(core.monitorCgroupDir(ctid)));
    ctx.progress(100, "stopped");
  }

  async restart(ctid: number, opts: { timeoutSec?: number } = {}, ctx: OpContext = SILENT): Promise<ContainerInfo> {
    const rec = await this.core.mustGet(ctid);
    await this.core.withLock(ctid, async () => {
      if ((await this.core.drivers.runtime.state(ctid)) !== "STOPPED") await this.stopLocked(rec, opts, ctx);
    });
    return this.start(ctid, ctx);
  }

  async suspend(ctid: number): Promise<ContainerInfo> {
    const core = this.core;
    await core.mustGet(ctid);
    return core.withLock(ctid, async () => {
      const rec = await core.mustGet(ctid);
      const st = await core.drivers.runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is already suspended`);
      if (st !== "RUNNING") throw new EngineError("NOT_RUNNING", `container ${ctid} is not running`);
      await core.drivers.runtime.freeze(ctid);
      return core.info(rec);
    });
  }

  /** Thaw a frozen container, or restore a checkpointed one: both show as "suspended". */
  async resume(ctid: number, ctx: OpContext = SILENT): Promise<ContainerInfo> {
    const core = this.core;
    await core.mustGet(ctid);
    return core.withLock(ctid, async () => {
      const rec = await core.mustGet(ctid);
      const st = await core.drivers.runtime.state(ctid);
      if (st === "STOPPED" && (await this.checkpoints.info(ctid))) {
        await this.checkpoints.restoreLocked(rec, ctx);
        return core.info(rec);
      }
      if (st !== "FROZEN") throw new EngineError("NOT_RUNNING", `container ${ctid} is not suspended`);
      await core.drivers.runtime.unfreeze(ctid);
      return core.info(rec);
    });
  }

  async exec(ctid: number, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<ExecResult> {
    await this.core.mustGet(ctid);
    const st = await this.core.drivers.runtime.state(ctid);
    if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
    if (st !== "RUNNING") throw new EngineError("NOT_RUNNING", `container ${ctid} is not running; start it first`);
    return this.core.drivers.runtime.exec(ctid, argv, opts);
  }
}
