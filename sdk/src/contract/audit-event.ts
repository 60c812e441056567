import { z } from "zod";
import { DecisionInputsSchema, type DecisionInputs } from "./decision-inputs.ts";
import { jsonProblem, MAX_JSON_DEPTH, PG_INT_MAX, refineDateText, safeString, textProblem } from "./input-rules.ts";

// POST /api/v1/audit-events: what an MCP server may send, within which
// limits, and the one list of an audit event's fields from which Warden
// derives its ingest schema, its hash input, its table's column lists and
// its export columns.

// The limits are part of the contract: producers split larger batches.
export const MAX_EVENTS_PER_REQUEST = 1_000;
export const MAX_REQUEST_BYTES = 1024 * 1024;
export const MAX_INFLATED_BYTES = 10 * 1024 * 1024;
export const MAX_DETAILS_BYTES = 16 * 1024;
/** A producer's clock may run a little ahead; an event from further in the future is refused. */
export const MAX_CLOCK_SKEW_MS = 5 * 60_000;
/** How deep an event may nest: the event itself, then `details` up to the shared JSON depth. */
export const MAX_EVENT_DEPTH = MAX_JSON_DEPTH + 1;

export const AUDIT_SOURCES = ["admin", "mcp"] as const;
export type AuditSource = (typeof AUDIT_SOURCES)[number];
export const AUDIT_DECISIONS = ["allow", "deny", "error"] as const;
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];

// An audit trail stores what it was sent: text that would need rewriting is refused with its reason, never trimmed.
const OUTER_WHITESPACE = /^\s|\s$/;
const text = (max: number) =>
  z
    .string()
    .max(max, `keep it under ${max} characters`)
    // One refinement for both rules: ingestion checks thousands of fields a second.
    .superRefine((value, ctx) => {
      const problem = textProblem(value) ?? (OUTER_WHITESPACE.test(value) ? "starts or ends with whitespace; send the text exactly as it should be recorded" : null);
      if (problem) ctx.addIssue({ code: "custom", message: problem });
    });
const optionalText = (max: number) => text(max).nullish();

/**
 * - `hashed`: stored, and covered by the event's hash;
 * - `link`: stored, the event's place in its hash chain;
 * - `sent`: only sent by producers, not stored as such.
 */
type FieldKind = "hashed" | "link" | "sent";

type FieldSpec<Value, Kind extends FieldKind, Wire extends z.ZodType | null> = {
  kind: Kind;
  /** How PostgreSQL reads the field from the JSON of a row; null when it is not stored. */
  sqlType: string | null;
  /** A column of the CSV and JSON Lines exports. */
  exported: boolean;
  /** Its rule in POST /api/v1/audit-events; null when producers do not send it. */
  wire: Wire;
  /**
   * Left out of the hash input while null: a field added after events were
   * first stored, so that those events keep the hash they were stored with.
   */
  omitWhenNull?: boolean;
  /** Types only: the value as stored and hashed. */
  value?: Value;
};

// Curried so the value's type is written out while the wire schema's type is inferred.
const field =
  <Value>() =>
  <Kind extends FieldKind, Wire extends z.ZodType | null>(spec: { kind: Kind; sqlType: string | null; exported: boolean; wire: Wire; omitWhenNull?: boolean }) =>
    spec as FieldSpec<Value, Kind, Wire>;

/**
 * Every field of an audit event, in the order of the table's columns and of
 * the export's. Adding one here adds it to the ingest schema (when producers
 * send it), the hash, the INSERT and the export together; a field's hash
 * input position is its name's sorted place, as canonical JSON orders it.
 */
