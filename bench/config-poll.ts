/**
 * Benchmark of what an MCP fleet does to the data plane (design §6), with the
 * load generated from a second process so it never competes with the server
 * for its event loop:
 * - the 304 path (config unchanged) against a bare node:http server answering
 *   304 in the same run: target ≥ 50% of its throughput;
 * - the 200 path with a ~100 kB snapshot at 50 concurrent: target p99 < 20 ms.
 *
 *   npm run bench:config-poll [-- --seconds 5 --concurrency 50]
 */
import { execFile } from "node:child_process";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs, promisify } from "node:util";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { createDb } from "@/lib/db/client";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { createDataPlaneHandler } from "@/lib/data-plane/handler";
import type { LoadResult } from "./http-load";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, concurrency: { type: "string", default: "50" }, tools: { type: "string", default: "300" } } });
const durationMs = Number(values.seconds) * 1000;
const concurrency = Number(values.concurrency);

async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** Runs the load generator in its own Node process and returns what it measured. */
async function load(url: string, options: { headers: Record<string, string>; expectStatus: number; durationMs: number }): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/http-load.ts", JSON.stringify({ url, concurrency, ...options })], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as LoadResult;
}

// A realistic, large snapshot: many tools on one server, each granted to a few roles with scopes, and many approved clients.
const embedded = await startEmbeddedDatabase({});
await applyPendingMigrations(embedded.url, { engineConnections: embedded.poolMax });
const db = createDb(embedded.url, embedded.poolMax);
const key = encryptionKeyFrom("benchmark-only encryption key, 32+ chars");
const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
const admin = await db.admin.create({ data: { email: "bench@example.com", role: "OWNER" } });
const actor = { id: admin.id, email: admin.email };
const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
const roles = await Promise.all(
  ["analyst", "support", "finance", "admin"].map((name) => db.role.create({ data: { environmentId: environment.id, name, claimName: "groups", claimValue: `sales-${name}` } })),
);
await db.tool.createMany({ data: Array.from({ length: Number(values.tools) }, (_, i) => ({ serverId: server.id, name: `tool_number_${String(i).padStart(4, "0")}` })) });
const tools = await db.tool.findMany({ where: { serverId: server.id } });
await db.grant.createMany({
  data: tools.flatMap((tool, i) => roles.slice(0, 1 + (i % 3)).map((role) => ({ roleId: role.id, toolId: tool.id, requiredScopes: [`tools:sales.${i % 2 ? "read" : "write"}`] }))),
});
await db.client.createMany({ data: Array.from({ length: 60 }, (_, i) => ({ environmentId: environment.id, clientId: `https://agent-${i}.example.com/oauth/client-metadata.json`, status: "APPROVED" as const })) });
await ensureSigningKey(db, key);
const signer = await loadSigner(db, key);
await publishConfig(db, actor, environment.id, {}, signer);
const { token } = await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: "bench", serverId: server.id }));

const plane = createDataPlaneHandler({ db: () => db, signer: async () => signer });
await plane.refresh();
const warden = await listen((req, res) => void plane.handle(req, res));
const configUrl = `${warden.url}/api/v1/config`;
const first = await fetch(configUrl, { headers: { authorization: `Bearer ${token}` } });
const etag = first.headers.get("etag")!;
const snapshotBytes = (await first.arrayBuffer()).byteLength;

const bare = await listen((_req, res) => {
  res.writeHead(304, { ETag: etag, "Cache-Control": "private, no-cache" });
  res.end();
});

const pollHeaders = { authorization: `Bearer ${token}`, "if-none-match": etag, "x-instance-id": "bench", "x-applied-version": "1", "x-sdk-version": "bench" };
// Warm up, then measure alternately so drift in machine load hits both.
await load(bare.url, { headers: pollHeaders, expectStatus: 304, durationMs: 1_000 });
await load(configUrl, { headers: pollHeaders, expectStatus: 304, durationMs: 1_000 });
const baseline = await load(bare.url, { headers: pollHeaders, expectStatus: 304, durationMs });
const notModified = await load(configUrl, { headers: pollHeaders, expectStatus: 304, durationMs });
await load(configUrl, { headers: { authorization: `Bearer ${token}` }, expectStatus: 200, durationMs: 1_000 });
const full = await load(configUrl, { headers: { authorization: `Bearer ${token}` }, expectStatus: 200, durationMs });

const ratio = notModified.requestsPerSecond / baseline.requestsPerSecond;
const row = (label: string, result: LoadResult) =>
  `${label.padEnd(34)} ${String(result.requestsPerSecond).padStart(7)} req/s   p50 ${result.p50Ms.toFixed(2)} ms   p99 ${result.p99Ms.toFixed(2)} ms   (${result.count} requests, ${result.unexpected} unexpected)`;
console.log(`load: ${concurrency} concurrent keep-alive connections from a separate process, ${values.seconds} s per measurement`);
console.log(row("bare node:http 304", baseline));
console.log(row("warden /api/v1/config 304", notModified));
console.log(row(`warden /api/v1/config 200 (${(snapshotBytes / 1024).toFixed(0)} kB)`, full));
const pass304 = ratio >= 0.5 && notModified.unexpected === 0;
const pass200 = full.p99Ms < 20 && full.unexpected === 0;
console.log(`304 path: ${(ratio * 100).toFixed(1)}% of bare node:http (target ≥ 50%) ${pass304 ? "PASS" : "FAIL"}`);
console.log(`200 path: p99 ${full.p99Ms.toFixed(2)} ms with a ${(snapshotBytes / 1024).toFixed(0)} kB snapshot (target < 20 ms) ${pass200 ? "PASS" : "FAIL"}`);

plane.close();
warden.server.close();
bare.server.close();
await db.$disconnect();
await embedded.stop();
process.exit(pass304 && pass200 ? 0 : 1);
