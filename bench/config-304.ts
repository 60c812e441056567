/**
 * Benchmark: GET /api/v1/config answered 304 by the data plane, against a
 * bare node:http server answering 304 on the same machine in the same run.
 * Target (design §6): at least 50% of the bare server's throughput.
 *
 *   npm run bench:config-304 [-- --seconds 5 --concurrency 50]
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { parseArgs } from "node:util";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { createDb } from "@/lib/db/client";
import { startEmbeddedDatabase } from "@/lib/db/embedded";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { createDataPlaneHandler } from "@/lib/data-plane/handler";
import { measureRequestsPerSecond } from "./http-load";

const { values } = parseArgs({ options: { seconds: { type: "string", default: "5" }, concurrency: { type: "string", default: "50" } } });
const durationMs = Number(values.seconds) * 1000;
const concurrency = Number(values.concurrency);

async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const embedded = await startEmbeddedDatabase({});
await applyPendingMigrations(embedded.url, { engineConnections: embedded.poolMax });
const db = createDb(embedded.url, embedded.poolMax);
const key = encryptionKeyFrom("benchmark-only encryption key, 32+ chars");
const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
const admin = await db.admin.create({ data: { email: "bench@example.com", role: "OWNER" } });
const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: "sales", resourceUri: "https://sales.example.com/mcp", authorizationServer: "https://idp.example.com" } });
for (let i = 0; i < 20; i++) await db.tool.create({ data: { serverId: server.id, name: `tool_${i}` } });
await ensureSigningKey(db, key);
const signer = await loadSigner(db, key);
await publishConfig(db, { id: admin.id, email: admin.email }, environment.id, {}, signer);
const { token } = await createApiKey(db, { id: admin.id, email: admin.email }, environment.id, CreateApiKeySchema.parse({ label: "bench", serverId: server.id }));

const plane = createDataPlaneHandler({ db: () => db, signer: async () => signer });
await plane.refresh();
const warden = await listen((req, res) => void plane.handle(req, res));
const first = await fetch(`${warden.url}/api/v1/config`, { headers: { authorization: `Bearer ${token}` } });
const etag = first.headers.get("etag")!;
await first.arrayBuffer();

const bare = await listen((_req, res) => {
  res.writeHead(304, { ETag: etag, "Cache-Control": "private, no-cache" });
  res.end();
});

const headers = { authorization: `Bearer ${token}`, "if-none-match": etag, "x-instance-id": "bench" };
// Warm both up, then measure alternately so drift in machine load hits both.
await measureRequestsPerSecond(bare.url, { headers, concurrency, durationMs: 1_000, expectStatus: 304 });
await measureRequestsPerSecond(`${warden.url}/api/v1/config`, { headers, concurrency, durationMs: 1_000, expectStatus: 304 });
const baseline = await measureRequestsPerSecond(bare.url, { headers, concurrency, durationMs, expectStatus: 304 });
const measured = await measureRequestsPerSecond(`${warden.url}/api/v1/config`, { headers, concurrency, durationMs, expectStatus: 304 });

const ratio = measured.requestsPerSecond / baseline.requestsPerSecond;
console.log(`bare node:http 304:          ${baseline.requestsPerSecond} req/s`);
console.log(`warden /api/v1/config 304:   ${measured.requestsPerSecond} req/s (${measured.unexpected} unexpected statuses)`);
console.log(`ratio: ${(ratio * 100).toFixed(1)}% of bare node:http (target ≥ 50%) ${ratio >= 0.5 && measured.unexpected === 0 ? "PASS" : "FAIL"}`);

plane.close();
warden.server.close();
bare.server.close();
await db.$disconnect();
await embedded.stop();
process.exit(0);
