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
    const environmentId = environmentChain === GLOBAL_CHAIN ? null : environmentChain;
    const { chain, lastHash } = options.anyLane ? await lockFreeLane(sql, chainsOf(environmentId)) : await lockChain(sql, environmentChain);
    const pending = options.skipExisting ? await withoutStored(sql, byChain.get(environmentChain) ?? []) : (byChain.get(environmentChain) ?? []);
    if (pending.length === 0) continue;
    const linked = linkRows(chain, lastHash, pending);
    // A stored id (a producer's retry, or a concurrent batch with the same ids
    // in another lane) is turned away by the primary key: the chain would then
    // have a hole, so the caller must roll back (and retry with skipExisting).
    if ((await insertRows(sql, linked.rows)) < linked.rows.length) throw new DuplicateAuditEventError();
    await sql(`UPDATE "AuditChainHead" SET "lastHash" = $1, "lastSeq" = (SELECT COALESCE(MAX("seq"), 0) FROM "AuditEvent" WHERE "chain" = $2) WHERE "chain" = $2`, [linked.lastHash, chain]);
    inserted += pending.length;
  }
  return { inserted };
}

/** The events whose ids are not stored yet, each id once. */
async function withoutStored(sql: Sql, events: PreparedEvent[]): Promise<PreparedEvent[]> {
  const ids = events.flatMap((event) => (event.explicitId ? [event.id] : []));
  const existing = new Set(ids.length ? (await sql<{ id: string }>(`SELECT "id"::text AS "id" FROM "AuditEvent" WHERE "id" = ANY($1::uuid[])`, [ids])).map((row) => row.id) : []);
  const seen = new Set<string>();
  return events.filter((event) => {
    if (!event.explicitId) return true;
    if (existing.has(event.id) || seen.has(event.id)) return false;
    seen.add(event.id);
    return true;
  });
}

