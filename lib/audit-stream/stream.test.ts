import { JsonLogsSerializer } from "@opentelemetry/otlp-transformer";
import { afterEach, expect, it } from "vitest";
import { recordAuditEvents } from "@/lib/audit/record";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import type { DestinationPolicy } from "@/lib/notifications/destination";
import { encodeOtlpLogs, toLogRecords, type StreamedAuditEvent } from "./encode";
import { auditStreamStatus, AuditStreamSettingsSchema, saveAuditStream } from "./stream";
import { decodeExportLogsServiceRequest, otlpLogsReceiver } from "./testing/otlp-receiver";
import { startAuditStreamWorker } from "./worker";

const KEY = encryptionKeyFrom("s".repeat(40));
const LOCAL: DestinationPolicy = { allowPrivate: true, timeoutMs: 5_000, maxResponseBytes: 1024 };

type OtlpAttribute = { key: string; value: { stringValue?: string; intValue?: number } };
type OtlpRequest = { resourceLogs: { resource: { attributes: OtlpAttribute[] }; scopeLogs: { logRecords: { body: { stringValue: string }; attributes: OtlpAttribute[] }[] }[] }[] };

const receivers: ReturnType<typeof otlpLogsReceiver>[] = [];
afterEach(async () => {
  await Promise.all(receivers.splice(0).map((receiver) => receiver.stop()));
});

/** A collector's OTLP/HTTP logs endpoint, decoding what it accepts with the OpenTelemetry packages. */
async function collector() {
  const receiver = otlpLogsReceiver();
  await receiver.start();
  receivers.push(receiver);
  return receiver;
}

const SAMPLE: StreamedAuditEvent = {
  id: "0190b3f0-0000-7000-8000-000000000001",
  seq: BigInt(7),
  chain: "env",
  ts: new Date("2026-01-01T00:00:00.123Z"),
  receivedAt: new Date("2026-01-01T00:00:01.000Z"),
  source: "mcp",
  actor: "alice",
  actorLabel: null,
  clientId: "https://agent.example/c.json",
  server: "sales-mcp",
  tool: "refund_payment",
  action: "tool.call",
  target: null,
  decision: "deny",
  reason: "no grant",
  configVersion: 3,
  requestId: "r1",
  ip: null,
  details: { amount: 1 },
  prevHash: "p",
  hash: "h",
};

it("encodes like the OpenTelemetry serializer, with the event's fields and the accountability chain as attributes", () => {
  const event = SAMPLE;
  const request = JSON.parse(new TextDecoder().decode(JsonLogsSerializer.serializeRequest(toLogRecords("prod", [event])))) as OtlpRequest;
  const [resourceLogs] = request.resourceLogs;
  expect(resourceLogs!.resource.attributes).toContainEqual({ key: "service.name", value: { stringValue: "warden" } });
  const [record] = resourceLogs!.scopeLogs[0]!.logRecords;
  expect(record).toMatchObject({ timeUnixNano: "1767225600123000000", severityText: "WARN", body: { stringValue: "tool.call" } });
  const attributes = Object.fromEntries(record!.attributes.map((a) => [a.key, a.value.stringValue ?? a.value.intValue]));
  expect(attributes).toMatchObject({
    "warden.audit.id": event.id,
    "enduser.id": "alice",
    "warden.client.id": "https://agent.example/c.json",
    "warden.server": "sales-mcp",
    "warden.tool": "refund_payment",
    "warden.audit.decision": "deny",
    "warden.audit.config_version": 3,
    "warden.audit.details": '{"amount":1}',
  });
});

it("encodes protobuf that a collector decodes, with the OpenTelemetry packages, into the same request as the JSON encoding", () => {
  const records = toLogRecords("prod", [SAMPLE, { ...SAMPLE, id: "0190b3f0-0000-7000-8000-000000000002", decision: "allow", tool: "get_invoice" }]);
  const protobuf = encodeOtlpLogs("PROTOBUF", records);
  const json = encodeOtlpLogs("JSON", records);
  expect(protobuf.contentType).toBe("application/x-protobuf");
  const decoded = decodeExportLogsServiceRequest("PROTOBUF", protobuf.body);
  expect(decoded).toEqual(decodeExportLogsServiceRequest("JSON", json.body));

  const [resourceLogs] = decoded.resourceLogs!;
  expect(resourceLogs!.resource!.attributes).toContainEqual({ key: "service.name", value: { stringValue: "warden" } });
  const [scopeLogs] = resourceLogs!.scopeLogs!;
  expect(scopeLogs!.scope).toMatchObject({ name: "warden.audit", version: "1" });
  const [denied, allowed] = scopeLogs!.logRecords!;
  expect(denied).toMatchObject({ timeUnixNano: "1767225600123000000", severityNumber: 13, severityText: "WARN", eventName: "warden.audit", body: { stringValue: "tool.call" } });
  expect(denied!.attributes).toEqual(
    expect.arrayContaining([
      { key: "warden.audit.id", value: { stringValue: SAMPLE.id } },
      { key: "enduser.id", value: { stringValue: "alice" } },
      { key: "warden.client.id", value: { stringValue: "https://agent.example/c.json" } },
      { key: "warden.server", value: { stringValue: "sales-mcp" } },
      { key: "warden.tool", value: { stringValue: "refund_payment" } },
      { key: "warden.audit.config_version", value: { intValue: "3" } },
    ]),
  );
  expect(allowed).toMatchObject({ severityText: "INFO" });
  expect(allowed!.attributes).toContainEqual({ key: "warden.tool", value: { stringValue: "get_invoice" } });
});

