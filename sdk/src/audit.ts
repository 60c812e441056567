import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { gzip as gzipCallback } from "node:zlib";
import { v7 as uuidv7 } from "uuid";
import { backoffDelay, DEFAULT_BACKOFF, isRetryableStatus, parseRetryAfter, type BackoffOptions } from "./backoff";
import type { WardenDecision } from "./client";
import { consoleLogger, type WardenLogger } from "./logger";
import { RingBuffer } from "./ring-buffer";

const gzip = promisify(gzipCallback);

/** One event as POST /api/v1/audit-events takes it (DESIGN §3 and the AuditEvent model). */
export type AuditEvent = {
  /** UUIDv7, chosen here: a retried batch is counted as duplicates, never stored twice. */
  id: string;
  ts: string;
  source: "mcp";
  /** The end user: the token's sub. */
  actor: string;
  /** The agent: the token's azp / client_id. */
  clientId: string | null;
  server: string | null;
  tool: string | null;
  action: string;
  decision: "allow" | "deny" | "error";
  reason: string | null;
  configVersion: number | null;
  requestId: string | null;
  ip: string | null;
  details?: Record<string, unknown>;
};

export type AuditEventInput = Omit<AuditEvent, "id" | "ts" | "source" | "clientId" | "server" | "tool" | "reason" | "configVersion" | "requestId" | "ip"> &
  Partial<Pick<AuditEvent, "id" | "ts" | "clientId" | "server" | "tool" | "reason" | "configVersion" | "requestId" | "ip">>;

export type AuditReporterOptions = {
  url: string;
  apiKey: string;
  /** Events held while Warden is unreachable; the oldest are dropped (and counted) beyond it. Default 10,000. */
  capacity?: number;
  /** A batch is sent when this many events wait (max 1,000, the endpoint's limit). Default 500. */
  batchSize?: number;
  /** ...or when the oldest has waited this long. Default 5 s. */
  flushIntervalMs?: number;
  backoff?: BackoffOptions;
  logger?: WardenLogger;
  fetch?: typeof fetch;
  random?: () => number;
};

export type AuditStats = { queued: number; inFlight: number; sent: number; duplicates: number; rejected: number; dropped: number; failedAttempts: number };

const MAX_BATCH_EVENTS = 1_000;
const MAX_BATCH_BYTES = 1024 * 1024;
const SEND_TIMEOUT_MS = 15_000;

type Batch = { events: AuditEvent[]; idempotencyKey: string; attempts: number };

/**
 * Batches audit events into POST /api/v1/audit-events: a bounded ring buffer
 * (never unbounded memory while Warden is down), a flush on size or interval,
 * gzip, an Idempotency-Key that stays the same across a batch's retries, and
 * exponential backoff honouring Retry-After.
 */
export class AuditReporter {
  private readonly buffer: RingBuffer<AuditEvent>;
  private readonly options: AuditReporterOptions;
  private readonly logger: WardenLogger;
  private readonly fetchImpl: typeof fetch;
  private readonly batchSize: number;
  private batch: Batch | null = null;
  private sending: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  private closed = false;
  private reportedDrops = 0;
  private readonly counters = { sent: 0, duplicates: 0, rejected: 0, failedAttempts: 0 };

  constructor(options: AuditReporterOptions) {
    this.options = options;
    this.logger = options.logger ?? consoleLogger;
    this.fetchImpl = options.fetch ?? fetch;
    this.buffer = new RingBuffer(options.capacity ?? 10_000);
    this.batchSize = Math.min(MAX_BATCH_EVENTS, Math.max(1, options.batchSize ?? 500));
    this.arm(options.flushIntervalMs ?? 5_000);
  }

  /** Queues one event; never blocks and never throws. */
  record(input: AuditEventInput): AuditEvent {
    const event: AuditEvent = {
      clientId: null,
      server: null,
      tool: null,
      reason: null,
      configVersion: null,
      requestId: null,
      ip: null,
      ...input,
      id: input.id ?? uuidv7(),
      ts: input.ts ?? new Date().toISOString(),
      source: "mcp",
    };
    this.buffer.push(event);
    if (this.buffer.size >= this.batchSize && !this.sending && Date.now() >= this.retryAt) void this.flush();
    return event;
  }

  /** Records a tool-call decision, with who, through which agent, under which config version. */
  recordDecision(input: { decision: WardenDecision; subject: string; clientId?: string; server?: string | null; tool: string; action?: string; requestId?: string; ip?: string; details?: Record<string, unknown> }): AuditEvent {
    return this.record({
      actor: input.subject || "(anonymous)",
      clientId: input.clientId ?? null,
      server: input.server ?? null,
      tool: input.tool,
      action: input.action ?? "tool.call",
      decision: input.decision.decision,
      reason: input.decision.reason,
      configVersion: input.decision.configVersion,
      requestId: input.requestId ?? null,
      ip: input.ip ?? null,
      details: { message: input.decision.message, matchedRoles: input.decision.matchedRoles, ...(input.decision.grant ? { grant: input.decision.grant } : {}), ...input.details },
    });
  }

