import "server-only";
import { v7 as uuidv7 } from "uuid";
import type { Sql, Tx } from "@/lib/db/client";
import { HASHED_AUDIT_FIELDS, STORED_AUDIT_FIELDS, AUDIT_EVENT_FIELDS, type HashedAuditFields } from "@/sdk/src/contract/audit-event";
import { redactSecrets } from "@/sdk/src/contract/redact";
import { auditEventCanonicalParts, chainedHash } from "./hash";

/** Events that belong to no environment (admin management, sign-in) share this chain. */
export const GLOBAL_CHAIN = "global";

/**
 * An event to record: the contract's hashed fields, of which only source,
 * actor and action are required; the chain follows from the environment,
 * and an absent id or ts is chosen here.
 */
export type AuditEventInput = Partial<Omit<HashedAuditFields, "chain" | "details" | "source" | "actor" | "action">> &
  Pick<HashedAuditFields, "source" | "actor" | "action"> & { details?: Record<string, unknown> | null };

/** Who performed an admin mutation, as the audit trail names them. */
export type AuditActor = { id: string; email: string; ip?: string | null };

/**
 * How many chains ("lanes") an environment's MCP events are spread over. Each
 * chain is extended by one transaction at a time, so a single chain caps an
 * environment at one connection's insert rate; ingestion takes whichever lane
 * is free. Lane 0 is the environment's own chain (admin events live there);
 * lane k > 0 is `<environmentId>~k`. Verification and retention cover all of
 * an environment's lanes. Changing this number later is safe: lanes that
 * stop receiving events keep verifying.
 */
export const INGEST_LANES = 4;

/** Every chain that holds an environment's events (or the global chain for `null`). */
export function chainsOf(environmentId: string | null): string[] {
  if (environmentId === null) return [GLOBAL_CHAIN];
  return [environmentId, ...Array.from({ length: INGEST_LANES - 1 }, (_, index) => `${environmentId}~${index + 1}`)];
}

/**
 * Appends events to their hash chains inside the caller's transaction, so the
 * audit record commits or rolls back with the change it describes.
 */
export function recordAuditEvents(tx: Tx, inputs: AuditEventInput[], options: AppendOptions = {}): Promise<{ inserted: number }> {
  return appendAuditEvents((text, values = []) => tx.$queryRawUnsafe(text, ...values), inputs, options);
}

/** Some events of the batch have ids that are already stored; nothing may be committed. */
export class DuplicateAuditEventError extends Error {
  constructor() {
    super("An audit event with the same id is already stored.");
  }
}

type AppendOptions = {
  /** Look for already-stored ids first and leave those events out, instead of failing with DuplicateAuditEventError. */
  skipExisting?: boolean;
  /** Write each environment's events to whichever of its lanes no other transaction holds. */
  anyLane?: boolean;
};

/**
 * The chain head row is locked (SELECT … FOR UPDATE) for the rest of the
 * transaction: concurrent writers on any instance extend a chain one at a
 * time, and each event's hash covers its predecessor's.
 */
export async function appendAuditEvents(sql: Sql, inputs: AuditEventInput[], options: AppendOptions = {}): Promise<{ inserted: number }> {
  let inserted = 0;
  // Everything but the link to the predecessor is prepared before any lock is taken.
  const byChain = new Map<string, PreparedEvent[]>();
  for (const input of inputs) {
    const chain = input.environmentId ?? GLOBAL_CHAIN;
    let list = byChain.get(chain);
    if (!list) byChain.set(chain, (list = []));
    list.push(prepare(input));
  }
  // A fixed lock order keeps two multi-chain writers from deadlocking.
  for (const environmentChain of [...byChain.keys()].sort()) {
    let pending = byChain.get(environmentChain) ?? [];
    const environmentId = environmentChain === GLOBAL_CHAIN ? null : environmentChain;
    const { chain, lastHash } = options.anyLane ? await lockFreeLane(sql, chainsOf(environmentId)) : await lockChain(sql, environmentChain);
    if (options.skipExisting) {
      const ids = pending.flatMap((event) => (event.explicitId ? [event.id] : []));
      const existing = new Set(ids.length ? (await sql<{ id: string }>(`SELECT "id"::text AS "id" FROM "AuditEvent" WHERE "id" = ANY($1::uuid[])`, [ids])).map((row) => row.id) : []);
      const seen = new Set<string>();
      pending = pending.filter((event) => {
        if (!event.explicitId) return true;
        const id = event.id;
        if (existing.has(id) || seen.has(id)) return false;
        seen.add(id);
        return true;
      });
      if (pending.length === 0) continue;
    }
    const chainJson = JSON.stringify(chain);
    const rows: string[] = [];
    let prevHash = lastHash;
    for (const event of pending) {
      const canonical = event.canonicalBeforeChain + chainJson + event.canonicalAfterChain;
      const hash = chainedHash(prevHash || null, canonical);
      // The stored row is the hashed document itself plus its links: its
      // members are named like the columns, which is how PostgreSQL reads them.
      rows.push(`${canonical.slice(0, -1)},"prevHash":${JSON.stringify(prevHash || null)},"hash":"${hash}"}`);
      prevHash = hash;
    }
    // A stored id (a producer's retry, or a concurrent batch with the same ids
    // in another lane) is turned away by the primary key: the chain would then
    // have a hole, so the caller must roll back (and retry with skipExisting).
    if ((await insertRows(sql, rows)) < rows.length) throw new DuplicateAuditEventError();
    await sql(`UPDATE "AuditChainHead" SET "lastHash" = $1, "lastSeq" = (SELECT COALESCE(MAX("seq"), 0) FROM "AuditEvent" WHERE "chain" = $2) WHERE "chain" = $2`, [prevHash, chain]);
    inserted += pending.length;
  }
  return { inserted };
}

