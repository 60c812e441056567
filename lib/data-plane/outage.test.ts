import { createHash } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import type { JSONWebKeySet } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { verifyAuditChain } from "@/lib/audit/verify";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner, publicJwks } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { createDb, type Db } from "@/lib/db/client";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { startPartitionProxy } from "@/lib/db/partition-proxy";
import { createScratchDatabase, type ScratchDatabase } from "@/lib/db/testing";
import { AuditReporter } from "@/sdk/src/audit";
import { WardenClient } from "@/sdk/src/client";
import { createDataPlaneHandler } from "./handler";
import { serveDataPlane } from "./testing";

// The "done means": the database goes away under a polling SDK and a
// sending reporter, then comes back. The data plane reaches a real
// PostgreSQL through a TCP proxy that stands in for a network partition or a
// stopped database (it drops and refuses every connection while "cut"); the
// machine's PostgreSQL itself is shared and never stopped.

const encryptionKey = encryptionKeyFrom("outage test encryption key, long enough");
const silent = { info() {}, warn() {}, error() {} };

let scratch: ScratchDatabase;
let proxy: Awaited<ReturnType<typeof startPartitionProxy>>;
let direct: Db;
let planeDb: Db;
let served: Awaited<ReturnType<typeof serveDataPlane>>;
let token: string;
let environmentId: string;
let jwks: JSONWebKeySet;

