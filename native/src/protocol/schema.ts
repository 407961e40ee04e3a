/**
 * The engine protocol: newline-delimited JSON frames over a Unix stream socket (mTLS TCP for remote
 * nodes later). Every method has a zod schema for its params and its result; the server validates
 * params (and its own results) and the typed client is derived from the same table, so nothing is
 * hand-written twice and nothing is unchecked at runtime.
 *
 *   request:  {"v":1,"id":"7","method":"container.start","params":{"ctid":101}}
 *   event:    {"v":1,"id":"7","type":"event","event":{"kind":"progress","percent":30,"message":"starting init"}}
 *   result:   {"v":1,"id":"7","type":"result","result":{...}}
 *   error:    {"v":1,"id":"7","type":"error","error":{"code":"NOT_FOUND","message":"container 101 does not ..."}}
 *
 * Console sessions (`container.console`, not in the method table: it takes over its connection). The
 * request must be the only one on a fresh connection:
 *   request:  {"v":1,"id":"1","method":"container.console",
 *              "params":{"ctid":101,"cols":80,"rows":24,"term":"xterm-256color"}}
 *   error:    the usual error frame (NOT_FOUND, NOT_RUNNING, FROZEN, BUSY = session limit, ...), then the
 *             engine closes.
 *   accepted: {"v":1,"id":"1","type":"result","result":{"session":"c1a2b3","ctid":101}}
 * After the accepted line both directions carry binary frames (console-framing.ts): type u8, length u32
 * BE, payload ≤ 64 KiB — 1 DATA (terminal bytes, both ways), 2 RESIZE {"cols","rows"} (client → engine),
 * 3 EXIT {"code","signal","message"?} (engine → client, last frame, then the engine closes). The client
 * must not send anything between its request and the accepted line. Closing the connection ends the
 * session: the engine hangs up the terminal and kills what is left of the session's processes.
 * Persistent, shared sessions (the browser console): `"detachable":true` keeps the session when its
 * last client leaves — it ends OVZ_CONSOLE_DETACH_SEC (default 900) after that unless a client attaches,
 * or when its shell exits. `"session":"<id>"` (with the same ctid; cols/rows are applied as a resize)
 * attaches another client to a live detachable session: NOT_FOUND when it ended or belongs to another
 * container, BUSY at 8 clients. Output goes to every client (an attaching client first gets up to
 * 256 KiB of recent output as DATA), input and resizes come from any (the last resize wins).
 */
import { z } from "zod";
import { MIGRATE_PHASES, migrateManifest } from "../migrate-manifest.js";
import { ERROR_CODES } from "../errors.js";
import { LIMIT_KEYS, type Limits } from "../settings.js";
import { NIC_MODES } from "../net/nic/modes.js";
import { netConfigSchema, netPatchSchema, networkSchema } from "../net/types.js";
import { BACKUP_ID_RE, backupInfoSchema } from "../backup/manifest.js";
import { MAX_DESCRIPTION, SNAPSHOT_NAME_RE } from "../snapshot-names.js";
import { ctidSchema } from "../identity.js";
import { termSize } from "./console-framing.js";

export const PROTOCOL_VERSION = 1;
/** A frame larger than this is refused (protects the root daemon from a client that never sends a newline). */
export const MAX_FRAME_BYTES = 1024 * 1024;

const ctid = ctidSchema;
const limitsIn = z.record(z.string(), z.unknown()); // validated in depth by the engine (settings.ts)
const limitsOut = z.object(
  Object.fromEntries(LIMIT_KEYS.map((k) => [k, k === "cpumask" ? z.string().nullable() : z.number()])),
) as unknown as z.ZodType<Limits>;

/** What a new container (create, clone) may be given besides its ctid and where its files come from. */
const newContainerFields = {
  hostname: z.string().max(253).optional(),
  name: z.string().max(64).nullable().optional(),
  limits: limitsIn.optional(),
  onboot: z.boolean().optional(),
  net: netConfigSchema.optional(),
};

