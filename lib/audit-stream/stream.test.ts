import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { JsonLogsSerializer } from "@opentelemetry/otlp-transformer";
import { afterEach, expect, it } from "vitest";
import { recordAuditEvents } from "@/lib/audit/record";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import type { DestinationPolicy } from "@/lib/notifications/destination";
import { toLogRecords } from "./encode";
import { auditStreamStatus, AuditStreamSettingsSchema, saveAuditStream } from "./stream";
import { startAuditStreamWorker } from "./worker";

const KEY = encryptionKeyFrom("s".repeat(40));
const LOCAL: DestinationPolicy = { allowPrivate: true, timeoutMs: 5_000, maxResponseBytes: 1024 };

type OtlpAttribute = { key: string; value: { stringValue?: string; intValue?: number } };
type OtlpRequest = { resourceLogs: { resource: { attributes: OtlpAttribute[] }; scopeLogs: { logRecords: { body: { stringValue: string }; attributes: OtlpAttribute[] }[] }[] }[] };

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A collector's OTLP/HTTP logs endpoint: answers `down` with 503 while set, records what it accepted. */
async function collector() {
  const state = { down: false, requests: [] as OtlpRequest[], headers: [] as Record<string, string | string[] | undefined>[] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (state.down) {
        res.statusCode = 503;
        return res.end();
      }
      state.requests.push(JSON.parse(Buffer.concat(chunks).toString("utf8")) as OtlpRequest);
      state.headers.push(req.headers);
      res.setHeader("content-type", "application/json");
      res.end("{}");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  const ids = () => state.requests.flatMap((request) => request.resourceLogs.flatMap((r) => r.scopeLogs.flatMap((s) => s.logRecords.map((l) => l.attributes.find((a) => a.key === "warden.audit.id")!.value.stringValue!))));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/logs`, state, ids };
}

it("encodes like the OpenTelemetry serializer, with the event's fields and the accountability chain as attributes", () => {
  const event = {
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

describeEachDatabase("audit streaming", (t) => {
  async function setup(url: string) {
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
    await saveAuditStream(t.db, actor, environment.id, AuditStreamSettingsSchema.parse({ endpoint: url, headers: "Authorization: Bearer collector-key" }), KEY, LOCAL);
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
    expect(target.state.headers[0]!.authorization).toBe("Bearer collector-key");
    expect(await auditStreamStatus(t.db, environment.id)).toMatchObject({ behind: 0, lagSeconds: 0, streamedCount: stored, lastError: null });

    // The collector is down: nothing moves, the lag grows and the error is shown.
    target.state.down = true;
    await ingest(10);
    await worker.runOnce();
    const during = (await auditStreamStatus(t.db, environment.id))!;
    expect(during.behind).toBe(10);
    expect(during.lastError).toBe("The collector answered HTTP 503.");

    // A new worker (a restarted Warden) resumes from the persisted cursor once the collector is back.
    await worker.stop();
    target.state.down = false;
    const restarted = startAuditStreamWorker({ db: () => t.db, encryptionKey: () => KEY, policy: LOCAL, pollMs: 60_000 });
    await restarted.runOnce();
    await restarted.stop();
    expect(target.ids()).toHaveLength(stored + 10);
    expect(new Set(target.ids()).size).toBe(stored + 10);
    expect(await auditStreamStatus(t.db, environment.id)).toMatchObject({ behind: 0, lastError: null });
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
