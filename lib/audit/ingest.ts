import { z } from "zod";
import { withSqlTransaction, type Db } from "@/lib/db/client";
import { appendAuditEvents, DuplicateAuditEventError, type AuditEventInput } from "./record";

// The contract of POST /api/v1/audit-events (what MCP servers send, usually
// through the SDK). The limits are part of it: producers split larger batches.
export const MAX_EVENTS_PER_REQUEST = 1_000;
export const MAX_REQUEST_BYTES = 1024 * 1024;
export const MAX_INFLATED_BYTES = 10 * 1024 * 1024;
const MAX_DETAILS_BYTES = 16 * 1024;
// A producer's clock may run a little ahead; an event from further in the future is refused.
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const optionalText = (max: number) => z.string().trim().max(max, `keep it under ${max} characters`).nullish();

export const IngestEventSchema = z.strictObject({
  id: z.uuid("id must be a UUID (UUIDv7 recommended)"),
  ts: z.iso.datetime({ offset: true, message: "ts must be an ISO 8601 date-time" }),
  // Only MCP events come through this door; admin events are written by the dashboard itself.
  source: z.literal("mcp", 'source must be "mcp"').optional(),
  environment: z.string().optional(),
  actor: z.string().trim().min(1, "actor (the user's sub) is required").max(256, "keep actor under 256 characters"),
  clientId: optionalText(2048),
  server: optionalText(200),
  tool: optionalText(200),
  action: z.string().trim().min(1, "action is required").max(100, "keep action under 100 characters"),
  decision: z.enum(["allow", "deny", "error"], 'decision must be "allow", "deny" or "error"').nullish(),
  reason: optionalText(2000),
  configVersion: z.number().int("configVersion must be a whole number").positive("configVersion must be positive").nullish(),
  requestId: optionalText(200),
  ip: z.union([z.ipv4(), z.ipv6()], { error: "ip must be an IPv4 or IPv6 address" }).nullish(),
  details: z
    .record(z.string(), z.unknown(), "details must be a JSON object")
    .refine((value) => JSON.stringify(value).length <= MAX_DETAILS_BYTES, `details must serialize to at most ${MAX_DETAILS_BYTES / 1024} KiB`)
    .nullish(),
});

export const IngestBodySchema = z.object({ events: z.array(z.unknown(), 'Send {"events": [...]}.') }, 'Send {"events": [...]}.');

export type IngestResult = { accepted: number; duplicates: number; rejected: { index: number; reason: string }[] };
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
  const valid: AuditEventInput[] = [];
  events.forEach((raw, index) => {
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
      id: event.id.toLowerCase(),
      ts,
      environmentId: key.environmentId,
      source: "mcp",
      actor: event.actor,
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
    });
  });
  if (valid.length === 0) return { accepted: 0, duplicates: 0, rejected };
  const store = (skipExisting: boolean) =>
    withSqlTransaction(db, (sql) => appendAuditEvents(sql, valid, { skipExisting, anyLane: true }), { statementTimeoutMs: 30_000 });
  // Most batches hold no stored id, so they are written without looking
  // first; the primary key notices a retried event, and the batch is then
  // written again without it. A concurrent batch with the same ids can make
  // that happen once more.
  let inserted: number | undefined;
  for (let attempt = 0; inserted === undefined; attempt++) {
    try {
      ({ inserted } = await store(attempt > 0));
    } catch (error) {
      if (!(error instanceof DuplicateAuditEventError) || attempt >= 3) throw error;
    }
  }
  return { accepted: inserted, duplicates: valid.length - inserted, rejected };
}