export const containerInfo = z.object({
  ctid: z.number(),
  name: z.string().nullable(),
  hostname: z.string(),
  template: z.string(),
  state: z.enum(["stopped", "running", "suspended", "transitioning"]),
  initPid: z.number().nullable(),
  limits: limitsOut,
  onboot: z.boolean(),
  idmap: z.object({ hostId: z.number(), size: z.number() }),
  rootfs: z.string(),
  /**
   * the container's files from the host, as OpenVZ's /vz/root/CTID: <stateDir>/root/<ctid> (root only; empty while
   * stopped)
   */
  root: z.string(),
  createdAt: z.string(),
  /** every address the container was given (venet and veth), for listings */
  ips: z.array(z.string()),
  /** the CRIU dump of a checkpointed container (its state is then "suspended"); null without one */
  checkpoint: z.object({ createdAt: z.string(), sizeBytes: z.number() }).nullable(),
});

const templateMeta = z.object({
  name: z.string(),
  distro: z.string(),
  release: z.string(),
  arch: z.string(),
  init: z.enum(["busybox", "systemd", "sysvinit", "unknown"]),
  haltSignal: z.string(),
  source: z.enum(["built", "imported"]),
  sizeBytes: z.number(),
  sha256: z.string(),
  createdAt: z.string(),
});

const beancounter = z.object({
  resource: z.string(),
  held: z.number(),
  maxheld: z.number(),
  limit: z.number().nullable(),
  failcnt: z.number(),
  unit: z.string(),
});

const rw = z.object({ read: z.number(), write: z.number() }).nullable();
const cgroupReadback = z.object({
  ram: z.number().nullable(),
  swap: z.number().nullable(),
  cpuunits: z.number(),
  cpulimit: z.number(),
  cpus: z.string(),
  numproc: z.number().nullable(),
  ioweight: z.number().nullable(),
  iolimit: rw,
  iopslimit: rw,
  raw: z.record(z.string(), z.string()),
});

const packetsBytes = z.object({ packets: z.number(), bytes: z.number() });
const netInfo = z.object({
  config: netConfigSchema,
  /** host-side devices while running: the container-side name, the host-side name and its kind */
  devices: z.array(z.object({ name: z.string(), hostIf: z.string().nullable(), kind: z.enum(NIC_MODES) })),
});
const netStats = z.object({
  ctid: z.number(),
  running: z.boolean(),
  /** this run of the container (null when stopped); a new value means its counters restarted from zero */
  boot: z.string().nullable(),
  /** per device, from the container's point of view: rx = received by the container */
  ifaces: z.array(
    z.object({
      name: z.string(),
      hostIf: z.string(),
      rxBytes: z.number(),
      txBytes: z.number(),
      rxPackets: z.number(),
      txPackets: z.number(),
    }),
  ),
  /** packets dropped because their source address or MAC was not the container's */
  spoofDropped: packetsBytes,
  /** packets dropped by the container's firewall (both directions) */
  firewallDropped: packetsBytes,
});
const networkInfo = networkSchema.extend({
  exists: z.boolean(),
  dhcpRunning: z.boolean(),
  containers: z.array(z.number()),
});

const snapshotName = z
  .string()
  .regex(SNAPSHOT_NAME_RE, "snapshot names are 1-64 letters, digits, . _ - starting with a letter or digit");
const snapshotInfo = z.object({
  name: z.string(),
  description: z.string(),
  createdAt: z.string(),
  /** bytes only this snapshot holds (what deleting it frees); null when the storage driver cannot tell cheaply */
  sizeBytes: z.number().nullable(),
});
const backupId = z.string().regex(BACKUP_ID_RE, "backup ids look like 101-20261123T191615Z-a3f9c2 (see backup.list)");

/** Cumulative counters of one running container (container.usage): rates come from differences of two samples. */
const containerUsage = z.object({
  ctid: z.number(),
  initPid: z.number(),
  /** its cgroup as /proc/<pid>/cgroup shows it (e.g. "/ovz/101"): every process at or below it is the container's */
  cgroup: z.string(),
  /** CPU time of all its processes, ns (cgroup cpuacct.usage / cpu.stat usage_usec) */
  cpuNs: z.number(),
  /** memory charged to it, page cache included (what counts against its RAM limit) */
  memBytes: z.number(),
  /** peak of memBytes (null when the kernel does not track it) */
  memMaxBytes: z.number().nullable(),
  /** swap in use (null without swap accounting) */
  swapBytes: z.number().nullable(),
  /** tasks (pids.current) */
  nproc: z.number(),
  ioReadBytes: z.number(),
  ioWriteBytes: z.number(),
  /** when the counters were read, ms since the epoch */
  sampledAt: z.number(),
});