type LockedChain = { chain: string; lastHash: string };

async function lockChain(sql: Sql, chain: string): Promise<LockedChain> {
  await sql(`INSERT INTO "AuditChainHead" ("chain", "lastSeq", "lastHash") VALUES ($1, 0, '') ON CONFLICT ("chain") DO NOTHING`, [chain]);
  const [head] = await sql<{ lastHash: string }>(`SELECT "lastHash" FROM "AuditChainHead" WHERE "chain" = $1 FOR UPDATE`, [chain]);
  return { chain, lastHash: head?.lastHash ?? "" };
}

/** Locks a lane no other transaction holds (SKIP LOCKED); when all are busy, waits for a random one. */
async function lockFreeLane(sql: Sql, lanes: string[]): Promise<LockedChain> {
  await sql(`INSERT INTO "AuditChainHead" ("chain", "lastSeq", "lastHash") SELECT unnest($1::text[]), 0, '' ON CONFLICT ("chain") DO NOTHING`, [lanes]);
  const [free] = await sql<LockedChain>(
    `SELECT "chain", "lastHash" FROM "AuditChainHead" WHERE "chain" = ANY($1::text[]) ORDER BY random() LIMIT 1 FOR UPDATE SKIP LOCKED`,
    [lanes],
  );
  return free ?? lockChain(sql, lanes[Math.floor(Math.random() * lanes.length)]!);
}

// Only what the chain link and the duplicate check need: the event itself is in its canonical JSON.
type PreparedEvent = { id: string; explicitId: boolean; canonicalBeforeChain: string; canonicalAfterChain: string };

// The fields an input may leave out and that are then recorded as null.
const NULL_WHEN_ABSENT = HASHED_AUDIT_FIELDS.filter((name) => !["chain", "id", "ts", "details", "inputs"].includes(name));

function prepare(input: AuditEventInput): PreparedEvent {
  const fields = {} as Record<keyof HashedAuditFields, unknown>;
  for (const name of NULL_WHEN_ABSENT) fields[name] = input[name as keyof AuditEventInput] ?? null;
  // PostgreSQL prints UUIDs in lower case; the hash must cover the id as it will be read back.
  const id = input.id?.toLowerCase() ?? uuidv7();
  fields.id = id;
  fields.ts = input.ts ?? new Date();
  fields.details = input.details ? redactSecrets(input.details) : null;
  fields.inputs = input.inputs ? redactSecrets(input.inputs) : null;
  const [canonicalBeforeChain, canonicalAfterChain] = auditEventCanonicalParts(fields as Omit<HashedAuditFields, "chain">);
  return { id, explicitId: Boolean(input.id), canonicalBeforeChain, canonicalAfterChain };
}

// The statement's column lists, from the contract's list of fields: the
// columns named in the INSERT, how json_to_recordset reads each from a row's
// JSON, and the same names again for the rows (plus their position).
const COLUMNS = STORED_AUDIT_FIELDS.map((name) => JSON.stringify(name)).join(", ");
const RECORD_TYPES = STORED_AUDIT_FIELDS.map((name) => `${JSON.stringify(name)} ${AUDIT_EVENT_FIELDS[name].sqlType}`).join(", ");
const INSERT_ROWS = `WITH inserted AS (
       INSERT INTO "AuditEvent" (${COLUMNS})
       SELECT ${COLUMNS}
       FROM ROWS FROM (json_to_recordset($1::json) AS (${RECORD_TYPES})) WITH ORDINALITY AS row (${COLUMNS}, "position")
       ORDER BY "position"
       ON CONFLICT ("id") DO NOTHING
       RETURNING 1
     )
     SELECT count(*)::int AS "inserted" FROM inserted`;

/**
 * One INSERT for the whole batch with a single JSON parameter that PostgreSQL
 * expands into rows: a thousand events are one small statement to parse and
 * plan, and the rows are the JSON already written for their hashes instead of
 * twenty thousand bound parameters (or arrays escaped value by value). Rows are
 * inserted in array order (WITH ORDINALITY … ORDER BY), so `seq` follows the chain.
 * Returns how many were inserted: fewer than given when some ids were already stored.
 */
async function insertRows(sql: Sql, rows: string[]): Promise<number> {
  const [result] = await sql<{ inserted: number }>(INSERT_ROWS, [`[${rows.join(",")}]`]);
  return result?.inserted ?? 0;
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
