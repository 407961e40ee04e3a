/**
 * A container's settings: limits, hostname, name and start-at-boot (container.set), root's SSH keys and
 * account passwords. Limits apply live to a running container and are persisted in its record.
 */
import type { EngineCore } from "./engine-core.js";
import type { ContainerInfo, SetRequest } from "./engine-types.js";
import { EngineError, wrapError } from "./errors.js";
import { run } from "./exec.js";
import type { ContainerRecord } from "./records.js";
import { checkHostname } from "./checks.js";
import { parseSshKeys, writeAuthorizedKeys } from "./ssh-keys.js";
import { checkPasswordInput, setContainerPassword, type AccountTarget } from "./passwd.js";
import { writeHostname } from "./system-files.js";

/** native/helpers/ovz-devpts-max.c, built by scripts/install-criu.sh */
const DEVPTS_MAX_BIN = process.env.OVZ_DEVPTS_MAX ?? "/usr/local/lib/ovz/ovz-devpts-max";

export class ContainerSettings {
  constructor(private readonly core: EngineCore) {}

  /** Change limits/hostname/name; applied live to a running container and persisted. */
  async set(ctid: number, req: SetRequest): Promise<ContainerInfo> {
    const core = this.core;
    const base = await core.mustGet(ctid);
    const limits = core.validateLimits(base.limits, req.limits);
    if (req.hostname !== undefined) checkHostname(req.hostname);
    if (req.name != null) await core.checkName(req.name, ctid);
    return core.withLock(ctid, async () => {
      const old = await core.mustGet(ctid);
      const next: ContainerRecord = {
        ...old,
        limits,
        // none is live: the next start renders them (features.ts)
        features: req.features ?? old.features ?? [],
        hostname: req.hostname ?? old.hostname,
        name: req.name === undefined ? old.name : req.name,
        onboot: req.onboot ?? old.onboot,
        bootorder: req.bootorder === undefined ? (old.bootorder ?? null) : req.bootorder,
      };
      const st = await core.drivers.runtime.state(ctid);
      const running = st !== "STOPPED";
      const { storage } = core.drivers;
      // Apply first, persist second: a crash in between is repaired at start-up by re-applying the record.
      if (running) {
        // registered before the change: a write that fails half-way leaves some limits changed
        const r = core.revert();
        r.add(`container ${ctid}: its limits as they were`, () => core.applyLive(ctid, old.limits));
        try {
          await core.applyLive(ctid, next.limits, old.limits);
          r.success();
        } catch (e) {
          await r.fail();
          throw wrapError(e, `Failed to change limits of container ${ctid}`, "LIMIT_OUT_OF_RANGE");
        }
        if (next.limits.numfile !== old.limits.numfile) await core.applyNofile(ctid, next.limits.numfile);
        if (next.limits.numpty !== old.limits.numpty) await this.applyPtyMax(ctid, next.limits.numpty);
      }
      const diskChanged =
        next.limits.diskspace !== old.limits.diskspace || next.limits.diskinodes !== old.limits.diskinodes;
      if (storage.caps.quota && diskChanged) {
        await storage.setQuota(ctid, { bytes: next.limits.diskspace, inodes: next.limits.diskinodes || null });
      }
      if (next.hostname !== old.hostname) await writeHostname(core.drivers, next, running);
      await core.records.put(next);
      await core.writeRuntimeConfig(next);
      return core.info(next);
    });
  }

  /**
   * Live: the container's devpts instance remounted with the new max= (native/helpers/ovz-devpts-max.c:
   * setns into its mount namespace, nothing of the container executed). Not fatal: the record, and so the
   * next start, has it; container.limits shows the live value (ptyMax).
   */
  private async applyPtyMax(ctid: number, n: number): Promise<void> {
    const pid = await this.core.drivers.runtime.initPid(ctid);
    if (!pid) return;
    const r = await run(DEVPTS_MAX_BIN, [String(pid), String(n)], { allowFailure: true }).catch((e: Error) => ({
      code: -1,
      stderr: e.message,
    }));
    if (r.code !== 0) {
      const why = `live remount failed: ${r.stderr.trim()}`;
      console.error(`container ${ctid}: PTY limit ${n} applies at the next start (${why})`);
    }
  }

  /** Replace root's authorized_keys (validated OpenSSH public keys); running: from inside, stopped: into the rootfs. */
  async setSshKeys(ctid: number, keysText: string): Promise<number> {
    const core = this.core;
    const keys = parseSshKeys(keysText);
    await core.mustGet(ctid);
    return core.withLock(ctid, async () => {
      await core.mustGet(ctid);
      const { runtime, storage } = core.drivers;
      const st = await runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
      const exec = (argv: string[], input: string) => runtime.exec(ctid, argv, { input });
      if (st === "STOPPED") await writeAuthorizedKeys({ running: false, rootfs: storage.containerPath(ctid) }, keys);
      else await writeAuthorizedKeys({ running: true, exec }, keys);
      return keys.length;
    });
  }

  /**
   * A user's password, on a running or a stopped container; a missing user is created (passwd.ts). A
   * container checkpointed to disk is refused: its processes hold the files as they were.
   */
  async setPassword(ctid: number, user: string, password: string): Promise<{ created: boolean }> {
    const core = this.core;
    checkPasswordInput(user, password);
    await core.mustGet(ctid);
    return core.withLock(ctid, async () => {
      const { runtime, storage } = core.drivers;
      const st = await runtime.state(ctid);
      if (st === "FROZEN") throw new EngineError("FROZEN", `container ${ctid} is suspended; resume it first`);
      if (st === "STOPPED" && (await core.dumps.info(ctid))) {
        throw new EngineError(
          "FROZEN",
          `container ${ctid} is checkpointed; resume it (or stop it to discard the checkpoint) first`,
        );
      }
      const target: AccountTarget =
        st === "STOPPED"
          ? { running: false, rootfs: storage.containerPath(ctid) }
          : { running: true, exec: (argv, input) => runtime.exec(ctid, argv, input === undefined ? {} : { input }) };
      try {
        return { created: (await setContainerPassword(target, user, password)) !== null };
      } catch (e) {
        throw wrapError(e, `Failed to set the password of ${user} in container ${ctid}`);
      }
    });
  }
}
