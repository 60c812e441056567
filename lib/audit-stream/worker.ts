import "server-only";
import { chainsOf } from "@/lib/audit/record";
import { decryptSecret } from "@/lib/crypto/encryption";
import type { Db } from "@/lib/db/client";
import { describeSendError, postToDestination, type DestinationPolicy } from "@/lib/notifications/destination";
import { backoffDelay } from "@/lib/notifications/worker";
import { encodeOtlpLogs, toLogRecords, type StreamedAuditEvent } from "./encode";

/**
 * Streams each environment's stored audit events to its OTLP/HTTP endpoint.
 *
 * Order and resumption: an environment's events live in a few hash chains
 * (lanes); within a chain, `seq` grows in commit order, because a chain is
 * extended by one transaction at a time. The stream's cursor is the last seq
 * delivered per chain, persisted after each accepted batch: a restart or an
 * outage resumes from there. A batch whose answer was lost is sent again
 * (at least once); each record carries the event id to de-duplicate on.
 *
 * Several instances: a stream is leased (conditional UPDATE on the lease
 * time) by one worker at a time, and the cursor only moves under that lease.
 */

export type AuditStreamWorkerOptions = {
  db: () => Db;
  encryptionKey: () => Buffer;
  policy: DestinationPolicy;
  /** Events per chain per request (a request holds up to this many times the number of lanes). */
  batchPerChain?: number;
  pollMs?: number;
  backoffBaseMs?: number;
  log?: (message: string) => void;
};

const LEASE_SECONDS = 30;
// A collector is usually back within minutes; the stream checks at least this often.
const MAX_BACKOFF_MS = 30_000;
const DEFAULT_BATCH_PER_CHAIN = 1_000;
/** A worker hands a stream back after this long, so other instances get a turn. */
const TURN_MS = 20_000;

type Claimed = { environmentId: string; environmentKey: string; endpoint: string; encoding: "JSON" | "PROTOBUF"; headersEncrypted: string | null; cursor: Record<string, string>; lease: Date };

async function claimStreams(db: Db, skip: string[]): Promise<Claimed[]> {
  return db.$queryRawUnsafe<Claimed[]>(
    `UPDATE "AuditStream" s SET "leaseUntil" = date_trunc('milliseconds', now()) + interval '${LEASE_SECONDS} seconds'
     FROM "Environment" e
     WHERE e."id" = s."environmentId" AND s."enabled" AND ("leaseUntil" IS NULL OR "leaseUntil" < now()) AND NOT (s."environmentId"::text = ANY($1::text[]))
     RETURNING s."environmentId"::text AS "environmentId", e."key" AS "environmentKey", s."endpoint", s."encoding"::text AS "encoding", s."headersEncrypted", s."cursor", s."leaseUntil" AS "lease"`,
    skip,
  );
}

async function readBatch(db: Db, environmentId: string, cursor: Record<string, string>, perChain: number): Promise<StreamedAuditEvent[]> {
  const chains = chainsOf(environmentId);
  return db.$queryRawUnsafe<StreamedAuditEvent[]>(
    `SELECT e."id"::text AS "id", e."seq", e."chain", e."ts", e."receivedAt", e."source"::text AS "source", e."actor", e."actorLabel", e."clientId", e."server", e."tool",
            e."action", e."target", e."decision"::text AS "decision", e."reason", e."configVersion", e."requestId", e."ip", e."details", e."prevHash", e."hash"
     FROM unnest($1::text[], $2::bigint[]) AS c("chain", "after")
     CROSS JOIN LATERAL (SELECT * FROM "AuditEvent" WHERE "chain" = c."chain" AND "seq" > c."after" ORDER BY "seq" LIMIT ${Number(perChain)}) e`,
    chains,
    chains.map((chain) => cursor[chain] ?? "0"),
  );
}

