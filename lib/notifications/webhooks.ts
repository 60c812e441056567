import "server-only";
import { randomBytes } from "node:crypto";
import { v7 as uuidv7 } from "uuid";
import { z } from "zod";
import { recordAdminEvent, type AuditActor } from "@/lib/audit/record";
import { decryptSecret, encryptSecret } from "@/lib/crypto/encryption";
import type { Db } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import { DomainError, NotFoundError } from "@/lib/errors";
import { safeString } from "@/lib/input/rules";
import { decodeCursor, encodeCursor } from "@/lib/list-query";
import { checkDestination, destinationUrlProblem, type DestinationPolicy } from "./destination";
import { NOTIFICATION_EVENT_TYPES, TEST_EVENT_TYPE, type NotificationEvent } from "./events";

const UrlSchema = safeString()
  .trim()
  .min(1, "Enter the destination URL")
  .max(2_048, "At most 2,048 characters")
  .superRefine((value, ctx) => {
    const problem = destinationUrlProblem(value);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

const EventsSchema = z.array(z.enum(NOTIFICATION_EVENT_TYPES)).min(1, "Choose at least one event").max(NOTIFICATION_EVENT_TYPES.length);

export const CreateWebhookSchema = z.object({
  name: safeString().trim().min(1, "Name the destination").max(100, "At most 100 characters"),
  url: UrlSchema,
  events: EventsSchema,
  format: z.enum(["STANDARD", "SLACK"]).default("STANDARD"),
});

export const UpdateWebhookSchema = z.object({
  id: z.uuid(),
  name: CreateWebhookSchema.shape.name.optional(),
  url: UrlSchema.optional(),
  events: EventsSchema.optional(),
  format: z.enum(["STANDARD", "SLACK"]).optional(),
  enabled: z.boolean().optional(),
});

export const WebhookIdSchema = z.object({ id: z.uuid() });
export const DeliveryIdSchema = z.object({ webhookId: z.uuid(), deliveryId: z.uuid() });

export const DeliveryListSchema = z.object({
  status: z.enum(["PENDING", "DELIVERED", "FAILED", "all"]).catch("all"),
  before: z.string().max(200).optional().catch(undefined),
});

/** A Standard Webhooks secret: "whsec_" and 32 random bytes in base64. */
function newSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

async function assertDestination(url: string, policy: DestinationPolicy) {
  const problem = await checkDestination(url, policy);
  if (problem) throw new DomainError(problem, { url: [problem] });
}

function uniqueName(error: unknown): never {
  if ((error as { code?: string })?.code === "P2002") throw new DomainError("A webhook with this name already exists in this environment.", { name: ["Already used"] });
  throw error;
}

/** ADMIN and above (the caller checks). The secret is returned this once; the database keeps it encrypted. */
export async function createWebhook(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof CreateWebhookSchema>, key: Buffer, policy: DestinationPolicy) {
  await assertDestination(input.url, policy);
  const secret = newSecret();
  const row = await db
    .$transaction(async (tx) => {
      const row = await tx.webhook.create({ data: { environmentId, name: input.name, url: input.url, events: input.events, format: input.format, secretEncrypted: encryptSecret(secret, key) } });
      await recordAdminEvent(tx, actor, {
        action: "webhook.created",
        target: `webhook:${row.id}`,
        environmentId,
        details: { name: row.name, url: redactUrl(row.url), events: row.events, format: row.format },
      });
      return row;
    })
    .catch(uniqueName);
  return { id: row.id, secret };
}

export async function updateWebhook(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof UpdateWebhookSchema>, policy: DestinationPolicy) {
  if (input.url) await assertDestination(input.url, policy);
  return db
    .$transaction(async (tx) => {
      const before = await tx.webhook.findFirst({ where: { id: input.id, environmentId } });
      if (!before) throw new NotFoundError("Webhook");
      const { id, ...changes } = input;
      const after = await tx.webhook.update({ where: { id }, data: changes });
      const changed = Object.fromEntries(
        (Object.keys(changes) as (keyof typeof changes)[])
          .filter((field) => changes[field] !== undefined && JSON.stringify(before[field]) !== JSON.stringify(after[field]))
          .map((field) => [field, field === "url" ? { from: redactUrl(before.url), to: redactUrl(after.url) } : { from: before[field], to: after[field] }]),
      );
      if (Object.keys(changed).length) {
        await recordAdminEvent(tx, actor, {
          action: changes.enabled !== undefined && Object.keys(changed).length === 1 ? (after.enabled ? "webhook.enabled" : "webhook.disabled") : "webhook.updated",
          target: `webhook:${id}`,
          environmentId,
          details: { name: after.name, changed },
        });
      }
      return after;
    })
    .catch(uniqueName);
}

/** Replaces the signing secret; the old one stops working at once. */
export async function rotateWebhookSecret(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof WebhookIdSchema>, key: Buffer) {
  const secret = newSecret();
  await db.$transaction(async (tx) => {
    const updated = await tx.webhook.updateMany({ where: { id: input.id, environmentId }, data: { secretEncrypted: encryptSecret(secret, key) } });
    if (updated.count === 0) throw new NotFoundError("Webhook");
    await recordAdminEvent(tx, actor, { action: "webhook.secret_rotated", target: `webhook:${input.id}`, environmentId });
  });
  return { secret };
}

export async function deleteWebhook(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof WebhookIdSchema>) {
  await db.$transaction(async (tx) => {
    const row = await tx.webhook.findFirst({ where: { id: input.id, environmentId } });
    if (!row) throw new NotFoundError("Webhook");
    const pending = await tx.webhookDelivery.count({ where: { webhookId: row.id, status: "PENDING" } });
    await tx.webhook.delete({ where: { id: row.id } });
    await recordAdminEvent(tx, actor, { action: "webhook.deleted", target: `webhook:${row.id}`, environmentId, details: { name: row.name, url: redactUrl(row.url), pendingDropped: pending } });
  });
}

/** Queues a copy of a delivery (same message id, so receivers can tell it is the same event) at the end of the destination's queue. */
export async function resendDelivery(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof DeliveryIdSchema>, now = new Date()) {
  return db.$transaction(async (tx) => {
    const original = await tx.webhookDelivery.findFirst({ where: { id: input.deliveryId, webhookId: input.webhookId, webhook: { environmentId } } });
    if (!original) throw new NotFoundError("Delivery");
    const copy = await tx.webhookDelivery.create({
      data: { webhookId: original.webhookId, messageId: original.messageId, eventType: original.eventType, payload: original.payload as Prisma.InputJsonValue, nextAttemptAt: now, createdAt: now },
    });
    await recordAdminEvent(tx, actor, { action: "webhook.delivery_resent", target: `webhook:${original.webhookId}`, environmentId, details: { deliveryId: original.id, eventType: original.eventType, messageId: original.messageId } });
    return { id: copy.id };
  });
}

/** Queues a "webhook.test" event for one destination, enabled or not. */
export async function sendTestEvent(db: Db, actor: AuditActor, environmentId: string, input: z.infer<typeof WebhookIdSchema>, now = new Date()) {
  return db.$transaction(async (tx) => {
    const hook = await tx.webhook.findFirst({ where: { id: input.id, environmentId }, include: { environment: { select: { key: true } } } });
    if (!hook) throw new NotFoundError("Webhook");
    const event: NotificationEvent = { type: TEST_EVENT_TYPE, timestamp: now.toISOString(), data: { environment: hook.environment.key, webhook: hook.name, sentBy: actor.email } };
    const row = await tx.webhookDelivery.create({
      data: { webhookId: hook.id, messageId: `msg_${uuidv7()}`, eventType: TEST_EVENT_TYPE, payload: event as unknown as Prisma.InputJsonValue, nextAttemptAt: now, createdAt: now },
    });
    await recordAdminEvent(tx, actor, { action: "webhook.test_sent", target: `webhook:${hook.id}`, environmentId, details: { name: hook.name } });
    return { id: row.id };
  });
}

/** The URL for the trail and the list: query strings often carry tokens (e.g. a Slack webhook path does too, but is needed to tell them apart). */
export function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    const secretPath = url.hostname === "hooks.slack.com";
    return `${url.protocol}//${url.host}${secretPath ? url.pathname.split("/").slice(0, 3).join("/") + "/…" : url.pathname}${url.search ? "?…" : ""}`;
  } catch {
    return "(invalid URL)";
  }
}

