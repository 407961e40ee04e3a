/** Method table → engine calls. Params arrive already validated by the method's zod schema. */
import type { Engine, OpContext } from "../engine.js";
import { PROTOCOL_VERSION, type MethodName, type Params, type Result } from "./schema.js";

type Handler<M extends MethodName> = (p: Params<M>, ctx: OpContext) => Promise<Result<M>>;
export type Handlers = { [M in MethodName]: Handler<M> };

const OK = { ok: true as const };

export function engineHandlers(engine: Engine): Handlers {
  const t = engine.drivers.templates;
  return {
    "engine.info": async () => ({ ...(await engine.hostInfo()), protocol: PROTOCOL_VERSION }),
    "container.list": () => engine.list(),
    "container.status": (p) => engine.status(p.ctid),
    "container.resolve": async (p) => ({ ctid: await engine.resolve(p.ref) }),
    "container.create": (p, ctx) => engine.create(p, ctx),
    "container.clone": (p, ctx) => engine.clone(p, ctx),
    "container.start": (p, ctx) => engine.start(p.ctid, ctx),
    "container.stop": (p, ctx) => engine.stop(p.ctid, p, ctx),
    "container.restart": (p, ctx) => engine.restart(p.ctid, p, ctx),
    "container.destroy": async (p, ctx) => (await engine.destroy(p.ctid, p, ctx), OK),
    "container.suspend": (p) => engine.suspend(p.ctid),
    "container.resume": (p, ctx) => engine.resume(p.ctid, ctx),
    "container.checkpoint": (p, ctx) => engine.checkpoint(p.ctid, ctx),
    "container.restore": (p, ctx) => engine.restoreCheckpoint(p.ctid, ctx),
    "migrate.prepare": (p) => engine.migratePrepare(p.ctid, p.live),
    "migrate.freeze": (p, ctx) => engine.migrateFreeze(p.ctid, ctx),
    "migrate.abort": (p, ctx) => engine.migrateAbort(p.ctid, ctx),
    "migrate.commit": async (p, ctx) => (await engine.migrateCommit(p.ctid, ctx), OK),
    "migrate.accept": (p) => engine.migrateAccept(p.manifest),
    "migrate.finish": (p, ctx) => engine.migrateFinish(p.ctid, ctx),
    "migrate.cleanup": async (p) => (await engine.migrateCleanup(p.ctid), OK),
    "migrate.cancel": (p) => engine.migrateCancel(p.ctid),
    "container.exec": (p) => engine.exec(p.ctid, p.argv, p),
    "container.set": (p) => engine.set(p.ctid, p),
    "container.reinstall": (p, ctx) => engine.reinstall(p, ctx),
    "container.sshkeys.set": async (p) => ({ ok: true as const, count: await engine.setSshKeys(p.ctid, p.keys) }),
    "container.passwd": async (p) => ({ ok: true as const, ...(await engine.setPassword(p.ctid, p.user, p.password)) }),
    "container.limits": (p) => engine.readLimits(p.ctid),
    "container.beancounters": (p) => engine.beancounters(p.ctid),
    "container.net.get": (p) => engine.netGet(p.ctid),
    "container.net.set": (p) => engine.netSet(p.ctid, p.net),
    "container.net.stats": (p) => engine.netStats(p.ctids),
    "container.usage": (p) => engine.usage(p.ctids),
    "network.list": () => engine.networkList(),
    "network.create": (p) => engine.networkCreate(p),
    "network.delete": async (p) => (await engine.networkDelete(p.name), OK),
    "snapshot.create": (p, ctx) => engine.snapshotCreate(p.ctid, p, ctx),
    "snapshot.list": (p) => engine.snapshotList(p.ctid),
    "snapshot.rollback": (p, ctx) => engine.snapshotRollback(p.ctid, p.name, ctx),
    "snapshot.delete": async (p) => (await engine.snapshotDelete(p.ctid, p.name), OK),
    "backup.create": (p, ctx) => engine.backupCreate(p.ctid, ctx),
    "backup.list": (p) => engine.backupList(p.ctid),
    "backup.delete": async (p) => (await engine.backupDelete(p.id), OK),
    "backup.restore": (p, ctx) => engine.backupRestore(p, ctx),
    "template.list": () => t.list(),
    "template.build": (p, ctx) =>
      p.kind === "busybox" ? t.buildBusybox(p.name, ctx.log) : t.buildDebian({ name: p.name }, ctx.log),
    "template.import": (p, ctx) => t.importTarball(p.path, { name: p.name }, ctx.log),
    "template.delete": async (p) => (await engine.deleteTemplate(p.name), OK),
  };
}
