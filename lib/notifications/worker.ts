import "server-only";
import { Webhook as StandardWebhook } from "standardwebhooks";
import type { Db } from "@/lib/db/client";
import { decryptSecret } from "@/lib/crypto/encryption";
import { describeSendError, postToDestination, type DestinationPolicy } from "./destination";
import { slackBody, type NotificationEvent } from "./events";

/**
 * Delivers the webhook outbox. Each destination's queue is sent in order, one
 * message at a time: the worker leases the oldest pending delivery of a
 * destination (FOR UPDATE SKIP LOCKED, then a lease time), so several Warden
 * instances can run workers side by side without sending a message twice at
 * once or overtaking one another. A failure keeps the head of the queue and
 * retries it with exponential backoff; after 24 h it is marked FAILED and the
 * queue moves on.
 */

export type WebhookWorkerOptions = {
  db: () => Db;
  encryptionKey: () => Buffer;
  policy: DestinationPolicy;
  /** The dashboard's public URL, for links in messages. */
  publicUrl: string;
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  backoffBaseMs?: number;
  maxBackoffMs?: number;
  /** How long a message is retried before it counts as failed. */
  giveUpAfterMs?: number;
  /** How often the worker looks for due deliveries. */
  pollMs?: number;
  log?: (message: string) => void;
};

export const DEFAULT_BACKOFF_BASE_MS = 5_000;
export const DEFAULT_MAX_BACKOFF_MS = 60 * 60_000;
export const GIVE_UP_AFTER_MS = 24 * 60 * 60_000;
const LEASE_SECONDS = 60;
const BATCH = 20;

/** The delay before attempt n + 1, after n failed attempts: base · 2^(n-1), capped, with ±10% jitter. */
export function backoffDelay(failedAttempts: number, baseMs = DEFAULT_BACKOFF_BASE_MS, maxMs = DEFAULT_MAX_BACKOFF_MS, random = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, failedAttempts - 1));
  return Math.round(exponential * (0.9 + random() * 0.2));
}

type Claimed = {
  seq: bigint;
  id: string;
  webhookId: string;
  messageId: string;
  payload: NotificationEvent;
  attempts: number;
  createdAt: Date;
  url: string;
  format: "STANDARD" | "SLACK";
  secretEncrypted: string;
};

/** Leases the head of each destination's queue that is due and not held by another worker. */
export async function claimDueDeliveries(db: Db, limit = BATCH): Promise<Claimed[]> {
  return db.$queryRawUnsafe<Claimed[]>(
    `WITH heads AS (
       SELECT DISTINCT ON (d."webhookId") d."seq", d."nextAttemptAt", d."leaseUntil"
       FROM "WebhookDelivery" d JOIN "Webhook" w ON w."id" = d."webhookId"
       WHERE d."status" = 'PENDING' AND (w."enabled" OR d."eventType" = 'webhook.test')
       ORDER BY d."webhookId", d."seq"
     ),
     due AS (
       SELECT d."seq" FROM "WebhookDelivery" d
       WHERE d."seq" IN (SELECT "seq" FROM heads WHERE "nextAttemptAt" <= now() AND ("leaseUntil" IS NULL OR "leaseUntil" < now()))
       ORDER BY d."seq" LIMIT ${Number(limit)}
       FOR UPDATE SKIP LOCKED
     )
     UPDATE "WebhookDelivery" d SET "leaseUntil" = now() + interval '${LEASE_SECONDS} seconds'
     FROM due, "Webhook" w
     WHERE d."seq" = due."seq" AND w."id" = d."webhookId" AND d."status" = 'PENDING' AND (d."leaseUntil" IS NULL OR d."leaseUntil" < now())
     RETURNING d."seq", d."id"::text AS "id", d."webhookId"::text AS "webhookId", d."messageId", d."payload", d."attempts", d."createdAt",
               w."url", w."format"::text AS "format", w."secretEncrypted"`,
  );
}

/** The signed request for one delivery: Standard Webhooks headers over the exact body sent. */
export function signedRequest(delivery: Pick<Claimed, "messageId" | "payload" | "format">, secret: string, publicUrl: string, now = new Date()) {
  const body = JSON.stringify(delivery.format === "SLACK" ? slackBody(delivery.payload, publicUrl, now) : delivery.payload);
  const signature = new StandardWebhook(secret).sign(delivery.messageId, now, body);
  return {
    body,
    headers: {
      "content-type": "application/json",
      "webhook-id": delivery.messageId,
      "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
      "webhook-signature": signature,
    },
  };
}

export async function deliverOne(options: WebhookWorkerOptions, delivery: Claimed): Promise<"delivered" | "retry" | "failed"> {
  const db = options.db();
  const now = new Date();
  let status: number | null = null;
  let durationMs: number | null = null;
  let error: string | null = null;
  try {
    const secret = decryptSecret(delivery.secretEncrypted, options.encryptionKey());
    const request = signedRequest(delivery, secret, options.publicUrl, now);
    const result = await postToDestination(delivery.url, request.body, request.headers, options.policy);
    status = result.status;
    durationMs = result.durationMs;
    if (status < 200 || status >= 300) error = `The destination answered HTTP ${status}.`;
  } catch (caught) {
    error = describeSendError(caught);
    durationMs = Date.now() - now.getTime();
  }
  const attempts = delivery.attempts + 1;
  const common = { attempts, lastAttemptAt: now, lastStatusCode: status, lastDurationMs: durationMs, lastError: error, leaseUntil: null };
  if (!error) {
    await db.webhookDelivery.update({ where: { seq: delivery.seq }, data: { ...common, status: "DELIVERED", deliveredAt: new Date() } });
    return "delivered";
  }
  const delay = backoffDelay(attempts, options.backoffBaseMs, options.maxBackoffMs);
  const giveUp = now.getTime() + delay - new Date(delivery.createdAt).getTime() > (options.giveUpAfterMs ?? GIVE_UP_AFTER_MS);
  await db.webhookDelivery.update({
    where: { seq: delivery.seq },
    data: giveUp ? { ...common, status: "FAILED" } : { ...common, nextAttemptAt: new Date(now.getTime() + delay) },
  });
  return giveUp ? "failed" : "retry";
}

/** One pass: sends every due head of queue (destinations in parallel), then the next heads, until nothing is due. */
export async function runWebhookDeliveries(options: WebhookWorkerOptions): Promise<{ delivered: number; retried: number; failed: number }> {
  const totals = { delivered: 0, retried: 0, failed: 0 };
  for (let round = 0; round < 50; round++) {
    const claimed = await claimDueDeliveries(options.db());
    if (claimed.length === 0) break;
    const outcomes = await Promise.all(claimed.map((delivery) => deliverOne(options, delivery)));
    for (const outcome of outcomes) totals[outcome === "delivered" ? "delivered" : outcome === "retry" ? "retried" : "failed"]++;
    if (outcomes.every((outcome) => outcome !== "delivered")) break;
  }
  return totals;
}

/** Runs the worker until stopped; passes never overlap. */
export function startWebhookWorker(options: WebhookWorkerOptions): { stop: () => Promise<void> } {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    running = runWebhookDeliveries(options)
      .then((totals) => {
        if (totals.failed) options.log?.(`webhooks: ${totals.failed} message(s) failed for good after 24 h of retries`);
      })
      .catch((error: unknown) => options.log?.(`webhook delivery pass failed: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.pollMs ?? 1_000);
      });
  };
  timer = setTimeout(tick, options.pollMs ?? 1_000);
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