export async function listWebhooks(db: Db, environmentId: string) {
  const hooks = await db.webhook.findMany({ where: { environmentId }, orderBy: { createdAt: "asc" } });
  if (hooks.length === 0) return [];
  const ids = hooks.map((hook) => hook.id);
  const [pending, failed, last] = await Promise.all([
    db.webhookDelivery.groupBy({ by: ["webhookId"], where: { webhookId: { in: ids }, status: "PENDING" }, _count: { _all: true } }),
    db.webhookDelivery.groupBy({ by: ["webhookId"], where: { webhookId: { in: ids }, status: "FAILED" }, _count: { _all: true } }),
    db.webhookDelivery.groupBy({ by: ["webhookId"], where: { webhookId: { in: ids }, lastAttemptAt: { not: null } }, _max: { lastAttemptAt: true } }),
  ]);
  const count = (groups: { webhookId: string; _count: { _all: number } }[], id: string) => groups.find((group) => group.webhookId === id)?._count._all ?? 0;
  return hooks.map((hook) => ({
    id: hook.id,
    name: hook.name,
    url: redactUrl(hook.url),
    events: hook.events,
    format: hook.format,
    enabled: hook.enabled,
    createdAt: hook.createdAt.toISOString(),
    pending: count(pending, hook.id),
    failed: count(failed, hook.id),
    lastAttemptAt: last.find((group) => group.webhookId === hook.id)?._max.lastAttemptAt?.toISOString() ?? null,
  }));
}