describeEachDatabase("audit streaming", (t) => {
  async function setup(url: string, encoding: "JSON" | "PROTOBUF" = "JSON") {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const actor = { id: admin.id, email: admin.email };
    const ingest = (count: number, lane = 0) =>
      t.db.$transaction((tx) =>
        recordAuditEvents(
          tx,
          Array.from({ length: count }, (_, index) => ({ environmentId: environment.id, source: "mcp" as const, actor: `user-${lane}-${index}`, server: "sales-mcp", tool: "get_invoice", action: "tool.call", decision: "allow" as const })),
          { anyLane: lane > 0 },
        ),
      );
    await saveAuditStream(t.db, actor, environment.id, AuditStreamSettingsSchema.parse({ endpoint: url, encoding, headers: "Authorization: Bearer collector-key" }), KEY, LOCAL);
    const worker = startAuditStreamWorker({ db: () => t.db, encryptionKey: () => KEY, policy: LOCAL, pollMs: 60_000, backoffBaseMs: 10, batchPerChain: 25 });
    return { environment, actor, ingest, worker };
  }

  it("streams every stored event once, resumes after an outage from its cursor, and shows the lag", async () => {
    const target = await collector();
    const { environment, ingest, worker } = await setup(target.url);
    await ingest(30);
    await ingest(40, 1);
    await ingest(20, 2);
    // The stream's own set-up is an event of the environment too.
    const stored = await t.db.auditEvent.count({ where: { environmentId: environment.id } });
    expect((await auditStreamStatus(t.db, environment.id))!.behind).toBe(stored);

    await worker.runOnce();
    expect(new Set(target.ids()).size).toBe(stored);
    expect(target.ids()).toHaveLength(stored);
    expect(target.headers[0]!.authorization).toBe("Bearer collector-key");
    expect(await auditStreamStatus(t.db, environment.id)).toMatchObject({ behind: 0, lagSeconds: 0, streamedCount: stored, lastError: null });

    // The collector is down: nothing moves, the lag grows and the error is shown.
    target.unavailable = true;
    await ingest(10);
    await worker.runOnce();
    const during = (await auditStreamStatus(t.db, environment.id))!;
    expect(during.behind).toBe(10);
    expect(during.lastError).toBe("The collector answered HTTP 503.");

    // A new worker (a restarted Warden) resumes from the persisted cursor once the collector is back.
    await worker.stop();
    target.unavailable = false;
    const restarted = startAuditStreamWorker({ db: () => t.db, encryptionKey: () => KEY, policy: LOCAL, pollMs: 60_000 });
    await restarted.runOnce();
    await restarted.stop();
    expect(target.ids()).toHaveLength(stored + 10);
    expect(new Set(target.ids()).size).toBe(stored + 10);
    expect(await auditStreamStatus(t.db, environment.id)).toMatchObject({ behind: 0, lastError: null });
  });

  it("streams with the protobuf encoding: the collector decodes every event with its id, user, agent, server and tool", async () => {
    const target = await collector();
    const { environment, worker } = await setup(target.url, "PROTOBUF");
    await t.db.$transaction((tx) =>
      recordAuditEvents(
        tx,
        Array.from({ length: 12 }, (_, index) => ({
          environmentId: environment.id,
          source: "mcp" as const,
          actor: `user-${index}@example.com`,
          clientId: `https://agent-${index % 3}.example/client.json`,
          server: index % 2 ? "sales-mcp" : "billing-mcp",
          tool: `tool_${index}`,
          action: "tool.call",
          decision: index % 4 === 0 ? ("deny" as const) : ("allow" as const),
        })),
        { anyLane: true },
      ),
    );
    await worker.runOnce();
    await worker.stop();

    const stored = await t.db.auditEvent.findMany({ where: { environmentId: environment.id } });
    expect(target.headers.map((headers) => headers["content-type"])).toEqual(target.headers.map(() => "application/x-protobuf"));
    expect(target.headers[0]!.authorization).toBe("Bearer collector-key");
    expect([...target.ids()].sort()).toEqual(stored.map((event) => event.id).sort());
    for (const event of stored) {
      const received = target.records.get(event.id)!;
      expect(received.encoding).toBe("PROTOBUF");
      expect(received.resource["warden.environment"]).toEqual({ stringValue: "prod" });
      expect(received.body).toEqual({ stringValue: event.action });
      expect(received.timeUnixNano).toBe(String(BigInt(event.ts.getTime()) * BigInt(1_000_000)));
      expect(received.attributes["enduser.id"]).toEqual({ stringValue: event.actor });
      if (event.action !== "tool.call") continue;
      expect(received).toMatchObject({
        severityText: event.decision === "deny" ? "WARN" : "INFO",
        attributes: {
          "warden.client.id": { stringValue: event.clientId },
          "warden.server": { stringValue: event.server },
          "warden.tool": { stringValue: event.tool },
          "warden.audit.decision": { stringValue: event.decision },
        },
      });
    }
    expect(stored.filter((event) => event.action === "tool.call")).toHaveLength(12);
    expect(await auditStreamStatus(t.db, environment.id)).toMatchObject({ behind: 0, streamedCount: stored.length, lastError: null });
  });

  it("keeps collector headers out of the trail and the status", async () => {
    const target = await collector();
    const { environment } = await setup(target.url);
    const trail = JSON.stringify(await t.db.auditEvent.findMany({ where: { action: { startsWith: "audit_stream." } }, select: { action: true, details: true } }));
    expect(trail).toContain("audit_stream.created");
    expect(trail).not.toContain("collector-key");
    expect(JSON.stringify(await auditStreamStatus(t.db, environment.id))).not.toContain("collector-key");
  });
});