const empty = z.object({}).strict();
const ok = z.object({ ok: z.literal(true) });
const ctidOnly = z.object({ ctid }).strict();

export const methods = {
  "engine.info": {
    params: empty,
    result: z.object({
      version: z.string(),
      protocol: z.number(),
      hostname: z.string(),
      kernel: z.string(),
      cpus: z.number(),
      memoryBytes: z.number(),
      runtime: z.string(),
      cgroupVersion: z.number(),
      storage: z.object({
        driver: z.string(),
        caps: z.object({ quota: z.boolean(), inodeQuota: z.boolean(), cow: z.boolean() }),
        totalBytes: z.number(),
        freeBytes: z.number(),
      }),
      containers: z.number(),
    }),
  },
  "container.list": { params: empty, result: z.array(containerInfo) },
  "container.status": { params: ctidOnly, result: containerInfo },
  "container.resolve": { params: z.object({ ref: z.string().min(1).max(64) }).strict(), result: z.object({ ctid }) },
  "container.create": {
    params: z.object({ ctid, template: z.string().min(1).max(64), ...newContainerFields }).strict(),
    result: containerInfo,
  },
  /**
   * A new container (newCtid, stopped) whose root filesystem is a CoW copy of container ctid's (a running one is
   * frozen only for that instant). hostname and onboot default to the source's, name to none, limits to the
   * source's (a patch over them), net to the source's without addresses. Snapshots, backups and a checkpoint
   * of the source are not copied. Undone whole on failure.
   */
  "container.clone": {
    params: z.object({ ctid, newCtid: ctid, ...newContainerFields }).strict(),
    result: containerInfo,
  },
  "container.start": { params: ctidOnly, result: containerInfo },
  "container.stop": {
    params: z
      .object({ ctid, timeoutSec: z.number().int().min(0).max(3600).optional(), force: z.boolean().optional() })
      .strict(),
    result: containerInfo,
  },
  "container.restart": {
    params: z.object({ ctid, timeoutSec: z.number().int().min(0).max(3600).optional() }).strict(),
    result: containerInfo,
  },
  "container.destroy": { params: z.object({ ctid, force: z.boolean().optional() }).strict(), result: ok },
  "container.suspend": { params: ctidOnly, result: containerInfo },
  /** Thaw a frozen container, or restore a checkpointed one (both show as "suspended"). */
  "container.resume": { params: ctidOnly, result: containerInfo },
  /** CRIU: dump the running container's whole state to disk and stop it (vzctl chkpnt / suspend). */
  "container.checkpoint": { params: ctidOnly, result: containerInfo },
  /** Restore a checkpointed container: the same processes, addresses and TCP connections continue. */
  "container.restore": { params: ctidOnly, result: containerInfo },
  // ---- migration between nodes (native/src/migrate.ts; the panel drives both ends)
  /** Source: check, snapshot while running; the manifest for the target. */
  "migrate.prepare": { params: z.object({ ctid, live: z.boolean() }).strict(), result: migrateManifest },
  /** Source: CRIU dump (live) or stop (offline), then the final snapshot. */
  "migrate.freeze": { params: ctidOnly, result: z.object({ dumpBytes: z.number().int().min(0) }) },
  /** Source: the move failed; the container runs here again as it did. */
  "migrate.abort": { params: ctidOnly, result: containerInfo },
  /** Source: the move succeeded; remove the container here. */
  "migrate.commit": { params: ctidOnly, result: ok },
  /** Target: check the container fits and start receiving it. */
  "migrate.accept": {
    params: z.object({ manifest: migrateManifest }).strict(),
    result: z.object({ idmapSlot: z.number().int().min(0) }),
  },
  /** Target: build the container from what arrived; restore (live) or start it. Undone on failure. */
  "migrate.finish": { params: ctidOnly, result: containerInfo },
  /** Target: the move is done; remove the received snapshots (outside the frozen time). */
  "migrate.cleanup": { params: ctidOnly, result: ok },
  /** Target: drop a container being received (never one that exists otherwise). */
  "migrate.cancel": { params: ctidOnly, result: z.object({ removed: z.boolean() }) },
  "container.exec": {
    params: z
      .object({
        ctid,
        argv: z.array(z.string().max(65536)).min(1).max(1024),
        input: z
          .string()
          .max(MAX_FRAME_BYTES / 2)
          .optional(),
        timeoutMs: z.number().int().min(1).max(3_600_000).optional(),
      })
      .strict(),
    result: z.object({ code: z.number(), stdout: z.string(), stderr: z.string() }),
  },
  "container.set": {
    params: z
      .object({
        ctid,
        limits: limitsIn.optional(),
        hostname: z.string().max(253).optional(),
        name: z.string().max(64).nullable().optional(),
        onboot: z.boolean().optional(),
      })
      .strict(),
    result: containerInfo,
  },
  /** Replace the root filesystem by a fresh one from a template (stopped); keepData keeps the old files under /old. */
  "container.reinstall": {
    params: z.object({ ctid, template: z.string().min(1).max(64), keepData: z.boolean() }).strict(),
    result: containerInfo,
  },
  /** Replace root's /root/.ssh/authorized_keys (OpenSSH public keys, one per line, # comments); running or stopped. */
  "container.sshkeys.set": {
    params: z.object({ ctid, keys: z.string().max(1_048_576) }).strict(),
    result: z.object({ ok: z.literal(true), count: z.number().int() }),
  },
  /** A user's password, running or stopped; a missing user is created (created: true). */
  "container.passwd": {
    params: z.object({ ctid, user: z.string().min(1).max(32), password: z.string().min(1).max(256) }).strict(),
    result: z.object({ ok: z.literal(true), created: z.boolean() }),
  },
  "container.limits": {
    params: ctidOnly,
    result: z.object({
      configured: limitsOut,
      cgroup: cgroupReadback.nullable(),
      disk: z.object({
        bytes: z.number(),
        limitBytes: z.number().nullable(),
        inodes: z.number().nullable(),
        limitInodes: z.number().nullable(),
      }),
      nofile: z.number().nullable(),
      ptyMax: z.number().nullable(),
    }),
  },
  "container.beancounters": { params: ctidOnly, result: z.array(beancounter) },
  "container.net.get": { params: ctidOnly, result: netInfo },
  /** Change the network live (addresses, firewall, rate, NICs when stopped); each key given replaces that key. */
  "container.net.set": { params: z.object({ ctid, net: netPatchSchema }).strict(), result: netInfo },
  /** Traffic and drop counters of running containers (all when ctids is omitted). */
  "container.net.stats": {
    params: z.object({ ctids: z.array(ctid).max(10_000).optional() }).strict(),
    result: z.array(netStats),
  },
  /**
   * CPU, memory, task and block I/O counters of running containers (all when ctids is omitted); reads cgroup files
   * only.
   */
  "container.usage": {
    params: z.object({ ctids: z.array(ctid).max(10_000).optional() }).strict(),
    result: z.array(containerUsage),
  },
  "network.list": { params: empty, result: z.array(networkInfo) },
  "network.create": { params: networkSchema, result: networkInfo },
  "network.delete": { params: z.object({ name: z.string().min(1).max(31) }).strict(), result: ok },
  /** Instant snapshot (btrfs CoW; a running container is frozen for that instant). name defaults to the UTC time. */
  "snapshot.create": {
    params: z
      .object({ ctid, name: snapshotName.optional(), description: z.string().max(MAX_DESCRIPTION).optional() })
      .strict(),
    result: snapshotInfo,
  },
  "snapshot.list": { params: ctidOnly, result: z.array(snapshotInfo) },
  /** Replace the root filesystem by the snapshot's (container stopped; the snapshot stays). */
  "snapshot.rollback": { params: z.object({ ctid, name: snapshotName }).strict(), result: containerInfo },
  "snapshot.delete": { params: z.object({ ctid, name: snapshotName }).strict(), result: ok },
  /** Full backup (tar.zst of a consistent snapshot + manifest) into the engine's backup directory; streams progress. */
  "backup.create": { params: ctidOnly, result: backupInfoSchema },
  "backup.list": { params: z.object({ ctid: ctid.optional() }).strict(), result: z.array(backupInfoSchema) },
  "backup.delete": { params: z.object({ id: backupId }).strict(), result: ok },
  /** Recreate a container from a backup into ctid (new, or destroyed); force replaces an existing stopped one. */
  "backup.restore": {
    params: z.object({ id: backupId, ctid, force: z.boolean().optional() }).strict(),
    result: containerInfo,
  },
  "template.list": { params: empty, result: z.array(templateMeta) },
  "template.build": {
    params: z.object({ kind: z.enum(["busybox", "debian-12"]), name: z.string().max(64).optional() }).strict(),
    result: templateMeta,
  },
  "template.import": {
    params: z.object({ path: z.string().min(1).max(4096), name: z.string().max(64).optional() }).strict(),
    result: templateMeta,
  },
  "template.delete": { params: z.object({ name: z.string().min(1).max(64) }).strict(), result: ok },
} as const;

