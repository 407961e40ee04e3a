/** The one place where drivers are chosen and wired into an engine. */
import type { EngineConfig } from "./config.js";
import { Engine } from "./engine.js";
import { detectCgroupDriver } from "./drivers/cgroup/index.js";
import { createStorage } from "./drivers/storage/index.js";
import { LxcRuntime } from "./drivers/runtime/lxc.js";
import { TemplateStore } from "./templates/store.js";

export function buildEngine(cfg: EngineConfig): Engine {
  const cgroups = detectCgroupDriver();
  const storage = createStorage({ driver: cfg.storage.driver, root: cfg.storage.root, image: cfg.storage.image });
  const runtime = new LxcRuntime({ lxcPath: cfg.lxcPath, cgroupVersion: cgroups.version });
  const templates = new TemplateStore({ dir: cfg.templateDir, storage, mirror: cfg.debianMirror });
  return new Engine(cfg, { runtime, cgroups, storage, templates });
}