export const AUDIT_EVENT_FIELDS = {
  /** UUIDv7, chosen by the producer: a retried batch is counted as duplicates, never stored twice. */
  id: field<string>()({ kind: "hashed", sqlType: "uuid", exported: true, wire: z.uuid("id must be a UUID (UUIDv7 recommended)") }),
  /** The hash chain (an environment's lane, or the global chain). */
  chain: field<string>()({ kind: "hashed", sqlType: "text", exported: false, wire: null }),
  ts: field<Date>()({
    kind: "hashed",
    sqlType: "timestamptz",
    exported: true,
    wire: z.iso.datetime({ offset: true, message: "ts must be an ISO 8601 date-time" }).superRefine(refineDateText),
  }),
  environmentId: field<string | null>()({ kind: "hashed", sqlType: "uuid", exported: false, wire: null }),
  // Only MCP events come through the API; admin events are written by the dashboard itself.
  source: field<AuditSource>()({ kind: "hashed", sqlType: `"AuditSource"`, exported: true, wire: z.literal("mcp", 'source must be "mcp"').optional() }),
  /** The producer may name its environment; it must be its API key's. */
  environment: field<never>()({ kind: "sent", sqlType: null, exported: false, wire: safeString().optional() }),
  /** mcp: the end user (the token's sub); admin: the admin's id. */
  actor: field<string>()({ kind: "hashed", sqlType: "text", exported: true, wire: text(256).min(1, "actor (the user's sub) is required") }),
  actorLabel: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: null }),
  /** The agent: the token's azp / client_id. */
  clientId: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: optionalText(2048) }),
  server: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: optionalText(200) }),
  tool: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: optionalText(200) }),
  action: field<string>()({ kind: "hashed", sqlType: "text", exported: true, wire: text(100).min(1, "action is required") }),
  target: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: null }),
  decision: field<AuditDecision | null>()({
    kind: "hashed",
    sqlType: `"AuditDecision"`,
    exported: true,
    wire: z.enum(AUDIT_DECISIONS, 'decision must be "allow", "deny" or "error"').nullish(),
  }),
  reason: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: optionalText(2000) }),
  configVersion: field<number | null>()({
    kind: "hashed",
    sqlType: "int4",
    exported: true,
    wire: z.number().int("configVersion must be a whole number").positive("configVersion must be positive").max(PG_INT_MAX, `configVersion must be at most ${PG_INT_MAX}`).nullish(),
  }),
  requestId: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: optionalText(200) }),
  ip: field<string | null>()({ kind: "hashed", sqlType: "text", exported: true, wire: z.union([z.ipv4(), z.ipv6()], { error: "ip must be an IPv4 or IPv6 address" }).nullish() }),
  details: field<unknown>()({
    kind: "hashed",
    sqlType: "jsonb",
    exported: true,
    wire: z
      .record(z.string(), z.unknown(), "details must be a JSON object")
      .superRefine((value, ctx) => {
        // Depth and text first: measuring the size of a value nested thousands deep would overflow the stack.
        const problem = jsonProblem(value);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
        else if (JSON.stringify(value).length > MAX_DETAILS_BYTES) ctx.addIssue({ code: "custom", message: `details must serialize to at most ${MAX_DETAILS_BYTES / 1024} KiB` });
      })
      .nullish(),
  }),
  /** What deciding the call again needs (the token's scopes, roles given, only the claims role mappings read); MCP events only. */
  inputs: field<DecisionInputs | null>()({ kind: "hashed", sqlType: "jsonb", exported: true, wire: DecisionInputsSchema.nullish(), omitWhenNull: true }),
  prevHash: field<string | null>()({ kind: "link", sqlType: "text", exported: false, wire: null }),
  hash: field<string>()({ kind: "link", sqlType: "text", exported: true, wire: null }),
};

type Fields = typeof AUDIT_EVENT_FIELDS;
type FieldsOfKind<Kind extends FieldKind> = { [K in keyof Fields as Fields[K]["kind"] extends Kind ? K : never]: Fields[K] extends FieldSpec<infer Value, FieldKind, z.ZodType | null> ? Value : never };
export type AuditFieldName = keyof Fields;

/** The fields an audit event's hash covers: everything but its place in the chain. */
export type HashedAuditFields = FieldsOfKind<"hashed">;
/** A stored event's columns, as written. */
export type StoredAuditEvent = FieldsOfKind<"hashed" | "link">;

const names = (keep: (spec: Fields[AuditFieldName]) => boolean) => (Object.keys(AUDIT_EVENT_FIELDS) as AuditFieldName[]).filter((name) => keep(AUDIT_EVENT_FIELDS[name]));

/** The hashed fields in canonical JSON's order (code-unit order of their names: none is integer-like). */
export const HASHED_AUDIT_FIELDS = names((spec) => spec.kind === "hashed").sort() as (keyof HashedAuditFields)[];
/** The table's columns that an insert writes, in column order. */
export const STORED_AUDIT_FIELDS = names((spec) => spec.sqlType !== null) as (keyof StoredAuditEvent)[];
/** The export's columns, in order. */
export const EXPORTED_AUDIT_FIELDS = names((spec) => spec.exported) as (keyof StoredAuditEvent)[];

type WireShape = { [K in keyof Fields as Fields[K]["wire"] extends z.ZodType ? K : never]: Exclude<Fields[K]["wire"], null> };
const wireShape = Object.fromEntries(names((spec) => spec.wire !== null).map((name) => [name, AUDIT_EVENT_FIELDS[name].wire])) as WireShape;

/** One event as POST /api/v1/audit-events takes it. Each event stands alone: a bad one is rejected with its reason. */
export const AuditEventSchema = z.strictObject(wireShape);
export type AuditEventWire = z.output<typeof AuditEventSchema>;

/** The body of POST /api/v1/audit-events; the events are judged one by one with AuditEventSchema. */
export const AuditBatchSchema = z.object({ events: z.array(z.unknown(), 'Send {"events": [...]}.') }, 'Send {"events": [...]}.');

/** POST /api/v1/audit-events answers 202 with this. */
export type AuditBatchResult = { accepted: number; duplicates: number; rejected: { index: number; reason: string }[] };
