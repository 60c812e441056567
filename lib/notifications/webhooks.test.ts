import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Webhook as StandardWebhook } from "standardwebhooks";
import { afterEach, describe, expect, it } from "vitest";
import { decideApproval, openApproval } from "@/lib/approvals/approval-requests";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { describeEachDatabase } from "@/lib/db/test-harness";
import { checkDestination, type DestinationPolicy } from "./destination";
import { slackBody, type NotificationEventType } from "./events";
import { enqueueNotification, notifyIntegrityFailure } from "./outbox";
import { createApiKey, CreateApiKeySchema, revokeApiKey } from "@/lib/api-keys/api-keys";
import { expireDueApprovals } from "@/lib/approvals/approval-requests";
import { createWebhook, CreateWebhookSchema, deleteWebhook, listDeliveries, pruneDeliveryLog, resendDelivery, sendTestEvent, updateWebhook } from "./webhooks";
import { backoffDelay, runWebhookDeliveries, type WebhookWorkerOptions } from "./worker";

const DIGEST = `sha256:${"a".repeat(64)}`;
const KEY = encryptionKeyFrom("k".repeat(40));
const LOCAL: DestinationPolicy = { allowPrivate: true, timeoutMs: 2_000, maxResponseBytes: 1024 };

type Received = { headers: IncomingHttpHeaders; body: string };

/** A local receiver that answers with the next status of `script` (then 204), and records what it got. */
async function receiver(script: number[] = []) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.statusCode = script.shift() ?? 204;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  servers.push(server);
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, received };
}
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

