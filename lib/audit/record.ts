import { v7 as uuidv7 } from "uuid";
import type { Prisma } from "@/lib/db/generated/client.ts";
import type { Tx } from "@/lib/db/client";
import { auditEventHash, type HashedAuditFields } from "./hash";
import { redactSecrets } from "./redact";

/** Events that belong to no environment (admin management, sign-in) share this chain. */
export const GLOBAL_CHAIN = "global";

export type AuditEventInput = {
  id?: string;
  ts?: Date;
  environmentId?: string | null;
  source: "admin" | "mcp";
  actor: string;
  actorLabel?: string | null;
  clientId?: string | null;
  server?: string | null;
  tool?: string | null;
  action: string;
  target?: string | null;
  decision?: "allow" | "deny" | "error" | null;
  reason?: string | null;
  configVersion?: number | null;
  requestId?: string | null;
  ip?: string | null;
  details?: Record<string, unknown> | null;
};

/** Who performed an admin mutation, as the audit trail names them. */
export type AuditActor = { id: string; email: string; ip?: string | null };

/**
 * Appends events to their hash chains inside the caller's transaction, so the
 * audit record commits or rolls back with the change it describes.
 *
 * The chain head row is locked (SELECT … FOR UPDATE) for the rest of the
 * transaction: concurrent writers on any instance extend a chain one at a
 * time, and each event's hash covers its predecessor's.
 */
export async function recordAuditEvents(tx: Tx, inputs: AuditEventInput[], options: { skipExisting?: boolean } = {}): Promise<{ inserted: number }> {
  let inserted = 0;
  const byChain = new Map<string, AuditEventInput[]>();
  for (const input of inputs) {
    const chain = input.environmentId ?? GLOBAL_CHAIN;
    byChain.set(chain, [...(byChain.get(chain) ?? []), input]);
  }
  // A fixed lock order keeps two multi-chain writers from deadlocking.
  for (const chain of [...byChain.keys()].sort()) {
    await tx.$executeRaw`INSERT INTO "AuditChainHead" ("chain", "lastSeq", "lastHash") VALUES (${chain}, 0, '') ON CONFLICT ("chain") DO NOTHING`;
    const [head] = await tx.$queryRaw<{ lastHash: string }[]>`SELECT "lastHash" FROM "AuditChainHead" WHERE "chain" = ${chain} FOR UPDATE`;
    let prevHash = head?.lastHash ?? "";
    let pending = byChain.get(chain) ?? [];
    if (options.skipExisting) {
      // Producers retry; an id already stored is a duplicate, never chained twice.
      // Checked under the chain lock, so a concurrent writer of the same ids waits here.
      const ids = pending.flatMap((input) => (input.id ? [input.id] : []));
      const existing = new Set(
        ids.length ? (await tx.$queryRaw<{ id: string }[]>`SELECT "id"::text AS "id" FROM "AuditEvent" WHERE "id" = ANY(${ids}::uuid[])`).map((row) => row.id) : [],
      );
      const seen = new Set<string>();
      pending = pending.filter((input) => {
        if (!input.id) return true;
        const id = input.id.toLowerCase();
        if (existing.has(id) || seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      if (pending.length === 0) continue;
    }
    const rows: Prisma.AuditEventCreateManyInput[] = [];
    for (const input of pending) {
      const fields: HashedAuditFields = {
        id: input.id ?? uuidv7(),
        chain,
        ts: input.ts ?? new Date(),
        environmentId: input.environmentId ?? null,
        source: input.source,
        actor: input.actor,
        actorLabel: input.actorLabel ?? null,
        clientId: input.clientId ?? null,
        server: input.server ?? null,
        tool: input.tool ?? null,
        action: input.action,
        target: input.target ?? null,
        decision: input.decision ?? null,
        reason: input.reason ?? null,
        configVersion: input.configVersion ?? null,
        requestId: input.requestId ?? null,
        ip: input.ip ?? null,
        details: input.details ? redactSecrets(input.details) : null,
      };
      const hash = auditEventHash(prevHash || null, fields);
      rows.push({
        ...fields,
        details: (fields.details ?? undefined) as Prisma.InputJsonValue | undefined,
        prevHash: prevHash || null,
        hash,
      });
      prevHash = hash;
    }
    await tx.auditEvent.createMany({ data: rows });
    await tx.$executeRaw`UPDATE "AuditChainHead" SET "lastHash" = ${prevHash}, "lastSeq" = (SELECT COALESCE(MAX("seq"), 0) FROM "AuditEvent" WHERE "chain" = ${chain}) WHERE "chain" = ${chain}`;
    inserted += rows.length;
  }
  return { inserted };
}

/** Convenience for the common case: one admin mutation, one event. */
export function recordAdminEvent(
  tx: Tx,
  actor: AuditActor,
  event: { action: string; target?: string; environmentId?: string | null; details?: Record<string, unknown> },
): Promise<{ inserted: number }> {
  return recordAuditEvents(tx, [
    {
      source: "admin",
      actor: actor.id,
      actorLabel: actor.email,
      ip: actor.ip ?? null,
      action: event.action,
      target: event.target ?? null,
      environmentId: event.environmentId ?? null,
      details: event.details ?? null,
    },
  ]);
}
