import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
// The OTLP protobuf definitions as generated code, shipped by the OpenTelemetry
// JavaScript SDK itself (the package has no `exports` map, so the file is reachable).
import otlpRoot from "@opentelemetry/otlp-transformer/build/src/generated/root.js";

/**
 * An OTLP/HTTP logs receiver for tests, as a collector would be: it accepts
 * `POST /v1/logs` in either OTLP encoding and decodes the body with the
 * OpenTelemetry JavaScript packages' own protobuf definitions —
 * `ExportLogsServiceRequest.decode` for `application/x-protobuf`, and the
 * OTLP/JSON mapping onto the same message (`fromObject`) for
 * `application/json` — so both encodings end up as the same decoded request.
 */

export type OtlpEncoding = "JSON" | "PROTOBUF";
export type AnyValue = {
  stringValue?: string;
  boolValue?: boolean;
  /** int64, as a decimal string. */
  intValue?: string;
  doubleValue?: number;
  arrayValue?: { values?: AnyValue[] };
  kvlistValue?: { values?: KeyValue[] };
  /** base64 */
  bytesValue?: string;
};
export type KeyValue = { key: string; value?: AnyValue };
export type LogRecord = {
  /** uint64 nanoseconds, as a decimal string. */
  timeUnixNano?: string;
  observedTimeUnixNano?: string;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValue;
  eventName?: string;
  attributes?: KeyValue[];
  droppedAttributesCount?: number;
  flags?: number;
  /** hex, as in OTLP/JSON */
  traceId?: string;
  spanId?: string;
};
export type ExportLogsServiceRequest = {
  resourceLogs?: {
    resource?: { attributes?: KeyValue[]; droppedAttributesCount?: number };
    scopeLogs?: { scope?: { name?: string; version?: string; attributes?: KeyValue[] }; logRecords?: LogRecord[]; schemaUrl?: string }[];
    schemaUrl?: string;
  }[];
};

type MessageType = {
  decode(body: Uint8Array): unknown;
  fromObject(object: Record<string, unknown>): unknown;
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>;
};
const v1 = (otlpRoot as unknown as { opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: MessageType; ExportLogsServiceResponse: MessageType & { encode(message: unknown): { finish(): Uint8Array } } } } } } } })
  .opentelemetry.proto.collector.logs.v1;

// As OTLP/JSON writes them: 64-bit integers as decimal strings, enums as numbers.
const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true, objects: true };
const SPAN_CONTEXT_IDS = ["traceId", "spanId"] as const;

function recodeIds(request: Record<string, unknown>, from: BufferEncoding, to: BufferEncoding) {
  for (const resourceLogs of (request as ExportLogsServiceRequest).resourceLogs ?? [])
    for (const scopeLogs of resourceLogs.scopeLogs ?? [])
      for (const record of scopeLogs.logRecords ?? [])
        for (const key of SPAN_CONTEXT_IDS) if (typeof record[key] === "string") record[key] = Buffer.from(record[key], from).toString(to);
  return request;
}

/** Decodes an OTLP/HTTP logs request body; throws on a body that is not one. */
export function decodeExportLogsServiceRequest(encoding: OtlpEncoding, body: Uint8Array): ExportLogsServiceRequest {
  const type = v1.ExportLogsServiceRequest;
  let message: unknown;
  if (encoding === "PROTOBUF") message = type.decode(body);
  else {
    const json: unknown = JSON.parse(new TextDecoder().decode(body));
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("An OTLP/JSON request is an object.");
    // OTLP/JSON writes trace and span ids in hex where the protobuf JSON mapping has base64.
    message = type.fromObject(recodeIds(json as Record<string, unknown>, "hex", "base64"));
  }
  return recodeIds(type.toObject(message, TO_OBJECT), "base64", "hex") as ExportLogsServiceRequest;
}

export function attributeMap(attributes: KeyValue[] | undefined): Record<string, AnyValue> {
  return Object.fromEntries((attributes ?? []).map((attribute) => [attribute.key, attribute.value ?? {}]));
}

