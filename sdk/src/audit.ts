import { randomFillSync, randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { constants as zlibConstants, gzip as gzipCallback } from "node:zlib";
import { v7 as uuidv7 } from "uuid";
import { MAX_EVENTS_PER_REQUEST, MAX_REQUEST_BYTES, type AuditEventWire } from "./contract/audit-event.ts";
import type { DecisionInputs } from "./contract/decision-inputs.ts";
import { redactSecrets } from "./contract/redact.ts";
import { auditEventJson, recordableInputs } from "./audit-event-rules.ts";
import { backoffDelay, DEFAULT_BACKOFF, isRetryableStatus, parseRetryAfter, type BackoffOptions } from "./backoff.ts";
import type { WardenDecision } from "./client.ts";
import { consoleLogger, type WardenLogger } from "./logger.ts";
import { RingBuffer } from "./ring-buffer.ts";

const gzip = promisify(gzipCallback);

/**
 * Batches are JSON of many near-identical events: the fastest level already
 * takes them to about a twentieth of their size (the default level saves a
 * few percent more for half again the CPU, spent beside the calls audited).
 */
const GZIP_LEVEL = zlibConstants.Z_BEST_SPEED;

/**
 * Random bytes for event ids, drawn from the system 4 KiB at a time: asking
 * for 16 bytes per event costs more than the rest of recording it.
 */
let randomPool = Buffer.alloc(0);
let randomAt = 0;
function random16(): Uint8Array {
  if (randomAt + 16 > randomPool.length) {
    randomPool = randomFillSync(Buffer.allocUnsafe(4096));
    randomAt = 0;
  }
  return randomPool.subarray(randomAt, (randomAt += 16));
}

/** UUIDv7 as the uuid package makes it (monotonic within a millisecond: a counter seeded at random), from pooled random bytes. */
const v7State = { msecs: -Infinity, seq: 0 };
function eventId(): string {
  const random = random16();
  const now = Date.now();
  if (now > v7State.msecs) {
    v7State.msecs = now;
    v7State.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    v7State.seq = (v7State.seq + 1) | 0;
    if (v7State.seq === 0) v7State.msecs++;
  }
  return uuidv7({ random, msecs: v7State.msecs, seq: v7State.seq });
}

/**
 * One event as this reporter sends it to POST /api/v1/audit-events: the
 * contract's event, with every field present (null when unknown) and a
 * decision always named. The id is a UUIDv7 chosen here: a retried batch is
 * counted as duplicates, never stored twice.
 */
export type AuditEvent = Required<Omit<AuditEventWire, "environment" | "decision" | "details" | "inputs">> & {
  decision: NonNullable<AuditEventWire["decision"]>;
  details?: Record<string, unknown>;
  /** What deciding the call again needs: the token's scopes, roles given, and only the claims the role mappings read. */
  inputs?: DecisionInputs;
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
  /**
   * How often one batch is sent while Warden answers a 5xx other than 503,
   * 408, or the connection breaks off, before the batch is split in halves to
   * find an event Warden cannot store. Default 5.
   */
  maxAttempts?: number;
  logger?: WardenLogger;
  fetch?: typeof fetch;
  random?: () => number;
};

/**
 * Why an event will never reach Warden:
 * - `overflow`: the buffer was full while Warden could not be reached (the oldest go first);
 * - `invalid`: refused before sending, by the rules Warden stores events by;
 * - `rejected`: Warden refused it (per event, or its whole batch with a 4xx);
 * - `poison`: Warden kept failing it alone while it stored other events.
 */
export type AuditDropReason = "overflow" | "invalid" | "rejected" | "poison";

export type AuditStats = {
  queued: number;
  /** Taken from the queue and not settled yet: the batch being sent, its halves, events awaiting a verdict. */
  inFlight: number;
  sent: number;
  duplicates: number;
  dropped: Record<AuditDropReason, number> & { total: number };
  failedAttempts: number;
};

const MAX_BATCH_EVENTS = MAX_EVENTS_PER_REQUEST;
const MAX_BATCH_BYTES = MAX_REQUEST_BYTES;
const SEND_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_ATTEMPTS = 5;
/** Events set aside after failing alone, until Warden shows it stores others; beyond it, the reporter waits (an outage looks like this). */
const MAX_SUSPECT_EVENTS = 100;
/** How many dropped events one log line names. */
const LOGGED_DROPS = 10;

/** An event waiting to be sent, with its JSON as written when it was recorded. */
type Queued = { event: AuditEvent; json: string };

type Batch = {
  events: AuditEvent[];
  /** Each event's JSON, in order: the body is these, joined. */
  json: string[];
  /** The body, once written. */
  body?: string;
  /** Kept across the retries of this body; a half is a new body, with a new key. */
  idempotencyKey: string;
  /** Failures that may be this body's fault (a 5xx other than 503, 408, a connection that broke off); they bound its attempts. */
  failures: number;
  /** The reporter's delivery count when these failures began: a higher count now means Warden stores other batches meanwhile. */
  deliveriesBefore: number;
};

/** What an attempt to send a batch came to. */
type Answer =
  | { kind: "delivered"; accepted: number; duplicates: number; rejected: { index: number; reason: string }[] }
  /** 400, 413, 422: something in this body; halves narrow it down. */
  | { kind: "refused"; status: number; error: string }
  /** Another 4xx: no smaller body would fare better. */
  | { kind: "unusable"; status: number; error: string }
  /** The body could not be written (each event is written as JSON when recorded, so this is a failure to compress it). */
  | { kind: "unencodable"; error: string }
  | { kind: "failed"; why: string; retryAfterMs: number | null; countsTowardBound: boolean };

/**
 * Batches audit events into POST /api/v1/audit-events: a bounded ring buffer
 * (never unbounded memory while Warden is down), a flush on size or interval,
 * gzip, an Idempotency-Key that stays the same across a batch's retries, and
 * exponential backoff honouring Retry-After.
 *
 * A producer is never stuck behind one event Warden cannot store:
 * - events that break Warden's input rules are refused before sending;
 * - a batch that keeps failing (a 5xx other than 503, 408, a connection that
 *   broke off) is sent at most `maxAttempts` times, then in halves,
 *   recursively; so is a batch refused whole with 400, 413 or 422;
 * - a lone event is dropped once it has failed `maxAttempts` times in a row
 *   after Warden stored another batch. One that failed before any such proof
 *   is set aside (later events go ahead) and gets its attempts afresh after
 *   the next delivery. Without that proof, failures are an outage, not
 *   poison, and nothing is dropped for them;
 * - 429, 503 and an unreachable Warden wait (honouring Retry-After) without
 *   counting toward the bound, and so do 401, 403, 404 and 405: a wrong key
 *   or URL needs a human, and the events stay held meanwhile.
 * Every drop is counted by reason and logged once per batch, by event id and
 * reason, never by content.
 */
export class AuditReporter {
  private readonly buffer: RingBuffer<Queued>;
  private readonly options: AuditReporterOptions;
  private readonly logger: WardenLogger;
  private readonly fetchImpl: typeof fetch;
  private readonly batchSize: number;
  private readonly maxAttempts: number;
  /** Batches taken from the buffer and not settled, next to send first: a batch, or the halves it was split into. */
  private readonly pending: Batch[] = [];
  /** Lone events that failed their attempts while Warden stored nothing else. */
  private suspects: Batch[] = [];
  private sending: Promise<void> | null = null;
  /** The drain under way sends everything queued, not only full batches. */
  private drainAll = false;
  private timer: NodeJS.Timeout | null = null;
  private retryAt = 0;
  private consecutiveFailures = 0;
  private deliveries = 0;
  private closed = false;
  private reportedOverflow = 0;
  private readonly counters = { sent: 0, duplicates: 0, failedAttempts: 0 };
  private readonly droppedBy: Record<Exclude<AuditDropReason, "overflow">, number> = { invalid: 0, rejected: 0, poison: 0 };
  /** Drops not logged yet, by reason, with the first few events' ids and reasons. */
  private readonly unloggedDrops = new Map<AuditDropReason, { count: number; events: { id: string; reason: string }[] }>();

  constructor(options: AuditReporterOptions) {
    this.options = options;
    this.logger = options.logger ?? consoleLogger;
    this.fetchImpl = options.fetch ?? fetch;
    this.buffer = new RingBuffer(options.capacity ?? 10_000);
    this.batchSize = Math.min(MAX_BATCH_EVENTS, Math.max(1, options.batchSize ?? 500));
    this.maxAttempts = Math.max(1, options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
    this.arm(options.flushIntervalMs ?? 5_000);
  }

  /**
   * Queues one event; never blocks and never throws. An event Warden could
   * not store is not queued: it is counted as dropped (`invalid`) and logged
   * with the next batch.
   */
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
      id: input.id ?? eventId(),
      ts: input.ts ?? new Date().toISOString(),
      source: "mcp",
    };
    const checked = auditEventJson(event);
    if ("problem" in checked) {
      this.drop("invalid", event, checked.problem);
      return event;
    }
    this.buffer.push({ event, json: checked.json });
    if (this.buffer.size >= this.batchSize && !this.sending && Date.now() >= this.retryAt) void this.startDrain();
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
      ...recordedInputs(input.decision.inputs),
    });
  }

  stats(): AuditStats {
    const dropped = { overflow: this.buffer.dropped, ...this.droppedBy };
    const held = (batches: Batch[]) => batches.reduce((sum, batch) => sum + batch.events.length, 0);
    return {
      queued: this.buffer.size,
      inFlight: held(this.pending) + held(this.suspects),
      ...this.counters,
      dropped: { ...dropped, total: dropped.overflow + dropped.invalid + dropped.rejected + dropped.poison },
    };
  }

  /** Sends everything queued now, one batch after another, until the queue is empty or a send must wait. */
  flush(): Promise<void> {
    this.drainAll = true;
    return this.startDrain();
  }

  /**
   * Sends batches until there is nothing it should send: full batches only,
   * unless a flush (the interval, a retry, close, or a caller) asked for
   * everything. Under steady traffic a drain that took whatever was queued
   * would send a small batch every round trip, each costing a request and a
   * gzip, instead of one full batch per batch size.
   */
  private startDrain(): Promise<void> {
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
      this.drainAll = false;
    });
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
      if (!this.sending && Date.now() >= this.retryAt && (this.hasWork() || this.unloggedDrops.size > 0)) void this.flush();
    }, intervalMs);
    this.timer.unref?.();
  }

  private hasWork(): boolean {
    return this.pending.length > 0 || this.buffer.size > 0 || this.suspects.length > 0;
  }

  private async drain(): Promise<void> {
    this.noteOverflow();
    try {
      for (;;) {
        const batch = this.nextWork();
        if (!batch) return;
        if (!this.settle(batch, await this.send(batch))) return;
        // A batch taken from the buffer is done with, halves and all: say what it lost.
        if (!this.pending.length) this.logDrops();
      }
    } finally {
      this.logDrops();
    }
  }

  /** The batch to send now: a pending one, else a new one from the buffer, else a set-aside event (nothing else can prove Warden up). */
  private nextWork(): Batch | null {
    if (!this.pending.length) {
      const next = this.drainAll ? (this.nextBatch() ?? this.suspects.shift()) : this.buffer.size >= this.batchSize ? this.nextBatch() : null;
      if (next) this.pending.push(next);
    }
    return this.pending[0] ?? null;
  }

  private nextBatch(): Batch | null {
    const queued = this.buffer.take(this.batchSize);
    if (!queued.length) return null;
    // Keep a batch under the endpoint's 1 MiB limit (uncompressed), returning the rest to the front by re-queueing.
    let json = queued.map((item) => item.json);
    let body = batchBody(json);
    while (queued.length > 1 && Buffer.byteLength(body) > MAX_BATCH_BYTES) {
      const rest = queued.splice(Math.ceil(queued.length / 2));
      const later = [...rest, ...this.buffer.take(this.buffer.size)];
      for (const item of later) this.buffer.push(item);
      json = queued.map((item) => item.json);
      body = batchBody(json);
    }
    return { ...this.newBatch(queued.map((item) => item.event), json), body };
  }

  private newBatch(events: AuditEvent[], json: string[]): Batch {
    return { events, json, idempotencyKey: randomUUID(), failures: 0, deliveriesBefore: this.deliveries };
  }

  /** A batch's two halves, in order: new bodies, so new keys and a fresh bound each. */
  private halves(batch: Batch): Batch[] {
    const middle = Math.ceil(batch.events.length / 2);
    return [this.newBatch(batch.events.slice(0, middle), batch.json.slice(0, middle)), this.newBatch(batch.events.slice(middle), batch.json.slice(middle))];
  }

  /** Acts on an attempt's answer; true to go on with the next batch, false to wait for the scheduled retry. */
  private settle(batch: Batch, answer: Answer): boolean {
    switch (answer.kind) {
      case "delivered": {
        this.pending.shift();
        this.deliveries++;
        this.consecutiveFailures = 0;
        this.retryAt = 0;
        this.counters.sent += answer.accepted;
        this.counters.duplicates += answer.duplicates;
        for (const { index, reason } of answer.rejected) {
          const event = batch.events[index];
          if (event) this.drop("rejected", event, reason);
        }
        // Warden stores events now: what failed alone before gets its attempts afresh, and this delivery is the proof that counts.
        for (const suspect of this.suspects) Object.assign(suspect, { failures: 0, deliveriesBefore: this.deliveries - 1 });
        this.pending.unshift(...this.suspects);
        this.suspects = [];
        return true;
      }
      case "refused":
      case "unencodable": {
        this.pending.shift();
        const why = answer.kind === "refused" ? `HTTP ${answer.status}: ${answer.error}` : answer.error;
        if (batch.events.length > 1) {
          this.pending.unshift(...this.halves(batch));
          return true;
        }
        this.drop(answer.kind === "refused" ? "rejected" : "invalid", batch.events[0]!, why);
        return true;
      }
      case "unusable":
        this.pending.shift();
        for (const event of batch.events) this.drop("rejected", event, `HTTP ${answer.status}: ${answer.error}`);
        return true;
      case "failed":
        return this.settleFailure(batch, answer);
    }
  }

  private settleFailure(batch: Batch, answer: Extract<Answer, { kind: "failed" }>): boolean {
    this.counters.failedAttempts++;
    this.consecutiveFailures++;
    if (answer.countsTowardBound) batch.failures++;
    if (!answer.countsTowardBound || batch.failures < this.maxAttempts) return this.retryLater(batch, answer);
    if (batch.events.length > 1) {
      this.pending.shift();
      this.pending.unshift(...this.halves(batch));
      this.logger.warn(`Warden failed a batch of ${batch.events.length} audit events ${batch.failures} times (${answer.why}); sending it in halves to find any event it cannot store`);
      return true;
    }
    if (this.deliveries > batch.deliveriesBefore) {
      this.pending.shift();
      this.drop("poison", batch.events[0]!, `Warden failed it alone ${batch.failures} times (last: ${answer.why}) while storing other events`);
      return true;
    }
    if (this.suspects.length >= MAX_SUSPECT_EVENTS) return this.retryLater(batch, answer);
    this.pending.shift();
    this.suspects.push(batch);
    return this.pending.length > 0 || this.buffer.size > 0 ? true : this.retryLater(batch, answer);
  }

  private async send(batch: Batch): Promise<Answer> {
    let body: Awaited<ReturnType<typeof gzip>>;
    try {
      body = await gzip((batch.body ??= batchBody(batch.json)), { level: GZIP_LEVEL });
    } catch (error) {
      return { kind: "unencodable", error: `cannot be written as JSON (${errorText(error)})` };
    }
    let response: Response;
    try {
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
      // Nobody listening is an outage; a request that hung or broke off may have broken Warden.
      return { kind: "failed", why: errorText(error), retryAfterMs: null, countsTowardBound: !isUnreachable(error) };
    }
    const text = await response.text().catch(() => "");
    const { status } = response;
    if (status === 202 || status === 200) {
      const result = safeJson(text) as { accepted?: number; duplicates?: number; rejected?: { index: number; reason: string }[] } | null;
      const rejected = Array.isArray(result?.rejected) ? result.rejected : [];
      return { kind: "delivered", accepted: result?.accepted ?? batch.events.length - rejected.length, duplicates: result?.duplicates ?? 0, rejected };
    }
    const error = errorMessage(text);
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
    if (status === 401 || status === 403 || status === 404 || status === 405) {
      // Not a poison case: the key or the URL is wrong, and every event would fare the same. Events
      // stay held (the buffer is bounded, its overflow counted) and are retried until a human fixes it.
      const problem = status === 401 || status === 403 ? "refused the API key for audit events" : "has no audit endpoint at this URL";
      this.logger.error(`Warden ${problem} (HTTP ${status}: ${redactSecrets(error)}); events are held and retried`, { status });
      return { kind: "failed", why: `HTTP ${status}`, retryAfterMs, countsTowardBound: false };
    }
    if (status === 400 || status === 413 || status === 422) return { kind: "refused", status, error };
    // 429 and 503 (Warden's answer while its database is down) say "later", not "this batch".
    if (isRetryableStatus(status)) return { kind: "failed", why: `HTTP ${status}`, retryAfterMs, countsTowardBound: status !== 429 && status !== 503 };
    return { kind: "unusable", status, error };
  }

  private retryLater(batch: Batch, answer: Extract<Answer, { kind: "failed" }>): false {
    const delay = Math.max(backoffDelay(this.consecutiveFailures - 1, this.options.backoff ?? DEFAULT_BACKOFF, this.options.random), answer.retryAfterMs ?? 0);
    this.retryAt = Date.now() + delay;
    this.logger.warn(`Could not deliver ${batch.events.length} audit event(s) (${answer.why}); retrying in ${delay} ms`, { failures: batch.failures, queued: this.buffer.size });
    if (!this.closed) {
      const retry = setTimeout(() => void this.flush(), delay);
      retry.unref?.();
    }
    return false;
  }

  private drop(reason: Exclude<AuditDropReason, "overflow">, event: AuditEvent, why: string) {
    this.droppedBy[reason]++;
    const entry = this.unloggedDrops.get(reason) ?? { count: 0, events: [] };
    entry.count++;
    // Ids and reasons only: an event's contents never reach the log.
    if (entry.events.length < LOGGED_DROPS) entry.events.push({ id: String(event.id), reason: redactSecrets(why) });
    this.unloggedDrops.set(reason, entry);
  }

  private logDrops() {
    for (const [reason, { count, events }] of this.unloggedDrops) {
      const what =
        reason === "invalid"
          ? `Refused ${count} audit event(s) Warden could not store (checked before sending)`
          : reason === "rejected"
            ? `Warden rejected ${count} audit event(s)`
            : `Gave up on ${count} audit event(s) Warden kept failing while it stored others`;
      this.logger.error(`${what}; they are dropped`, { reason, count, events });
    }
    this.unloggedDrops.clear();
  }

  private noteOverflow() {
    const dropped = this.buffer.dropped;
    if (dropped > this.reportedOverflow) {
      this.logger.error(`Dropped ${dropped - this.reportedOverflow} audit event(s): the buffer of ${this.buffer.capacity} was full while Warden could not be reached`, { droppedTotal: dropped });
      this.reportedOverflow = dropped;
    }
  }
}

