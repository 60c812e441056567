/**
 * Benchmark of what MCP fleets do to the data plane (design §6), on the
 * production rate limits, with the load generated from a second process so it
 * never competes with the server for its event loop. Each path is measured
 * against a bare node:http server sending the same status, headers and bytes,
 * alternating Warden and the bare server over several rounds (A B A B A B) so
 * that drift in the machine's load hits both; each round's ratio is printed,
 * and the median decides:
 * - 304 (config unchanged): ≥ 0.5× the bare server;
 * - 200 with the ~100 kB snapshot, as br (what the SDK gets), gzip and
 *   identity: ≥ 0.5× the bare server, and p99 < 20 ms at 50 concurrent.
 * A ratio above 1.0 means the baseline is not like for like.
 *
 * Every connection uses its own environment-wide API key (50 fleets, each
 * within the default 1,000 requests/s per key), so a 429 here would be a
 * real refusal, counted as unexpected.
 *
 *   npm run bench:config-poll [-- --seconds 3 --rounds 3 --concurrency 50]
 */
import { execFile } from "node:child_process";
import { createServer, request, type OutgoingHttpHeaders } from "node:http";
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

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "3" },
    rounds: { type: "string", default: "3" },
    concurrency: { type: "string", default: "50" },
    tools: { type: "string", default: "300" },
  },
});
const durationMs = Number(values.seconds) * 1000;
const rounds = Math.max(3, Number(values.rounds));
const concurrency = Number(values.concurrency);

async function listen(handler: Parameters<typeof createServer>[1]) {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

type LoadOptions = { headers: Record<string, string>; tokens?: string[]; expectStatus: number; durationMs: number };

/** Runs the load generator in its own Node process and returns what it measured. */
async function load(url: string, options: LoadOptions): Promise<LoadResult> {
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "bench/http-load.ts", JSON.stringify({ url, concurrency, ...options })], { maxBuffer: 1024 * 1024 });
  return JSON.parse(stdout.trim().split("\n").pop()!) as LoadResult;
}

/** One response exactly as it crossed the wire (status, headers, undecoded bytes). */
function rawGet(url: string, headers: Record<string, string>) {
  return new Promise<{ status: number; headers: OutgoingHttpHeaders; body: Buffer }>((resolve, reject) => {
    const req = request(url, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
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
// One key per connection: environment-wide keys (a server's own keys are capped at two, for rotation).
const tokens: string[] = [];
for (let i = 0; i < concurrency; i++) tokens.push((await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: `fleet ${i}`, serverId: null }))).token);

// The production handler and limits: nothing here is tuned for the benchmark.
const plane = createDataPlaneHandler({ db: () => db, signer: async () => signer });
await plane.refresh();
const warden = await listen((req, res) => void plane.handle(req, res));
const configUrl = `${warden.url}/api/v1/config?server=sales`;

// What Warden sends for each case, captured once, for the bare server to send byte for byte.
const auth = { authorization: `Bearer ${tokens[0]}` };
const captured = {
  identity: await rawGet(configUrl, auth),
  br: await rawGet(configUrl, { ...auth, "accept-encoding": "br, gzip" }),
  gzip: await rawGet(configUrl, { ...auth, "accept-encoding": "gzip" }),
};
const etag = String(captured.identity.headers.etag);
const notModified = await rawGet(configUrl, { ...auth, "if-none-match": etag });
const keep = (headers: OutgoingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([name]) => !["date", "connection", "keep-alive"].includes(name)));
const bare = await listen((req, res) => {
  if (req.headers["if-none-match"] === etag) return res.writeHead(304, keep(notModified.headers)).end();
  const accept = String(req.headers["accept-encoding"] ?? "");
  const answer = accept.includes("br") ? captured.br : accept.includes("gzip") ? captured.gzip : captured.identity;
  res.writeHead(200, keep(answer.headers)).end(answer.body);
});

const poll = { "x-instance-id": "bench", "x-applied-version": "1", "x-sdk-version": "bench" };
const cases = [
  { name: "304 (unchanged)", headers: { ...poll, "if-none-match": etag }, expectStatus: 304, bytes: 0, p99: false },
  { name: `200 br (${(captured.br.body.length / 1024).toFixed(1)} kB)`, headers: { ...poll, "accept-encoding": "br, gzip" }, expectStatus: 200, bytes: captured.br.body.length, p99: true },
  { name: `200 gzip (${(captured.gzip.body.length / 1024).toFixed(1)} kB)`, headers: { ...poll, "accept-encoding": "gzip" }, expectStatus: 200, bytes: captured.gzip.body.length, p99: true },
  { name: `200 identity (${(captured.identity.body.length / 1024).toFixed(0)} kB)`, headers: poll, expectStatus: 200, bytes: captured.identity.body.length, p99: true },
];

const median = (numbers: number[]) => [...numbers].sort((a, b) => a - b)[Math.floor(numbers.length / 2)]!;
const row = (label: string, result: LoadResult) =>
  `${label.padEnd(10)} ${String(result.requestsPerSecond).padStart(7)} req/s   p50 ${result.p50Ms.toFixed(2).padStart(6)} ms   p99 ${result.p99Ms.toFixed(2).padStart(6)} ms   ${JSON.stringify(result.statuses)}`;

console.log(`load: ${concurrency} concurrent keep-alive connections (one API key each) from a separate process, ${values.seconds} s per measurement, ${rounds} rounds alternating Warden (A) and bare node:http (B)`);
console.log(`snapshot: ${(captured.identity.body.length / 1024).toFixed(0)} kB; br ${captured.br.body.length} B, gzip ${captured.gzip.body.length} B; production rate limits`);
let pass = true;
for (const scenario of cases) {
  const options = (url: string) => load(url, { headers: scenario.headers, tokens, expectStatus: scenario.expectStatus, durationMs });
  // Warm-up of both, not counted.
  await load(bare.url, { headers: scenario.headers, tokens, expectStatus: scenario.expectStatus, durationMs: 500 });
  await load(configUrl, { headers: scenario.headers, tokens, expectStatus: scenario.expectStatus, durationMs: 500 });
  console.log(`\n${scenario.name}`);
  const ratios: number[] = [];
  const p99s: number[] = [];
  let unexpected = 0;
  for (let round = 1; round <= rounds; round++) {
    const a = await options(configUrl);
    const b = await options(bare.url);
    ratios.push(a.requestsPerSecond / b.requestsPerSecond);
    p99s.push(a.p99Ms);
    unexpected += a.unexpected + b.unexpected;
    console.log(`  round ${round}  A ${row("warden", a)}`);
    console.log(`           B ${row("bare", b)}   ratio ${ratios.at(-1)!.toFixed(2)}`);
  }
  const ratio = median(ratios);
  const p99 = median(p99s);
  const ok = ratio >= 0.5 && unexpected === 0 && (!scenario.p99 || p99 < 20);
  pass &&= ok;
  console.log(
    `  median ratio ${ratio.toFixed(2)}× bare (target ≥ 0.5×)` +
      (scenario.p99 ? `, median p99 ${p99.toFixed(2)} ms (target < 20 ms)` : "") +
      (unexpected ? `, ${unexpected} unexpected statuses` : "") +
      ` ${ok ? "PASS" : "FAIL"}` +
      (ratio > 1 ? "  (above 1.0: the baseline is not like for like)" : ""),
  );
}

plane.close();
warden.server.close();
bare.server.close();
await db.$disconnect();
await embedded.stop();
process.exit(pass ? 0 : 1);
