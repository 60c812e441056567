import "server-only";
import { v7 as uuidv7 } from "uuid";
import type { Db, Tx } from "@/lib/db/client";
import type { Prisma } from "@/lib/db/generated/client.ts";
import type { NotificationEvent, NotificationEventType } from "./events";

/**
 * Queues an event for every enabled webhook of the environment that
 * subscribes to its type, inside the caller's transaction: the delivery rows
 * commit (or roll back) with the change that caused the event, and a worker
 * sends them later, so the action never waits for a destination and a
 * restart in between loses nothing.
 */
export async function enqueueNotification(tx: Tx, environmentId: string, type: NotificationEventType, data: Record<string, unknown>, now = new Date()): Promise<number> {
  // Locking the destinations until this transaction ends makes delivery order commit order: a
  // concurrent event for the same destination takes its sequence number only after this one commits.
  const hooks = await tx.$queryRawUnsafe<{ id: string }[]>(
    `SELECT "id"::text AS "id" FROM "Webhook" WHERE "environmentId" = $1::uuid AND "enabled" AND $2 = ANY("events") ORDER BY "id" FOR UPDATE`,
    environmentId,
    type,
  );
  if (hooks.length === 0) return 0;
  const environment = await tx.environment.findUniqueOrThrow({ where: { id: environmentId }, select: { key: true } });
  const event: NotificationEvent = { type, timestamp: now.toISOString(), data: { environment: environment.key, ...data } };
  const messageId = `msg_${uuidv7()}`;
  await tx.webhookDelivery.createMany({
    data: hooks.map((hook) => ({ webhookId: hook.id, messageId, eventType: type, payload: event as unknown as Prisma.InputJsonValue, nextAttemptAt: now, createdAt: now })),
  });
  return hooks.length;
}

/** A client's display name for a message, when Warden knows the client. */
export async function clientNameFor(tx: Tx, environmentId: string, clientId: string | null): Promise<string | null> {
  if (!clientId) return null;
  const client = await tx.client.findFirst({ where: { environmentId, clientId }, select: { metadata: true, displayName: true } });
  return client?.displayName?.slice(0, 200) || clientNameOf(client?.metadata);
}

/** What every approval event says: who, through which agent and server, wants which tool. */
export async function approvalNotice(
  tx: Tx,
  row: { id: string; environmentId: string; subject: string; clientId: string | null; server: string; tool: string; requestId: string | null },
): Promise<Record<string, unknown>> {
  return {
    approvalId: row.id,
    subject: row.subject,
    clientId: row.clientId,
    clientName: await clientNameFor(tx, row.environmentId, row.clientId),
    server: row.server,
    tool: row.tool,
    requestId: row.requestId,
  };
}

/** The client_name of a metadata document, if it has one. */
export function clientNameOf(metadata: unknown): string | null {
  const name = (metadata as { client_name?: unknown } | null | undefined)?.client_name;
  return typeof name === "string" && name ? name.slice(0, 200) : null;
}

/**
 * Tells the subscribed destinations that an environment's audit chain does
 * not verify. Once per break: verifying the same broken trail again (any
 * admin, any instance) does not send it again.
 */
export async function notifyIntegrityFailure(
  db: Db,
  environmentId: string,
  broken: { seq: string; id: string; ts: string; problem: string },
  detectedBy: string,
  now = new Date(),
): Promise<number> {
  return db.$transaction(async (tx) => {
    const already = await tx.webhookDelivery.count({ where: { eventType: "audit.integrity_failed", webhook: { environmentId }, payload: { path: ["data", "eventId"], equals: broken.id } } });
    if (already) return 0;
    return enqueueNotification(tx, environmentId, "audit.integrity_failed", { eventId: broken.id, seq: broken.seq, eventTs: broken.ts, problem: broken.problem, detectedBy }, now);
  });
}
