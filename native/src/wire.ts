/**
 * The one place where the engine is wired: drivers chosen from their tables (drivers/index.ts), the core
 * first, then each part given the core and the parts it uses. Nothing imports this module but the daemon
 * (main.ts), so the parts never import each other through the engine.
 */
import type { EngineConfig } from "./config.js";
import { Engine } from "./engine.js";
import { EngineCore } from "./engine-core.js";
import { Lifecycle } from "./engine-lifecycle.js";
import { ContainerSettings } from "./engine-settings.js";
import { NetworkOps } from "./engine-network.js";
import { Queries } from "./engine-queries.js";
import { SnapshotOps } from "./snapshots.js";
import { BackupOps } from "./backup/backups.js";
import { ReinstallOps } from "./reinstall.js";
import { CheckpointOps } from "./checkpoint.js";
import { MigrateOps } from "./migrate.js";
import { CloneOps } from "./clone.js";
import { HostPower } from "./host-power.js";
import type { ContainerRecord } from "./records.js";
import { writeSystemFiles } from "./system-files.js";
import { chooseDrivers } from "./drivers/index.js";
import { TemplateStore } from "./templates/store.js";

export function buildEngine(cfg: EngineConfig): Engine {
  const { cgroups, storage, runtime } = chooseDrivers(cfg);
  const templates = new TemplateStore({ dir: cfg.templateDir, storage, mirror: cfg.debianMirror });
  const core = new EngineCore(cfg, { runtime, cgroups, storage, templates });

  const files = { writeSystemFiles: (rec: ContainerRecord) => writeSystemFiles(core.drivers, rec) };
  const checkName = (name: string, ctid: number) => core.checkName(name, ctid);
  const snapshots = new SnapshotOps(core);
  const checkpoints = new CheckpointOps(core);
  const lifecycle = new Lifecycle(core, checkpoints);
  return new Engine({
    core,
    lifecycle,
    settings: new ContainerSettings(core),
    network: new NetworkOps(core),
    queries: new Queries(core),
    snapshots,
    backups: new BackupOps(core, snapshots),
    reinstall: new ReinstallOps(core, files),
    checkpoints,
    migrations: new MigrateOps(core, checkpoints, lifecycle),
    clones: new CloneOps(core, snapshots, { ...files, checkName }),
    power: new HostPower(core, lifecycle, checkpoints, cfg.power),
  });
}