export type Methods = typeof methods;
export type MethodName = keyof Methods;
export type Params<M extends MethodName> = z.input<Methods[M]["params"]>;
export type Result<M extends MethodName> = z.output<Methods[M]["result"]>;

export const requestFrame = z.object({
  v: z.number().int(),
  id: z.string().min(1).max(64),
  method: z.string().max(64),
  params: z.unknown().optional(),
});
export type RequestFrame = z.infer<typeof requestFrame>;

export const opEvent = z.union([
  z.object({ kind: z.literal("log"), line: z.string() }),
  z.object({ kind: z.literal("progress"), percent: z.number(), message: z.string().optional() }),
]);
export type OpEvent = z.infer<typeof opEvent>;

export const errorInfo = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  cause: z.string().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});

export const replyFrame = z.discriminatedUnion("type", [
  z.object({ v: z.number(), id: z.string(), type: z.literal("event"), event: opEvent }),
  z.object({ v: z.number(), id: z.string(), type: z.literal("result"), result: z.unknown() }),
  z.object({ v: z.number(), id: z.string(), type: z.literal("error"), error: errorInfo }),
]);
export type ReplyFrame = z.infer<typeof replyFrame>;

/** The console method (see the header): params checked like any method's, result = the accepted line. */
export const CONSOLE_METHOD = "container.console";
export const consoleParams = z
  .object({
    ctid,
    cols: termSize,
    rows: termSize,
    /**
     * argv run inside the container under the terminal; default: root's login shell (/etc/passwd, else bash, else sh)
     */
    command: z
      .array(
        z
          .string()
          .max(65536)
          .refine((a) => !a.includes("\0"), "arguments cannot contain NUL"),
      )
      .min(1)
      .max(1024)
      .optional(),
    /** TERM inside the session (default xterm-256color) */
    term: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, "TERM is a terminal type name like xterm-256color")
      .optional(),
    /** keep the session alive without clients (OVZ_CONSOLE_DETACH_SEC) and let other clients attach */
    detachable: z.boolean().optional(),
    /** attach to this live detachable session of the same ctid instead of starting one */
    session: z
      .string()
      .regex(/^[0-9a-f]{8,32}$/, "a console session id is 8-32 hex digits")
      .optional(),
  })
  .strict()
  .refine((p) => p.session === undefined || p.command === undefined, {
    message: "command cannot be given when attaching to a session",
    path: ["command"],
  });