/** Errors that mean no Warden answered at all (refused, unresolvable, unroutable), rather than one that broke off. */
function isUnreachable(error: unknown): boolean {
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof code === "string" && ["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"].includes(code);
}

function errorText(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof cause === "string" ? `${message}: ${cause}` : message;
}

/** Warden's {"error": …} sentence, or the start of whatever else came back. */
function errorMessage(text: string): string {
  const parsed = safeJson(text) as { error?: unknown } | null;
  return typeof parsed?.error === "string" ? parsed.error : text.slice(0, 200) || "(no details)";
}

/**
 * A decision's inputs as an event records them: redacted, and only when
 * recordable. Inputs frozen all the way down (a decision remembered and
 * shared by many calls) cannot change, so they are worked out once.
 */
const inputsOfFrozen = new WeakMap<DecisionInputs, { inputs?: DecisionInputs }>();
function recordedInputs(inputs: DecisionInputs | undefined): { inputs?: DecisionInputs } {
  if (inputs === undefined) return {};
  const known = inputsOfFrozen.get(inputs);
  if (known) return known;
  if (!deeplyFrozen(inputs, 0)) return recordableInputs(inputs) ? { inputs: redactSecrets(inputs) } : {};
  // Shared by every event that records these inputs, so frozen like them.
  const recorded = recordableInputs(inputs) ? { inputs: deepFreeze(redactSecrets(inputs)) } : {};
  inputsOfFrozen.set(inputs, recorded);
  return recorded;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object") {
    for (const member of Object.values(value)) deepFreeze(member);
    Object.freeze(value);
  }
  return value;
}

function deeplyFrozen(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== "object") return true;
  if (depth > 32 || !Object.isFrozen(value)) return false;
  return Object.values(value).every((member) => deeplyFrozen(member, depth + 1));
}

/** The request body for events already written as JSON: what JSON.stringify({ events }) gives for them. */
function batchBody(json: string[]): string {
  return `{"events":[${json.join(",")}]}`;
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
