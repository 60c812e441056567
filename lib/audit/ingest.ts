import "server-only";
import type { z } from "zod";
import { autocommitSql, withSqlTransaction, type Db } from "@/lib/db/client";
import { JsonItemTooDeep, MAX_JSON_DEPTH } from "@/lib/input/rules";
import {
  AuditBatchSchema,
  AuditEventSchema,
  MAX_CLOCK_SKEW_MS,
  MAX_EVENT_DEPTH,
  MAX_EVENTS_PER_REQUEST,
  MAX_INFLATED_BYTES,
  MAX_REQUEST_BYTES,
  type AuditBatchResult,
} from "@/sdk/src/contract/audit-event";
import { appendToFreeLane, DuplicateAuditEventError, type AuditEventInput } from "./record";

// The contract of POST /api/v1/audit-events (what MCP servers send, usually
// through the SDK), its limits included, is the wire contract's.
export { MAX_EVENT_DEPTH, MAX_EVENTS_PER_REQUEST, MAX_INFLATED_BYTES, MAX_REQUEST_BYTES };
export const IngestEventSchema = AuditEventSchema;
export const IngestBodySchema = AuditBatchSchema;

export type IngestResult = AuditBatchResult;
export type IngestingKey = { environmentId: string; environmentKey: string; serverName: string | null };

function firstProblem(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const field = issue.path.join(".");
  return field && !issue.message.startsWith(field) ? `${field}: ${issue.message}` : issue.message;
}

/**
 * Stores a batch from an MCP server in its key's environment chain. Each event
 * stands alone: a bad one is rejected with its index and reason, and never
 * keeps the good ones out. An id already stored counts as a duplicate.
 */
export async function ingestAuditEvents(db: Db, key: IngestingKey, events: unknown[], now = new Date()): Promise<IngestResult> {
  const rejected: IngestResult["rejected"] = [];
  const valid: IndexedEvent[] = [];
  events.forEach((raw, index) => {
    if (raw instanceof JsonItemTooDeep) {
      return rejected.push({ index, reason: `the event is nested deeper than ${raw.maxDepth} levels (details may nest at most ${MAX_JSON_DEPTH})` });
    }
    const parsed = IngestEventSchema.safeParse(raw);
    if (!parsed.success) return rejected.push({ index, reason: firstProblem(parsed.error) });
    const event = parsed.data;
    if (event.environment !== undefined && event.environment !== key.environmentKey) {
      return rejected.push({ index, reason: `environment: this API key belongs to ${key.environmentKey}, not ${event.environment}` });
    }
    if (key.serverName && event.server && event.server !== key.serverName) {
      return rejected.push({ index, reason: `server: this API key belongs to server ${key.serverName}, not ${event.server}` });
    }
    const ts = new Date(event.ts);
    if (ts.getTime() - now.getTime() > MAX_CLOCK_SKEW_MS) return rejected.push({ index, reason: "ts: the event is dated in the future; check the producer's clock" });
    valid.push({
      index,
      event: {
        id: event.id.toLowerCase(),
        ts,
        environmentId: key.environmentId,
        source: "mcp",
        actor: event.actor,
        // An empty optional field is the same as an absent one.
        clientId: event.clientId || null,
        server: event.server || key.serverName,
        tool: event.tool || null,
        action: event.action,
        decision: event.decision ?? null,
        reason: event.reason || null,
        configVersion: event.configVersion ?? null,
        requestId: event.requestId || null,
        ip: event.ip ?? null,
        details: event.details ?? null,
        inputs: event.inputs ?? null,
      },
    });
  });
  if (valid.length === 0) return { accepted: 0, duplicates: 0, rejected };
  const stored = await storeAuditEvents(db, valid);
  rejected.push(...stored.refused);
  rejected.sort((a, b) => a.index - b.index);
  return { accepted: stored.inserted, duplicates: valid.length - stored.inserted - stored.refused.length, rejected };
}

/** A validated event and its place in the batch the producer sent. */
export type IndexedEvent = { index: number; event: AuditEventInput };

/**
 * Writes validated events to one of their environment's lanes, in one
 * transaction when all goes well. Should the database still refuse the batch
 * because of its data (a kind of value validation does not foresee), the
 * batch is split in halves and each is written on its own, down to single
 * events: the good ones are stored, and each event the database refuses is
 * reported with its index. Failures that are not about the data (the
 * database unreachable, a timeout) are thrown: splitting would not help.
 */
export async function storeAuditEvents(db: Db, events: IndexedEvent[]): Promise<{ inserted: number; refused: IngestResult["rejected"] }> {
  const refused: IngestResult["rejected"] = [];
  const store = async (part: IndexedEvent[]): Promise<number> => {
    try {
      return await storeBatch(db, part.map((entry) => entry.event));
    } catch (error) {
      const reason = refusalReason(error);
      if (!reason) throw error;
      if (part.length === 1) {
        refused.push({ index: part[0]!.index, reason });
        return 0;
      }
      const half = Math.ceil(part.length / 2);
      return (await store(part.slice(0, half))) + (await store(part.slice(half)));
    }
  };
  const inserted = await store(events);
  return { inserted, refused };
}

async function storeBatch(db: Db, events: AuditEventInput[]): Promise<number> {
  const store = (skipExisting: boolean) =>
    appendToFreeLane(db, autocommitSql(db), (run) => withSqlTransaction(db, run, { statementTimeoutMs: 30_000 }), events, { skipExisting });
  // Most batches hold no stored id, so they are written without looking
  // first; the primary key notices a retried event, and the batch is then
  // written again without it. A concurrent batch with the same ids can make
  // that happen once more.
  for (let attempt = 0; ; attempt++) {
    try {
      return (await store(attempt > 0)).inserted;
    } catch (error) {
      if (!(error instanceof DuplicateAuditEventError) || attempt >= 3) throw error;
    }
  }
}

// SQLSTATE classes about the values themselves: data exceptions (22: a
// character, number or date the column cannot hold), integrity constraints
// (23) and program limits (54: too long, too deep).
const DATA_REFUSAL = /^(?:22|23|54)[0-9A-Z]{3}$/;

/** Why one event cannot be stored, when the error is about the data; null when it is about anything else. */
function refusalReason(error: unknown): string | null {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === "string" && DATA_REFUSAL.test(code)) return "the database refused this event";
  // Thrown while the event was turned into its hashed JSON (a value JavaScript cannot serialize).
  if (error instanceof RangeError) return "this event could not be serialized for storage";
  return null;
}