export type ConsoleParams = z.input<typeof consoleParams>;
export const consoleAccepted = z.object({ session: z.string(), ctid: z.number() });
export type ConsoleAccepted = z.infer<typeof consoleAccepted>;

/**
 * backup.download takes over its connection like the console: one request, then one accepted line
 * (a result frame with the archive's size and sha256), then exactly sizeBytes raw bytes of the archive
 * (tar.zst), then the engine closes. A refusal is an ordinary error frame.
 */
export const DOWNLOAD_METHOD = "backup.download";
export const downloadParams = z.object({ id: backupId }).strict();
export const downloadAccepted = z.object({ id: z.string(), sizeBytes: z.number().int().min(0), sha256: z.string() });
export type DownloadAccepted = z.infer<typeof downloadAccepted>;

/**
 * migrate.send / migrate.receive take over their connection like the console: one request, one accepted
 * line (a result frame {ok:true}), then the phase's bytes in chunks (protocol/migrate-stream.ts: u32 length
 * + bytes; length 0 ends the stream; 0xffffffff + u32 length + message reports a sender failure). The
 * receiver answers the end with one more line: a result frame {bytes} once its host tool has finished, or an
 * error frame. The panel relays the chunks from the source's connection to the target's unchanged.
 */
export const MIGRATE_SEND = "migrate.send";
export const MIGRATE_RECEIVE = "migrate.receive";
export const migrateStreamParams = z.object({ ctid, phase: z.enum(MIGRATE_PHASES) }).strict();
export const migrateReceived = z.object({ bytes: z.number().int().min(0) });
