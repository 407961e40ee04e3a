/** The one place where drivers are chosen and wired into an engine. */
import type { EngineConfig } from "./config.js";
import { Engine } from "./engine.js";
import { chooseDrivers } from "./drivers/index.js";
import { TemplateStore } from "./templates/store.js";

export function buildEngine(cfg: EngineConfig): Engine {
  const { cgroups, storage, runtime } = chooseDrivers(cfg);
  const templates = new TemplateStore({ dir: cfg.templateDir, storage, mirror: cfg.debianMirror });
  return new Engine(cfg, { runtime, cgroups, storage, templates });
}
