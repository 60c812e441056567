import { v7 as uuidv7 } from "uuid";
import type { Tx } from "@/lib/db/client";
import { auditEventCanonicalJson, chainedHash, type HashedAuditFields } from "./hash";
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
  const byChain = new Map<string, PreparedEvent[]>();
  for (const input of inputs) {
    const chain = input.environmentId ?? GLOBAL_CHAIN;
    let list = byChain.get(chain);
    if (!list) byChain.set(chain, (list = []));
    list.push(prepare(chain, input));
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
      const ids = pending.flatMap((event) => (event.explicitId ? [event.fields.id] : []));
      const existing = new Set(
        ids.length ? (await tx.$queryRaw<{ id: string }[]>`SELECT "id"::text AS "id" FROM "AuditEvent" WHERE "id" = ANY(${ids}::uuid[])`).map((row) => row.id) : [],
      );
      const seen = new Set<string>();
      pending = pending.filter((event) => {
        if (!event.explicitId) return true;
        const id = event.fields.id.toLowerCase();
        if (existing.has(id) || seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      if (pending.length === 0) continue;
    }
    // Only the link to the predecessor is left to hash under the lock: the
    // canonical JSON of each event was prepared before it was taken.
    const columns = emptyColumns();
    for (const event of pending) {
      const hash = chainedHash(prevHash || null, event.canonical);
      pushRow(columns, event.fields, prevHash || null, hash);
      prevHash = hash;
    }
    await insertRows(tx, columns);
    await tx.$executeRaw`UPDATE "AuditChainHead" SET "lastHash" = ${prevHash}, "lastSeq" = (SELECT COALESCE(MAX("seq"), 0) FROM "AuditEvent" WHERE "chain" = ${chain}) WHERE "chain" = ${chain}`;
    inserted += pending.length;
  }
  return { inserted };
}

type PreparedEvent = { fields: HashedAuditFields; explicitId: boolean; canonical: string };

function prepare(chain: string, input: AuditEventInput): PreparedEvent {
  const fields: HashedAuditFields = {
    // PostgreSQL prints UUIDs in lower case; the hash must cover the id as it will be read back.
    id: input.id?.toLowerCase() ?? uuidv7(),
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
  return { fields, explicitId: Boolean(input.id), canonical: auditEventCanonicalJson(fields) };
}

type Columns = {
  id: string[];
  chain: string[];
  ts: string[];
  environmentId: (string | null)[];
  source: string[];
  actor: string[];
  actorLabel: (string | null)[];
  clientId: (string | null)[];
  server: (string | null)[];
  tool: (string | null)[];
  action: string[];
  target: (string | null)[];
  decision: (string | null)[];
  reason: (string | null)[];
  configVersion: (number | null)[];
  requestId: (string | null)[];
  ip: (string | null)[];
  details: (string | null)[];
  prevHash: (string | null)[];
  hash: string[];
};

function emptyColumns(): Columns {
  return {
    id: [],
    chain: [],
    ts: [],
    environmentId: [],
    source: [],
    actor: [],
    actorLabel: [],
    clientId: [],
    server: [],
    tool: [],
    action: [],
    target: [],
    decision: [],
    reason: [],
    configVersion: [],
    requestId: [],
    ip: [],
    details: [],
    prevHash: [],
    hash: [],
  };
}

function pushRow(columns: Columns, fields: HashedAuditFields, prevHash: string | null, hash: string) {
  columns.id.push(fields.id);
  columns.chain.push(fields.chain);
  columns.ts.push(fields.ts.toISOString());
  columns.environmentId.push(fields.environmentId);
  columns.source.push(fields.source);
  columns.actor.push(fields.actor);
  columns.actorLabel.push(fields.actorLabel);
  columns.clientId.push(fields.clientId);
  columns.server.push(fields.server);
  columns.tool.push(fields.tool);
  columns.action.push(fields.action);
  columns.target.push(fields.target);
  columns.decision.push(fields.decision);
  columns.reason.push(fields.reason);
  columns.configVersion.push(fields.configVersion);
  columns.requestId.push(fields.requestId);
  columns.ip.push(fields.ip);
  // JSON null and "no details" are both stored as SQL NULL, as before.
  columns.details.push(fields.details === null || fields.details === undefined ? null : JSON.stringify(fields.details));
  columns.prevHash.push(prevHash);
  columns.hash.push(hash);
}

/**
 * One INSERT for the whole batch, one array per column: a thousand events are
 * a single small statement to parse and plan, unlike a multi-row VALUES list
 * (or createMany) with twenty thousand parameters. Rows are inserted in array
 * order (WITH ORDINALITY … ORDER BY), so `seq` follows the chain.
 */
async function insertRows(tx: Tx, c: Columns) {
  await tx.$executeRaw`
    INSERT INTO "AuditEvent" ("id", "chain", "ts", "environmentId", "source", "actor", "actorLabel", "clientId", "server", "tool", "action", "target",
                              "decision", "reason", "configVersion", "requestId", "ip", "details", "prevHash", "hash")
    SELECT "id", "chain", "ts", "environmentId", "source", "actor", "actorLabel", "clientId", "server", "tool", "action", "target",
           "decision", "reason", "configVersion", "requestId", "ip", "details", "prevHash", "hash"
    FROM unnest(
      ${c.id}::uuid[], ${c.chain}::text[], ${c.ts}::timestamptz[], ${c.environmentId}::uuid[], ${c.source}::"AuditSource"[], ${c.actor}::text[],
      ${c.actorLabel}::text[], ${c.clientId}::text[], ${c.server}::text[], ${c.tool}::text[], ${c.action}::text[], ${c.target}::text[],
      ${c.decision}::"AuditDecision"[], ${c.reason}::text[], ${c.configVersion}::int4[], ${c.requestId}::text[], ${c.ip}::text[],
      ${c.details}::jsonb[], ${c.prevHash}::text[], ${c.hash}::text[]
    ) WITH ORDINALITY AS row ("id", "chain", "ts", "environmentId", "source", "actor", "actorLabel", "clientId", "server", "tool", "action", "target",
                              "decision", "reason", "configVersion", "requestId", "ip", "details", "prevHash", "hash", "position")
    ORDER BY "position"`;
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