beforeAll(async () => {
  scratch = await createScratchDatabase();
  await applyPendingMigrations(scratch.url);
  direct = createDb(scratch.url, 2);
  const environment = await direct.environment.create({ data: { key: "prod", name: "Production" } });
  environmentId = environment.id;
  const admin = await direct.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
  const actor = { id: admin.id, email: admin.email };
  const server = await direct.mcpServer.create({ data: { environmentId, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
  await direct.tool.create({ data: { serverId: server.id, name: "get_invoice" } });
  await ensureSigningKey(direct, encryptionKey);
  await publishConfig(direct, actor, environmentId, {}, await loadSigner(direct, encryptionKey));
  token = (await createApiKey(direct, actor, environmentId, CreateApiKeySchema.parse({ label: "sales", serverId: server.id }))).token;
  jwks = (await publicJwks(direct)) as JSONWebKeySet;

  proxy = await startPartitionProxy(scratch.url);
  planeDb = createDb(proxy.url, 4);
  // The production tick (1 s) and flush intervals, so the outage is met the way it would be.
  served = await serveDataPlane({ db: () => planeDb, signer: () => loadSigner(planeDb, encryptionKey), refreshMs: 1_000, flushMs: 1_000, approvalSweepMs: 1_000 });
});

afterAll(async () => {
  await served?.close();
  await planeDb?.$disconnect().catch(() => undefined);
  await proxy?.close();
  await direct?.$disconnect();
  await scratch?.drop();
});

type Seen = { status: number; retryAfter: string | null; during: boolean };

it("serves config from memory through a database outage, answers ingestion 503 with Retry-After, and stores every accepted event exactly once after it", async () => {
  let outage = false;
  const recording = (log: Seen[]): typeof fetch => async (input, init) => {
    const during = outage;
    const response = await fetch(input, init);
    log.push({ status: response.status, retryAfter: response.headers.get("retry-after"), during });
    return response;
  };
  const polls: Seen[] = [];
  const sends: Seen[] = [];
  const sdk = new WardenClient({ url: served.base, apiKey: token, jwks, logger: silent, pollIntervalMs: [100, 200], firstPollMaxDelayMs: 0, fetch: recording(polls) });
  const reporter = new AuditReporter({ url: served.base, apiKey: token, logger: silent, batchSize: 20, flushIntervalMs: 200, backoff: { baseMs: 100, maxMs: 1_000 }, fetch: recording(sends) });
  const recorded: string[] = [];
  const producer = setInterval(() => {
    const event = reporter.record({ actor: "alice@example.com", server: "sales", tool: "get_invoice", action: "tool.call", decision: "allow" });
    recorded.push(event.id);
  }, 10);

  try {
    await sdk.start();
    await sdk.ready(10_000);
    await expect.poll(() => sends.filter((send) => send.status === 202).length, { timeout: 10_000 }).toBeGreaterThan(0);

    proxy.cut();
    outage = true;
    // Long enough for several revision ticks, polls and batches to meet the outage.
    await expect.poll(() => sends.filter((send) => send.during && send.status === 503).length, { timeout: 15_000 }).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const health = await served.call("/healthz");
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "degraded", reason: "database unreachable", servingConfigFromMemory: true });
    expect((await served.call("/readyz")).status).toBe(200);

    // A 200 too: an instance that starts during the outage gets the document from memory.
    const newcomer = new WardenClient({ url: served.base, apiKey: token, jwks, logger: silent });
    expect(await newcomer.pollNow()).toEqual({ kind: "applied", version: 1 });

    // What needs the database says so, and when to come back.
    const intake = await served.call("/api/v1/clients/intake", { method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ clientId: "https://agent.example.com/client.json" }) });
    expect([intake.status, intake.headers.get("retry-after")]).toEqual([503, "5"]);
    const digest = `sha256:${createHash("sha256").update("{}").digest("hex")}`;
    const approval = await served.call("/api/v1/approvals", { method: "POST", token, headers: { "content-type": "application/json" }, body: JSON.stringify({ subject: "alice", tool: "get_invoice", argumentsDigest: digest }) });
    expect([approval.status, approval.headers.get("retry-after")]).toEqual([503, "5"]);

    proxy.heal();
    outage = false;
    clearInterval(producer);
    await expect.poll(async () => (await served.call("/healthz")).status, { timeout: 10_000 }).toBe(200);
    await reporter.close();
    await expect.poll(async () => (await reporter.flush(), reporter.stats().queued + reporter.stats().inFlight), { timeout: 20_000, interval: 500 }).toBe(0);
  } finally {
    clearInterval(producer);
    sdk.close();
  }

  const during = polls.filter((poll) => poll.during);
  expect(during.length).toBeGreaterThan(3);
  expect([...new Set(polls.map((poll) => poll.status))].sort()).toEqual([200, 304]);
  const refused = sends.filter((send) => send.status !== 202);
  expect(refused.filter((send) => send.during).length).toBeGreaterThan(0);
  // (A batch sent just as the database returns may still meet a dropped connection: it too is a 503, and retried.)
  for (const send of refused) expect(send).toMatchObject({ status: 503, retryAfter: "5" });

  expect(reporter.stats().dropped).toMatchObject({ total: 0, rejected: 0 });
  const stored = await direct.auditEvent.groupBy({ by: ["id"], where: { id: { in: recorded } }, _count: { id: true } });
  expect(stored).toHaveLength(recorded.length);
  expect(stored.every((row) => row._count.id === 1)).toBe(true);
  expect(await verifyAuditChain(direct, environmentId)).toMatchObject({ ok: true });
}, 90_000);

it("tells 'down' apart from 'degraded': an instance with nothing in memory cannot serve config while the database is unreachable", async () => {
  proxy.cut();
  const plane = createDataPlaneHandler({ db: () => planeDb, signer: () => loadSigner(planeDb, encryptionKey), refreshMs: 60_000, flushMs: 60_000, approvalSweepMs: 60_000 });
  const server = createServer((req, res) => void plane.handle(req, res));
  try {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "down", reason: "database unreachable", servingConfigFromMemory: false });
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    const poll = await fetch(`${base}/api/v1/config`, { headers: { authorization: `Bearer ${token}` } });
    expect([poll.status, poll.headers.get("retry-after")]).toEqual([503, "5"]);
  } finally {
    plane.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    proxy.heal();
  }
});