describe("webhook destinations", () => {
  it("refuses private addresses unless allowed, link-local always, and plain http on the internet", async () => {
    const strict: DestinationPolicy = { ...LOCAL, allowPrivate: false };
    expect(await checkDestination("http://127.0.0.1:9/hook", strict)).toMatch(/loopback.*WARDEN_DESTINATIONS_ALLOW_PRIVATE/);
    expect(await checkDestination("http://127.0.0.1:9/hook", LOCAL)).toBeNull();
    expect(await checkDestination("http://169.254.169.254/latest", LOCAL)).toMatch(/link-local.*never/);
    expect(await checkDestination("http://93.184.215.14/hook", LOCAL)).toMatch(/must use https/);
    expect(await checkDestination("https://93.184.215.14/hook", strict)).toBeNull();
    expect(await checkDestination("https://user:pw@example.com/hook", LOCAL)).toMatch(/credentials/);
    expect(CreateWebhookSchema.safeParse({ name: "x", url: "ftp://example.com", events: ["approval.requested"] }).success).toBe(false);
    expect(CreateWebhookSchema.safeParse({ name: "x", url: "https://example.com", events: [] }).success).toBe(false);
  });

  it("backs off exponentially, capped", () => {
    const fixed = () => 0.5;
    expect([1, 2, 3, 4].map((n) => backoffDelay(n, 5_000, 3_600_000, fixed))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(backoffDelay(30, 5_000, 3_600_000, fixed)).toBe(3_600_000);
  });

  it("words an approval request for Slack, with a link to review it", () => {
    const body = slackBody(
      {
        type: "approval.requested",
        timestamp: "2026-01-01T00:00:00.000Z",
        data: { environment: "prod", subject: "alice", clientName: "Claude Desktop", tool: "refund_payment", server: "sales-mcp", expiresAt: "2026-01-01T00:09:00.000Z" },
      },
      "https://warden.example.com",
      new Date("2026-01-01T00:00:00.000Z"),
    );
    expect(body.text).toBe("Approval needed: alice via Claude Desktop wants `refund_payment` on sales-mcp (expires in 9 min) — <https://warden.example.com/prod/approvals|Review>");
    expect(body.blocks[0]).toMatchObject({ type: "section", text: { type: "mrkdwn" } });
  });
});

describeEachDatabase("webhook delivery", (t) => {
  async function setup(url: string, events: NotificationEventType[] = ["approval.requested", "approval.decided"], format: "STANDARD" | "SLACK" = "STANDARD") {
    const environment = await t.db.environment.create({ data: { key: "prod", name: "Production" } });
    const server = await t.db.mcpServer.create({ data: { environmentId: environment.id, name: "sales-mcp", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
    await t.db.tool.create({ data: { serverId: server.id, name: "refund_payment", riskTier: "HIGH" } });
    const admin = await t.db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
    const actor = { id: admin.id, email: admin.email };
    const hook = await createWebhook(t.db, actor, environment.id, CreateWebhookSchema.parse({ name: "receiver", url, events, format }), KEY, LOCAL);
    const key = { id: "k", environmentId: environment.id, environmentKey: "prod", serverId: server.id, serverName: "sales-mcp", label: "pod" };
    const open = (subject = "alice") => openApproval(t.db, key, { subject, tool: "refund_payment", argumentsDigest: DIGEST });
    const worker: WebhookWorkerOptions = { db: () => t.db, encryptionKey: () => KEY, policy: LOCAL, publicUrl: "https://warden.example.com", backoffBaseMs: 30, maxBackoffMs: 200 };
    return { environment, actor, admin, hook, open, worker };
  }

  async function drain(worker: WebhookWorkerOptions, until: () => boolean, timeoutMs = 10_000) {
    const deadline = Date.now() + timeoutMs;
    while (!until()) {
      if (Date.now() > deadline) throw new Error("the deliveries did not land in time");
      await runWebhookDeliveries(worker);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it("sends an approval request signed per Standard Webhooks, verified with the reference library", async () => {
    const target = await receiver();
    const { hook, open, worker } = await setup(target.url);
    const approval = await open();
    // Written with the request, before any delivery.
    expect(await t.db.webhookDelivery.count({ where: { status: "PENDING" } })).toBe(1);
    await drain(worker, () => target.received.length === 1);
    const [message] = target.received;
    const event = new StandardWebhook(hook.secret).verify(message!.body, message!.headers as Record<string, string>) as { type: string; data: Record<string, unknown> };
    expect(event).toMatchObject({ type: "approval.requested", data: { environment: "prod", approvalId: approval.id, subject: "alice", tool: "refund_payment", server: "sales-mcp" } });
    expect(() => new StandardWebhook(`whsec_${Buffer.from("x".repeat(32)).toString("base64")}`).verify(message!.body, message!.headers as Record<string, string>)).toThrow();
    const [row] = (await listDeliveries(t.db, hook.id, { status: "all" })).rows;
    expect(row).toMatchObject({ status: "DELIVERED", attempts: 1, lastStatusCode: 204, eventType: "approval.requested" });
  });

  it("retries a receiver that fails three times, then delivers every event once, in order", async () => {
    const target = await receiver([500, 503, 500]);
    const { open, worker } = await setup(target.url);
    for (const subject of ["u1", "u2", "u3", "u4"]) await open(subject);
    await drain(worker, () => new Set(target.received.filter((r) => r.body).map((r) => r.headers["webhook-id"])).size === 4 && target.received.length === 7);
    const subjects = target.received.map((r) => (JSON.parse(r.body) as { data: { subject: string } }).data.subject);
    // The head of the queue is retried until it lands; nothing overtakes it.
    expect(subjects).toEqual(["u1", "u1", "u1", "u1", "u2", "u3", "u4"]);
    const rows = await t.db.webhookDelivery.findMany({ orderBy: { seq: "asc" } });
    expect(rows.map((row) => [row.status, row.attempts])).toEqual([["DELIVERED", 4], ["DELIVERED", 1], ["DELIVERED", 1], ["DELIVERED", 1]]);
  });

  it("gives a message up after the retry window, and the queue moves on", async () => {
    const target = await receiver([500, 500]);
    const { open, worker } = await setup(target.url);
    await open("u1");
    await open("u2");
    await drain({ ...worker, giveUpAfterMs: 0 }, () => target.received.length === 2);
    const rows = await t.db.webhookDelivery.findMany({ orderBy: { seq: "asc" } });
    expect(rows.map((row) => row.status)).toEqual(["FAILED", "FAILED"]);
    expect(rows[0]!.lastError).toBe("The destination answered HTTP 500.");
  });

  it("never sends a message twice at once when several workers run", async () => {
    const target = await receiver();
    const { open, worker } = await setup(target.url);
    for (let index = 0; index < 6; index++) await open(`u${index}`);
    await Promise.all([runWebhookDeliveries(worker), runWebhookDeliveries(worker), runWebhookDeliveries(worker)]);
    await drain(worker, () => target.received.length >= 6);
    expect(target.received.map((r) => (JSON.parse(r.body) as { data: { subject: string } }).data.subject)).toEqual(["u0", "u1", "u2", "u3", "u4", "u5"]);
  });

  it("queues nothing when the action rolls back, for disabled destinations or unsubscribed events", async () => {
    const target = await receiver();
    const { environment, actor, hook, open, worker } = await setup(target.url, ["approval.decided"]);
    await open();
    expect(await t.db.webhookDelivery.count()).toBe(0);
    await expect(
      t.db.$transaction(async (tx) => {
        await enqueueNotification(tx, environment.id, "approval.decided", { subject: "x" });
        throw new Error("the action failed");
      }),
    ).rejects.toThrow("the action failed");
    expect(await t.db.webhookDelivery.count()).toBe(0);
    await updateWebhook(t.db, actor, environment.id, { id: hook.id, enabled: false }, LOCAL);
    await t.db.$transaction((tx) => enqueueNotification(tx, environment.id, "approval.decided", { subject: "x" }));
    expect(await t.db.webhookDelivery.count()).toBe(0);
    await runWebhookDeliveries(worker);
    expect(target.received).toHaveLength(0);
  });

  it("notifies a decision, sends a test event and resends a delivery, each audited, and keeps the secret out of the trail", async () => {
    const target = await receiver();
    const { environment, actor, admin, hook, open, worker } = await setup(target.url, ["approval.decided"], "SLACK");
    const approval = await open();
    await decideApproval(t.db, { ...actor, role: "OWNER" }, environment.id, { id: approval.id, decision: "approve", note: "" });
    await sendTestEvent(t.db, actor, environment.id, { id: hook.id });
    await drain(worker, () => target.received.length === 2);
    const bodies = target.received.map((r) => JSON.parse(r.body) as { text: string });
    expect(bodies[0]!.text).toMatch(/^Approval granted by owner@example.com: alice may call `refund_payment` on sales-mcp/);
    expect(bodies[1]!.text).toMatch(/^Test event from Warden/);
    // A Slack body is signed too.
    new StandardWebhook(hook.secret).verify(target.received[0]!.body, target.received[0]!.headers as Record<string, string>);

    const [decided] = (await listDeliveries(t.db, hook.id, { status: "all" })).rows.filter((row) => row.eventType === "approval.decided");
    await resendDelivery(t.db, actor, environment.id, { webhookId: hook.id, deliveryId: decided!.id });
    await drain(worker, () => target.received.length === 3);
    expect(target.received[2]!.headers["webhook-id"]).toBe(target.received[0]!.headers["webhook-id"]);

    const trail = await t.db.auditEvent.findMany({ where: { action: { startsWith: "webhook." } }, orderBy: { seq: "asc" } });
    expect(trail.map((event) => event.action)).toEqual(["webhook.created", "webhook.test_sent", "webhook.delivery_resent"]);
    expect(trail.every((event) => event.actor === admin.id)).toBe(true);
    const stored = await t.db.webhook.findUniqueOrThrow({ where: { id: hook.id } });
    const everything = JSON.stringify([trail, stored, await t.db.webhookDelivery.findMany()], (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v));
    expect(everything).not.toContain(hook.secret.slice(6));

    await deleteWebhook(t.db, actor, environment.id, { id: hook.id });
    expect(await t.db.webhookDelivery.count()).toBe(0);
  });

  it("notifies an expired request and a revoked API key, and prunes the log after 30 days", async () => {
    const target = await receiver();
    const { environment, actor, hook, open, worker } = await setup(target.url, ["approval.expired", "api_key.revoked"]);
    const approval = await open();
    await t.db.approvalRequest.update({ where: { id: approval.id }, data: { expiresAt: new Date(Date.now() - 1_000) } });
    await expireDueApprovals(t.db, { environmentId: environment.id });
    const key = await createApiKey(t.db, actor, environment.id, CreateApiKeySchema.parse({ label: "sales prod" }));
    await revokeApiKey(t.db, actor, environment.id, { id: key.id });
    await drain(worker, () => target.received.length === 2);
    const events = target.received.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    expect(events.map((event) => event.type)).toEqual(["approval.expired", "api_key.revoked"]);
    expect(events[1]!.data).toMatchObject({ label: "sales prod", revokedBy: "owner@example.com" });
    expect(JSON.stringify(events[1])).not.toContain(key.token);
    expect(await pruneDeliveryLog(t.db, new Date(Date.now() + 31 * 24 * 60 * 60_000))).toBe(2);
    expect((await listDeliveries(t.db, hook.id, { status: "all" })).rows).toHaveLength(0);
  });

  it("tells of a broken audit chain once per break, however often it is verified", async () => {
    const target = await receiver();
    const { environment } = await setup(target.url, ["audit.integrity_failed"]);
    const broken = { seq: "7", id: "0190c0de-0000-7000-8000-000000000007", ts: new Date().toISOString(), problem: "This event's content does not match its hash." };
    expect(await notifyIntegrityFailure(t.db, environment.id, broken, "auditor@example.com")).toBe(1);
    expect(await notifyIntegrityFailure(t.db, environment.id, broken, "owner@example.com")).toBe(0);
    expect(await notifyIntegrityFailure(t.db, environment.id, { ...broken, seq: "9", id: "0190c0de-0000-7000-8000-000000000009" }, "owner@example.com")).toBe(1);
  });
});