/** One decoded log record with its resource and scope, as received. */
export type ReceivedLogRecord = {
  /** The `warden.audit.id` attribute: the audit event's id. */
  id: string | undefined;
  encoding: OtlpEncoding;
  resource: Record<string, AnyValue>;
  scope: { name?: string; version?: string };
  attributes: Record<string, AnyValue>;
} & Omit<LogRecord, "attributes">;

function encodingOf(req: IncomingMessage): OtlpEncoding | null {
  const type = (req.headers["content-type"] ?? "").split(";")[0]!.trim().toLowerCase();
  return type === "application/x-protobuf" ? "PROTOBUF" : type === "application/json" ? "JSON" : null;
}

/**
 * Starts with `start()` (on `port`, 0 for any free one) and can be stopped and
 * started again on the same port. While `unavailable` is set it answers 503,
 * as a collector that is overloaded or restarting.
 */
export function otlpLogsReceiver(options: { port?: number; host?: string } = {}) {
  const host = options.host ?? "127.0.0.1";
  let port = options.port ?? 0;
  let server: Server | null = null;
  /** Every accepted record in arrival order, re-deliveries included. */
  const received: ReceivedLogRecord[] = [];
  /** The latest copy of each record by event id. */
  const records = new Map<string, ReceivedLogRecord>();
  /** The headers of every accepted request. */
  const headers: IncomingMessage["headers"][] = [];
  const receiver = {
    unavailable: false,
    received,
    records,
    headers,
    get url() {
      return `http://${host}:${port}/v1/logs`;
    },
    /** The event ids of every accepted record, in arrival order. */
    ids: () => received.map((record) => record.id),
    async start() {
      const listening = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (chunk: Buffer) => chunks.push(chunk));
        req.on("end", () => {
          const encoding = encodingOf(req);
          if (req.method !== "POST" || req.url !== "/v1/logs") res.statusCode = 404;
          else if (!encoding) res.statusCode = 415;
          else if (receiver.unavailable) res.statusCode = 503;
          else {
            let request: ExportLogsServiceRequest;
            try {
              const raw = Buffer.concat(chunks);
              request = decodeExportLogsServiceRequest(encoding, req.headers["content-encoding"] === "gzip" ? gunzipSync(raw) : raw);
            } catch {
              res.statusCode = 400;
              return res.end();
            }
            headers.push(req.headers);
            for (const resourceLogs of request.resourceLogs ?? []) {
              const resource = attributeMap(resourceLogs.resource?.attributes);
              for (const scopeLogs of resourceLogs.scopeLogs ?? [])
                for (const { attributes, ...record } of scopeLogs.logRecords ?? []) {
                  const values = attributeMap(attributes);
                  const entry: ReceivedLogRecord = { ...record, id: values["warden.audit.id"]?.stringValue, encoding, resource, scope: { name: scopeLogs.scope?.name, version: scopeLogs.scope?.version }, attributes: values };
                  received.push(entry);
                  if (entry.id) records.set(entry.id, entry);
                }
            }
            // A full success: an empty ExportLogsServiceResponse, in the request's encoding.
            if (encoding === "PROTOBUF") {
              res.setHeader("content-type", "application/x-protobuf");
              return res.end(v1.ExportLogsServiceResponse.encode(v1.ExportLogsServiceResponse.fromObject({})).finish());
            }
            res.setHeader("content-type", "application/json");
            return res.end("{}");
          }
          res.end();
        });
      });
      await new Promise<void>((resolve, reject) => {
        listening.once("error", reject);
        listening.listen(port, host, () => resolve());
      });
      server = listening;
      port = (listening.address() as AddressInfo).port;
    },
    async stop() {
      const closing = server;
      server = null;
      if (closing) await new Promise<void>((resolve) => closing.close(() => resolve()).closeAllConnections());
    },
  };
  return receiver;
}
