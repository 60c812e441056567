import { JsonLogsSerializer, ProtobufLogsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import type { ReadableLogRecord } from "@opentelemetry/sdk-logs";

/**
 * Audit events as OpenTelemetry log records (OTLP logs signal), encoded by
 * the OpenTelemetry project's own serializers, JSON or protobuf.
 *
 * - Resource: the service (`service.name` "warden") and the environment.
 * - Log record: time = the event's time; body = its action; severity from its
 *   decision (deny → WARN, error → ERROR, otherwise INFO); `event.name` is
 *   "warden.audit".
 * - Attributes: every stored field of the event, under `warden.audit.*`, and
 *   the chain of accountability as `enduser.id` (user or admin), `warden.client.id`
 *   (agent), `warden.server` and `warden.tool`. `warden.audit.id` is the event's
 *   id: at-least-once delivery means a receiver may see an event twice and
 *   de-duplicates on it.
 */

export type StreamedAuditEvent = {
  id: string;
  seq: bigint | string;
  chain: string;
  ts: Date;
  receivedAt: Date;
  source: string;
  actor: string;
  actorLabel: string | null;
  clientId: string | null;
  server: string | null;
  tool: string | null;
  action: string;
  target: string | null;
  decision: string | null;
  reason: string | null;
  configVersion: number | null;
  requestId: string | null;
  ip: string | null;
  details: unknown;
  prevHash: string | null;
  hash: string;
};

const SCOPE = { name: "warden.audit", version: "1" };
const SEVERITY = { INFO: 9, WARN: 13, ERROR: 17 } as const;

function hrTime(date: Date): [number, number] {
  const ms = date.getTime();
  return [Math.floor(ms / 1000), (ms % 1000) * 1_000_000];
}

export function toLogRecords(environmentKey: string, events: StreamedAuditEvent[], observed = new Date()): ReadableLogRecord[] {
  const resource = resourceFromAttributes({ "service.name": "warden", "deployment.environment.name": environmentKey, "warden.environment": environmentKey });
  const observedTime = hrTime(observed);
  return events.map((event) => {
    const severity = event.decision === "deny" ? "WARN" : event.decision === "error" ? "ERROR" : "INFO";
    const attributes: Record<string, string | number | boolean> = {
      "warden.audit.id": event.id,
      "warden.audit.seq": String(event.seq),
      "warden.audit.chain": event.chain,
      "warden.audit.source": event.source,
      "warden.audit.action": event.action,
      "warden.audit.hash": event.hash,
      "warden.audit.received_at": event.receivedAt.toISOString(),
      "enduser.id": event.actor,
    };
    const optional: [string, string | number | null][] = [
      ["warden.actor.label", event.actorLabel],
      ["warden.client.id", event.clientId],
      ["warden.server", event.server],
      ["warden.tool", event.tool],
      ["warden.audit.target", event.target],
      ["warden.audit.decision", event.decision],
      ["warden.audit.reason", event.reason],
      ["warden.audit.config_version", event.configVersion],
      ["warden.audit.request_id", event.requestId],
      ["warden.audit.prev_hash", event.prevHash],
      ["client.address", event.ip],
      ["warden.audit.details", event.details === null || event.details === undefined ? null : JSON.stringify(event.details)],
    ];
    for (const [key, value] of optional) if (value !== null && value !== undefined) attributes[key] = value;
    return {
      hrTime: hrTime(event.ts),
      hrTimeObserved: observedTime,
      severityNumber: SEVERITY[severity],
      severityText: severity,
      body: event.action,
      eventName: "warden.audit",
      resource,
      instrumentationScope: SCOPE,
      attributes,
      droppedAttributesCount: 0,
    } as unknown as ReadableLogRecord;
  });
}

export function encodeOtlpLogs(encoding: "JSON" | "PROTOBUF", records: ReadableLogRecord[]): { body: Uint8Array; contentType: string } {
  if (encoding === "PROTOBUF") return { body: ProtobufLogsSerializer.serializeRequest(records) ?? new Uint8Array(), contentType: "application/x-protobuf" };
  return { body: JsonLogsSerializer.serializeRequest(records) ?? new Uint8Array(), contentType: "application/json" };
}