/** Each event hashed onto its predecessor, starting from the chain's head; the rows to insert and the new head. */
function linkRows(chain: string, lastHash: string, events: PreparedEvent[]): { rows: string[]; lastHash: string } {
  const chainJson = JSON.stringify(chain);
  const rows: string[] = [];
  let prevHash = lastHash;
  for (const event of events) {
    const canonical = event.canonicalBeforeChain + chainJson + event.canonicalAfterChain;
    const hash = chainedHash(prevHash || null, canonical);
    // The stored row is the hashed document itself plus its links: its
    // members are named like the columns, which is how PostgreSQL reads them.
    rows.push(`${canonical.slice(0, -1)},"prevHash":${JSON.stringify(prevHash || null)},"hash":"${hash}"}`);
    prevHash = hash;
  }
  return { rows, lastHash: prevHash };
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

// One statement that checks the lane's head is still the one the rows were
// hashed onto (and locks it, skipping it if another writer holds it), inserts
// the rows and moves the head: it commits on its own, so a batch costs one
// round trip and one commit instead of a transaction's six. When the head has
// moved, nothing is written ("moved" is 0) and the caller reads the heads again.
const APPEND_TO_HEAD = `WITH head AS (
       SELECT "chain" FROM "AuditChainHead" WHERE "chain" = $2 AND "lastHash" = $3 FOR UPDATE SKIP LOCKED
     ), inserted AS (
       INSERT INTO "AuditEvent" (${COLUMNS})
       SELECT ${COLUMNS}
       FROM ROWS FROM (json_to_recordset($1::json) AS (${RECORD_TYPES})) WITH ORDINALITY AS row (${COLUMNS}, "position")
       WHERE EXISTS (SELECT 1 FROM head)
       ORDER BY "position"
       RETURNING "seq"
     ), moved AS (
       UPDATE "AuditChainHead" SET "lastHash" = $4, "lastSeq" = (SELECT max("seq") FROM inserted)
       WHERE "chain" = (SELECT "chain" FROM head)
       RETURNING 1
     )
     SELECT (SELECT count(*)::int FROM inserted) AS "inserted", (SELECT count(*)::int FROM moved) AS "moved"`;

/** What this process last knew of each lane's head, per database client; a stale entry only costs a retry. */
const knownHeads = new WeakMap<object, Map<string, string>>();
/** Lanes a statement of this process is writing to right now, so that concurrent batches take different ones. */
const lanesInUse = new WeakMap<object, Set<string>>();
const OPTIMISTIC_ATTEMPTS = 4;

/**
 * Ingestion's writer: appends the events of one environment to whichever of
 * its lanes is free, each batch one statement (see APPEND_TO_HEAD) that
 * commits on its own. Several batches of one process go to different lanes;
 * a lane another writer (an admin transaction, another instance) extended
 * meanwhile is noticed by its head and the batch is hashed again onto the new
 * one. After a few such misses, or for a batch spanning environments, it falls
 * back to the transaction that waits for a lane's lock.
 *
 * `client` identifies the database (its lane heads are remembered per client);
 * `sql` runs one statement in autocommit; `transaction` runs the fallback.
 */
export async function appendToFreeLane(
  client: object,
  sql: Sql,
  transaction: (run: (sql: Sql) => Promise<{ inserted: number }>) => Promise<{ inserted: number }>,
  inputs: AuditEventInput[],
  options: { skipExisting?: boolean } = {},
): Promise<{ inserted: number }> {
  const environments = new Set(inputs.map((input) => input.environmentId ?? GLOBAL_CHAIN));
  const fallback = () => transaction((tx) => appendAuditEvents(tx, inputs, { ...options, anyLane: true }));
  if (environments.size !== 1) return fallback();
  const environmentChain = [...environments][0]!;
  const lanes = chainsOf(environmentChain === GLOBAL_CHAIN ? null : environmentChain);
  let events = inputs.map(prepare);
  if (options.skipExisting) events = await withoutStored(sql, events);
  if (events.length === 0) return { inserted: 0 };

  let heads = knownHeads.get(client);
  if (!heads) knownHeads.set(client, (heads = new Map()));
  let inUse = lanesInUse.get(client);
  if (!inUse) lanesInUse.set(client, (inUse = new Set()));

  for (let attempt = 0; attempt < OPTIMISTIC_ATTEMPTS; attempt++) {
    if (lanes.some((lane) => !heads.has(lane))) await readHeads(sql, lanes, heads);
    const free = lanes.filter((lane) => !inUse.has(lane));
    const lane = (free.length ? free : lanes)[Math.floor(Math.random() * (free.length || lanes.length))]!;
    const expected = heads.get(lane)!;
    const linked = linkRows(lane, expected, events);
    inUse.add(lane);
    let result: { inserted: number; moved: number } | undefined;
    try {
      [result] = await sql<{ inserted: number; moved: number }>(APPEND_TO_HEAD, [`[${linked.rows.join(",")}]`, lane, expected, linked.lastHash]);
    } catch (error) {
      // The primary key turned away an id already stored: the statement wrote nothing.
      if (isStoredIdConflict(error)) throw new DuplicateAuditEventError();
      throw error;
    } finally {
      inUse.delete(lane);
    }
    if (result?.moved === 1) {
      if (heads.get(lane) === expected) heads.set(lane, linked.lastHash);
      return { inserted: result.inserted };
    }
    // Locked by another writer, or extended since: read every lane's head again.
    heads.delete(lane);
  }
  for (const lane of lanes) heads.delete(lane);
  return fallback();
}

/** Reads the lanes' heads into `heads`, creating the lanes that do not exist yet. */
async function readHeads(sql: Sql, lanes: string[], heads: Map<string, string>): Promise<void> {
  let rows = await sql<LockedChain>(`SELECT "chain", "lastHash" FROM "AuditChainHead" WHERE "chain" = ANY($1::text[])`, [lanes]);
  if (rows.length < lanes.length) {
    await sql(`INSERT INTO "AuditChainHead" ("chain", "lastSeq", "lastHash") SELECT unnest($1::text[]), 0, '' ON CONFLICT ("chain") DO NOTHING`, [lanes]);
    rows = await sql<LockedChain>(`SELECT "chain", "lastHash" FROM "AuditChainHead" WHERE "chain" = ANY($1::text[])`, [lanes]);
  }
  for (const row of rows) heads.set(row.chain, row.lastHash);
}

function isStoredIdConflict(error: unknown): boolean {
  const { code, table } = (error ?? {}) as { code?: unknown; table?: unknown };
  return code === "23505" && table === "AuditEvent";
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