export type WebhookRow = Awaited<ReturnType<typeof listWebhooks>>[number];

export async function getWebhook(db: Db, environmentId: string, id: string) {
  if (!z.uuid().safeParse(id).success) return null;
  const hook = await db.webhook.findFirst({ where: { id, environmentId } });
  return hook ? { id: hook.id, name: hook.name, url: hook.url, events: hook.events, format: hook.format, enabled: hook.enabled, createdAt: hook.createdAt.toISOString() } : null;
}

const DELIVERY_PAGE = 50;

/** A destination's delivery log, newest first, in keyset pages. */
export async function listDeliveries(db: Db, webhookId: string, query: z.infer<typeof DeliveryListSchema>) {
  const before = decodeCursor(query.before);
  const found = await db.webhookDelivery.findMany({
    where: {
      webhookId,
      ...(query.status === "all" ? {} : { status: query.status }),
      ...(before ? { OR: [{ createdAt: { lt: before.ts } }, { createdAt: before.ts, id: { lt: before.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: DELIVERY_PAGE + 1,
  });
  const rows = found.slice(0, DELIVERY_PAGE);
  const last = rows[rows.length - 1];
  return {
    rows: rows.map((row) => ({
      id: row.id,
      messageId: row.messageId,
      eventType: row.eventType,
      status: row.status,
      attempts: row.attempts,
      createdAt: row.createdAt.toISOString(),
      nextAttemptAt: row.status === "PENDING" ? row.nextAttemptAt.toISOString() : null,
      lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      lastStatusCode: row.lastStatusCode,
      lastDurationMs: row.lastDurationMs,
      lastError: row.lastError,
      deliveredAt: row.deliveredAt?.toISOString() ?? null,
      payload: row.payload,
    })),
    older: found.length > DELIVERY_PAGE && last ? encodeCursor({ ts: last.createdAt, id: last.id }) : null,
  };
}

export type DeliveryRow = Awaited<ReturnType<typeof listDeliveries>>["rows"][number];

/** For the worker only. */
export function webhookSecret(stored: string, key: Buffer): string {
  return decryptSecret(stored, key);
}

/** How long delivered and failed messages stay in the log. */
export const DELIVERY_LOG_DAYS = 30;

/** Removes finished deliveries older than the log keeps; queued ones are never removed. */
export async function pruneDeliveryLog(db: Db, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - DELIVERY_LOG_DAYS * 24 * 60 * 60_000);
  const removed = await db.webhookDelivery.deleteMany({ where: { status: { in: ["DELIVERED", "FAILED"] }, createdAt: { lt: cutoff } } });
  return removed.count;
}