  stats(): AuditStats {
    return { queued: this.buffer.size, inFlight: this.batch?.events.length ?? 0, dropped: this.buffer.dropped, ...this.counters };
  }

  /** Sends everything queued now, one batch after another, until the queue is empty or a send fails. */
  flush(): Promise<void> {
    this.sending ??= this.drain().finally(() => (this.sending = null));
    return this.sending;
  }

  /** Stops the timer and tries once more to send what is left. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.retryAt = 0;
    await this.flush();
  }

  private arm(intervalMs: number) {
    this.timer = setInterval(() => {
      if (!this.sending && Date.now() >= this.retryAt && (this.batch || this.buffer.size > 0)) void this.flush();
    }, intervalMs);
    this.timer.unref?.();
  }

  private async drain(): Promise<void> {
    this.noteDrops();
    for (;;) {
      this.batch ??= this.nextBatch();
      if (!this.batch) return;
      const ok = await this.send(this.batch);
      if (!ok) return;
      this.batch = null;
    }
  }

  private nextBatch(): Batch | null {
    const events = this.buffer.take(this.batchSize);
    if (!events.length) return null;
    // Keep a batch under the endpoint's 1 MiB limit (uncompressed), returning the rest to the front by re-queueing.
    while (events.length > 1 && Buffer.byteLength(JSON.stringify({ events })) > MAX_BATCH_BYTES) {
      const rest = events.splice(Math.ceil(events.length / 2));
      const later = [...rest, ...this.buffer.take(this.buffer.size)];
      for (const event of later) this.buffer.push(event);
    }
    return { events, idempotencyKey: randomUUID(), attempts: 0 };
  }

  /** true when the batch is done with (accepted or permanently refused); false to retry it later. */
  private async send(batch: Batch): Promise<boolean> {
    batch.attempts++;
    let response: Response;
    try {
      const body = await gzip(Buffer.from(JSON.stringify({ events: batch.events })));
      response = await this.fetchImpl(new URL("/api/v1/audit-events", this.options.url), {
        method: "POST",
        headers: {
          authorization: `Bearer ${this.options.apiKey}`,
          "content-type": "application/json",
          "content-encoding": "gzip",
          "idempotency-key": batch.idempotencyKey,
        },
        body,
        signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
      });
    } catch (error) {
      return this.retryLater(batch, null, error instanceof Error ? error.message : String(error));
    }
    const text = await response.text().catch(() => "");
    if (response.status === 202 || response.status === 200) {
      const result = safeJson(text) as { accepted?: number; duplicates?: number; rejected?: { index: number; reason: string }[] } | null;
      const rejected = result?.rejected ?? [];
      this.counters.sent += result?.accepted ?? batch.events.length - rejected.length;
      this.counters.duplicates += result?.duplicates ?? 0;
      this.counters.rejected += rejected.length;
      if (rejected.length) this.logger.error(`Warden rejected ${rejected.length} audit event(s)`, { rejected: rejected.slice(0, 10) });
      this.retryAt = 0;
      return true;
    }
    if (isRetryableStatus(response.status) || response.status === 401 || response.status === 403) {
      if (response.status === 401 || response.status === 403) this.logger.error(`Warden refused the API key for audit events (HTTP ${response.status}); events are held and retried`);
      return this.retryLater(batch, parseRetryAfter(response.headers.get("retry-after")), `HTTP ${response.status}`);
    }
    // 400, 413, 415: sending the same batch again cannot succeed.
    this.counters.rejected += batch.events.length;
    this.logger.error(`Warden refused a batch of ${batch.events.length} audit event(s) with HTTP ${response.status}; they are dropped`, { body: text.slice(0, 500) });
    return true;
  }

  private retryLater(batch: Batch, retryAfterMs: number | null, why: string): false {
    this.counters.failedAttempts++;
    const delay = Math.max(backoffDelay(batch.attempts - 1, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random), retryAfterMs ?? 0);
    this.retryAt = Date.now() + delay;
    this.logger.warn(`Could not deliver ${batch.events.length} audit event(s) (${why}); retrying in ${delay} ms`, { attempts: batch.attempts, queued: this.buffer.size });
    if (!this.closed) {
      const retry = setTimeout(() => void this.flush(), delay);
      retry.unref?.();
    }
    return false;
  }

  private noteDrops() {
    const dropped = this.buffer.dropped;
    if (dropped > this.reportedDrops) {
      this.logger.error(`Dropped ${dropped - this.reportedDrops} audit event(s): the buffer of ${this.buffer.capacity} was full while Warden could not be reached`, { droppedTotal: dropped });
      this.reportedDrops = dropped;
    }
  }
}

export function createAuditReporter(options: AuditReporterOptions): AuditReporter {
  return new AuditReporter(options);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
