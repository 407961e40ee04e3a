/** Method table → engine calls. Params arrive already validated by the method's zod schema. */
import type { Engine } from "../engine.js";
import type { OpContext } from "../engine-types.js";
import { importablePath } from "../templates/import-path.js";
import { PROTOCOL_VERSION, type MethodName, type Params, type Result } from "./schema.js";

type Handler<M extends MethodName> = (p: Params<M>, ctx: OpContext) => Promise<Result<M>>;
export type Handlers = { [M in MethodName]: Handler<M> };

const OK = { ok: true as const };

export function engineHandlers(engine: Engine): Handlers {
  const { core, lifecycle: life, settings, network: net, queries: q, checkpoints, migrations: mig } = engine;
  const { snapshots, backups } = engine;
  const t = core.drivers.templates;
  return {
    "engine.info": async () => ({ ...(await q.hostInfo()), protocol: PROTOCOL_VERSION }),
    "container.list": () => q.list(),
    "container.status": (p) => q.status(p.ctid),
    "container.resolve": async (p) => ({ ctid: await core.resolve(p.ref) }),
    "container.create": (p, ctx) => life.create(p, ctx),
    "container.clone": (p, ctx) => engine.clones.clone(p, ctx),
    "container.start": (p, ctx) => life.start(p.ctid, ctx),
    "container.stop": (p, ctx) => life.stop(p.ctid, p, ctx),
    "container.restart": (p, ctx) => life.restart(p.ctid, p, ctx),
    "container.destroy": async (p, ctx) => (await life.destroy(p.ctid, p, ctx), OK),
    "container.suspend": (p) => life.suspend(p.ctid),
    "container.resume": (p, ctx) => life.resume(p.ctid, ctx),
    "container.checkpoint": (p, ctx) => checkpoints.checkpoint(p.ctid, ctx),
    "container.restore": (p, ctx) => checkpoints.restore(p.ctid, ctx),
    "migrate.prepare": (p) => mig.prepare(p.ctid, p.live),
    "migrate.freeze": (p, ctx) => mig.freeze(p.ctid, ctx),
    "migrate.abort": (p, ctx) => mig.abort(p.ctid, ctx),
    "migrate.commit": async (p, ctx) => (await mig.commit(p.ctid, ctx), OK),
    "migrate.accept": (p) => mig.accept(p.manifest),
    "migrate.finish": (p, ctx) => mig.finish(p.ctid, ctx),
    "migrate.cleanup": async (p) => (await mig.cleanup(p.ctid), OK),
    "migrate.cancel": (p) => mig.cancel(p.ctid),
    "container.exec": (p) => life.exec(p.ctid, p.argv, p),
    "container.set": (p) => settings.set(p.ctid, p),
    "container.reinstall": (p, ctx) => engine.reinstall.reinstall(p, ctx),
    "container.sshkeys.set": async (p) => ({ ok: true as const, count: await settings.setSshKeys(p.ctid, p.keys) }),
    "container.passwd": async (p) => ({
      ok: true as const,
      ...(await settings.setPassword(p.ctid, p.user, p.password)),
    }),
    "container.limits": (p) => q.readLimits(p.ctid),
    "container.beancounters": (p) => q.beancounters(p.ctid),
    "container.bootlog": (p) => q.bootLog(p.ctid, p.maxBytes ?? 64 * 1024),
    "container.net.get": (p) => net.netGet(p.ctid),
    "container.net.set": (p) => net.netSet(p.ctid, p.net),
    "container.net.stats": (p) => net.netStats(p.ctids),
    "container.usage": (p) => q.usage(p.ctids),
    "network.list": () => net.networkList(),
    "network.create": (p) => net.networkCreate(p),
    "network.delete": async (p) => (await net.networkDelete(p.name), OK),
    "snapshot.create": (p, ctx) => snapshots.create(p.ctid, p, ctx),
    "snapshot.list": (p) => snapshots.list(p.ctid),
    "snapshot.rollback": async (p, ctx) => (await snapshots.rollback(p.ctid, p.name, ctx), q.status(p.ctid)),
    "snapshot.delete": async (p) => (await snapshots.delete(p.ctid, p.name), OK),
    "backup.create": (p, ctx) => backups.create(p.ctid, ctx),
    "backup.list": (p) => backups.list(p.ctid),
    "backup.delete": async (p) => (await backups.delete(p.id), OK),
    "backup.restore": (p, ctx) => backups.restore(p, ctx),
    "template.list": () => t.list(),
    "template.build": (p, ctx) =>
      p.kind === "busybox" ? t.buildBusybox(p.name, ctx.log) : t.buildDebian({ name: p.name }, ctx.log),
    "template.import": async (p, ctx) =>
      t.importTarball(await importablePath(p.path, core.config.templateImportDir), { name: p.name }, ctx.log),
    "template.delete": async (p) => (await q.deleteTemplate(p.name), OK),
    "host.stats": () => q.hostStats(),
    "host.power": () => engine.power.status(),
    "host.boot": (p, ctx) => engine.power.boot(p, ctx.log),
    "host.shutdown": (p, ctx) => engine.power.shutdown(p, ctx.log),
  };
}
