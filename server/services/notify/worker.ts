/**
 * The delivery worker: sends the due stored deliveries (webhook POSTs and emails), a few at a time, each with
 * a timeout, and reschedules failures with backoff. One runs in the panel process (instrumentation.ts); a run
 * never overlaps the previous one, and a delivery is claimed in the database (lockedUntil) before it is sent, so
 * two workers (a restart while a run is in flight) do not send it twice. Deliveries are rows: a restarted panel
 * picks up whatever was due. Delays, clock, fetch and mail are injectable for tests.
 */
import type { Db, NotifyDelivery } from "../../db/client.js";
import { describeError } from "../../errors.js";
import { onNewDeliveries } from "./emit.js";
import { signature } from "./sign.js";
import { sendMail, type Mail } from "./smtp.js";

/** Retries after the first attempt: 10 s, 1 min, 5 min, 30 min, 2 h (then the delivery is marked failed). */
export const RETRY_DELAYS_MS = [10_000, 60_000, 300_000, 1_800_000, 7_200_000];

/** How long finished deliveries stay in the log. */
const KEEP_MS = 30 * 24 * 3600_000;

export interface WorkerOptions {
  delaysMs?: readonly number[];
  /** deliveries sent at once */
  concurrency?: number;
  /** per attempt (HTTP request, SMTP step) */
  timeoutMs?: number;
  /** deliveries looked at per run */
  batch?: number;
  now?: () => number;
  fetch?: typeof fetch;
  mail?: (db: Db, m: Mail, timeoutMs: number) => Promise<void>;
  log?: (line: string) => void;
}

type Outcome = { ok: true; status?: number } | { ok: false; status?: number; error: string };

export class DeliveryWorker {
  private readonly o: Required<WorkerOptions>;
  private current: Promise<number> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;

  constructor(
    private readonly db: Db,
    opts: WorkerOptions = {},
  ) {
    this.o = {
      delaysMs: RETRY_DELAYS_MS,
      concurrency: 4,
      timeoutMs: 10_000,
      batch: 50,
      now: Date.now,
      fetch: (...a) => fetch(...a),
      mail: sendMail,
      log: (l) => console.error(l),
      ...opts,
    };
  }

  /** One round: sends what is due; returns how many attempts it made. While a round runs, returns that one. */
  runOnce(): Promise<number> {
    this.current ??= this.round().finally(() => (this.current = null));
    return this.current;
  }

  /** Runs a round every `intervalMs` (after the previous one ended), and soon after new deliveries are stored. */
  start(intervalMs: number): void {
    this.stopped = false;
    onNewDeliveries(() => this.schedule(200));
    this.schedule(intervalMs, intervalMs);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    onNewDeliveries(undefined);
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.current?.catch(() => {});
  }

  private interval = 5000;
  private schedule(ms: number, interval = this.interval): void {
    this.interval = interval;
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.runOnce()
        .catch((e: unknown) => this.o.log(`[panel] notification delivery round failed: ${describeError(e)}`))
        .finally(() => {
          if (!this.timer) this.schedule(this.interval);
        });
    }, ms).unref();
  }

  private async round(): Promise<number> {
    const now = new Date(this.o.now());
    // the log keeps 30 days; trimmed now and then
    if (Math.random() < 0.02)
      await this.db.notifyDelivery.deleteMany({
        where: { status: { in: ["delivered", "failed"] }, createdAt: { lt: new Date(now.getTime() - KEEP_MS) } },
      });
    const due = await this.db.notifyDelivery.findMany({
      where: {
        status: "pending",
        nextAttemptAt: { lte: now },
        OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }],
      },
      orderBy: { nextAttemptAt: "asc" },
      take: this.o.batch,
    });
    const queue = [...due];
    let count = 0;
    const lane = async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const id = d.id;
        if (await this.attempt(d).catch((e: unknown) => this.o.log(`[panel] delivery ${id}: ${describeError(e)}`)))
          count++;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.o.concurrency, queue.length) }, lane));
    return count;
  }

  /** Claims and sends one delivery; false when another worker had it. */
  private async attempt(d: NotifyDelivery): Promise<boolean> {
    const now = new Date(this.o.now());
    const claimed = await this.db.notifyDelivery.updateMany({
      where: { id: d.id, status: "pending", OR: [{ lockedUntil: null }, { lockedUntil: { lt: now } }] },
      data: { lockedUntil: new Date(now.getTime() + this.o.timeoutMs * 3 + 60_000) },
    });
    if (claimed.count !== 1) return false;
    const out = await this.send(d).catch((e: unknown): Outcome => ({ ok: false, error: describeError(e) }));
    const attempts = d.attempts + 1;
    const done = new Date(this.o.now());
    const last = { lastStatus: out.status ?? null, lockedUntil: null, attempts };
    if (out.ok) {
      await this.db.notifyDelivery.update({
        where: { id: d.id },
        data: { ...last, status: "delivered", deliveredAt: done, lastError: null },
      });
      return true;
    }
    const delay = this.o.delaysMs[attempts - 1];
    await this.db.notifyDelivery.update({
      where: { id: d.id },
      data: {
        ...last,
        lastError: out.error.slice(0, 1000),
        ...(delay === undefined ? { status: "failed" } : { nextAttemptAt: new Date(done.getTime() + delay) }),
      },
    });
    return true;
  }

  private async send(d: NotifyDelivery): Promise<Outcome> {
    if (d.channel === "email") {
      await this.o.mail(this.db, { to: d.to ?? "", subject: d.subject ?? d.event, text: d.payload }, this.o.timeoutMs);
      return { ok: true };
    }
    const e = d.endpointId ? await this.db.webhookEndpoint.findUnique({ where: { id: d.endpointId } }) : null;
    if (!e) return { ok: false, error: "The webhook endpoint was deleted." };
    const ts = Math.floor(this.o.now() / 1000);
    const res = await this.o.fetch(e.url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(this.o.timeoutMs),
      headers: {
        "content-type": "application/json",
        "user-agent": "ovz-panel-webhook/1",
        "x-ovz-event": d.event,
        "x-ovz-event-id": d.eventId,
        "x-ovz-delivery": d.id,
        "x-ovz-attempt": String(d.attempts + 1),
        "x-ovz-timestamp": String(ts),
        "x-ovz-signature": signature(e.secret, ts, d.payload),
      },
      body: d.payload,
    });
    await res.body?.cancel().catch(() => {});
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status };
    return { ok: false, status: res.status, error: `The endpoint answered HTTP ${res.status} (2xx expected).` };
  }
}