/** Sends one stream's backlog, batch by batch, for one turn. Returns how many events were accepted, or throws the delivery error. */
async function streamTurn(options: AuditStreamWorkerOptions, stream: Claimed, stopped: () => boolean = () => false): Promise<number> {
  const db = options.db();
  const cursor = { ...stream.cursor };
  let lease = stream.lease;
  let sent = 0;
  const started = Date.now();
  const headers = stream.headersEncrypted ? (JSON.parse(decryptSecret(stream.headersEncrypted, options.encryptionKey())) as Record<string, string>) : {};
  const perChain = options.batchPerChain ?? DEFAULT_BATCH_PER_CHAIN;
  const advanced = (from: Record<string, string>, events: StreamedAuditEvent[]) => {
    const next = { ...from };
    for (const event of events) {
      const seq = BigInt(event.seq);
      if (seq > BigInt(next[event.chain] ?? "0")) next[event.chain] = seq.toString();
    }
    return next;
  };
  let events = await readBatch(db, stream.environmentId, cursor, perChain);
  while (events.length > 0 && Date.now() - started < TURN_MS && !stopped()) {
    const { body, contentType } = encodeOtlpLogs(stream.encoding, toLogRecords(stream.environmentKey, events));
    const attemptAt = new Date();
    let failure: string | null = null;
    // The next batch is read while this one is on its way: a pipeline of two, so the database and the collector overlap.
    const nextCursor = advanced(cursor, events);
    const prefetch = readBatch(db, stream.environmentId, nextCursor, perChain);
    prefetch.catch(() => undefined);
    try {
      const result = await postToDestination(stream.endpoint, Buffer.from(body.buffer, body.byteOffset, body.byteLength), { ...headers, "content-type": contentType }, options.policy);
      if (result.status < 200 || result.status >= 300) failure = `The collector answered HTTP ${result.status}.`;
    } catch (error) {
      failure = describeSendError(error);
    }
    if (failure) {
      await db.auditStream.updateMany({ where: { environmentId: stream.environmentId, leaseUntil: lease }, data: { lastError: failure, lastAttemptAt: attemptAt, leaseUntil: null } });
      throw new Error(failure);
    }
    Object.assign(cursor, nextCursor);
    const nextLease = new Date(Date.now() + LEASE_SECONDS * 1000);
    // Only under our lease: had it expired and another worker taken over, this batch simply counts as sent twice.
    const moved = await db.auditStream.updateMany({
      where: { environmentId: stream.environmentId, leaseUntil: lease },
      data: { cursor, streamedCount: { increment: events.length }, lastSuccessAt: new Date(), lastAttemptAt: attemptAt, lastError: null, leaseUntil: nextLease },
    });
    if (moved.count === 0) return sent;
    lease = nextLease;
    sent += events.length;
    events = await prefetch;
  }
  await db.auditStream.updateMany({ where: { environmentId: stream.environmentId, leaseUntil: lease }, data: { leaseUntil: null } });
  return sent;
}

/** Starts the streaming worker; one pass per poll, backlogs sent in full before the next poll. */
export function startAuditStreamWorker(options: AuditStreamWorkerOptions): { stop: () => Promise<void>; runOnce: () => Promise<number> } {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> = Promise.resolve();
  const failures = new Map<string, { count: number; retryAt: number }>();

  async function runOnce(): Promise<number> {
    const db = options.db();
    const now = Date.now();
    const waiting = [...failures.entries()].filter(([, failure]) => failure.retryAt > now).map(([id]) => id);
    const claimed = await claimStreams(db, waiting);
    const sent = await Promise.all(
      claimed.map(async (stream) => {
        try {
          const count = await streamTurn(options, stream, () => stopped);
          failures.delete(stream.environmentId);
          return count;
        } catch (error) {
          const count = (failures.get(stream.environmentId)?.count ?? 0) + 1;
          failures.set(stream.environmentId, { count, retryAt: Date.now() + backoffDelay(count, options.backoffBaseMs ?? 1_000, MAX_BACKOFF_MS) });
          if (count === 1) options.log?.(`audit stream for ${stream.environmentKey} failed, retrying with backoff: ${error instanceof Error ? error.message : String(error)}`);
          return 0;
        }
      }),
    );
    return sent.reduce((sum, count) => sum + count, 0);
  }

  const tick = () => {
    running = runOnce()
      .catch((error: unknown) => options.log?.(`audit stream pass failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.pollMs ?? 1_000);
      });
  };
  timer = setTimeout(tick, options.pollMs ?? 1_000);
  return {
    runOnce,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
