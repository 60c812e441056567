/**
 * POST /api/v1/token (RFC 8693) against a bare node:http server doing only
 * what any exchange must: verify the subject token with jose and sign a new
 * one. Both run in this process on loopback; rounds alternate (A B A B A B)
 * and the median ratio is printed, as the machine is noisy. Warden's side
 * also authenticates the API key, decides against the published
 * delegations and writes an audit event per exchange.
 *
 *   npx tsx bench/token-exchange.ts [--rounds 3] [--seconds 5] [--concurrency 50]
 */
import { readdirSync, readFileSync } from "node:fs";
import { createServer, Agent, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from "jose";
import { createApiKey, CreateApiKeySchema } from "../lib/api-keys/api-keys";
import { publishConfig } from "../lib/config/publish";
import { ensureSigningKey, loadSigner } from "../lib/config/signing-keys";
import { encryptionKeyFrom } from "../lib/crypto/encryption";
import { createDb } from "../lib/db/client";
import { applyPendingMigrations } from "../lib/db/migrate";
import { createScratchDatabase } from "../lib/db/testing";
import { serveDataPlane } from "../lib/data-plane/testing";
import { createDownstreamApi, setDelegation } from "../lib/delegation/delegation";
import { ensureTokenSigningKey, loadTokenSigner } from "../lib/token-exchange/keys";

const arg = (name: string, fallback: number) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? Number(process.argv[index + 1]) : fallback;
};
const ROUNDS = arg("rounds", 3);
const SECONDS = arg("seconds", 5);
const CONCURRENCY = arg("concurrency", 50);
const RESOURCE = "https://cal.example.com/mcp";
const AUDIENCE = "https://calendar.example.com/api";
const AGENT = "0oa-bench-agent";

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** CPU seconds all PostgreSQL processes have used so far, from /proc; null where there is none to read. */
function postgresCpuSeconds(): number | null {
  try {
    let total = 0;
    for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        if (!stat.includes("(postgres)")) continue;
        const fields = stat.split(") ")[1]!.split(" ");
        total += (Number(fields[11]) + Number(fields[12])) / 100;
      } catch {
        // The process ended between the listing and the read.
      }
    }
    return total;
  } catch {
    return null;
  }
}

/** A load run with the CPU it cost per request: this process (server and load generator) and PostgreSQL. */
async function metered(run: () => ReturnType<typeof load>) {
  const usage = process.cpuUsage();
  const database = postgresCpuSeconds();
  const result = await run();
  const spent = process.cpuUsage(usage);
  const requests = Math.max(1, result.rps * SECONDS);
  const after = postgresCpuSeconds();
  return { ...result, processUs: (spent.user + spent.system) / requests, databaseUs: database === null || after === null ? null : ((after - database) * 1e6) / requests };
}

/** `concurrency` keep-alive loops POSTing the same form for `seconds`; throughput and latency percentiles. */
async function load(url: string, headers: Record<string, string>, body: string) {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const deadline = Date.now() + SECONDS * 1000;
  const latencies: number[] = [];
  let unexpected = 0;
  const once = () =>
    new Promise<void>((resolve, reject) => {
      const started = performance.now();
      const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: "POST", agent, headers: { ...headers, "content-length": Buffer.byteLength(body) } }, (res) => {
        if (res.statusCode !== 200) unexpected++;
        res.resume();
        res.on("end", () => {
          latencies.push(performance.now() - started);
          resolve();
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  const started = Date.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (Date.now() < deadline) await once();
  }));
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return { rps: Math.round(latencies.length / ((Date.now() - started) / 1000)), p50: pct(0.5), p99: pct(0.99), unexpected };
}

async function main() {
  // The MCP server's authorization server: RS256 keys behind RFC 8414 metadata, as an IdP would serve them.
  const idpKeys = await generateKeyPair("RS256");
  const idpJwk = { ...(await exportJWK(idpKeys.publicKey)), kid: "idp-1", alg: "RS256", use: "sig" };
  const idp = createServer((req, res) => {
    const path = req.url ?? "";
    if (path === "/.well-known/oauth-authorization-server") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    if (path === "/jwks") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ keys: [idpJwk] }));
    res.writeHead(404).end();
  });
  const issuer = await listen(idp);
  const subjectToken = await new SignJWT({ scope: "tools:calendar.read tools:calendar.write", azp: AGENT })
    .setProtectedHeader({ alg: "RS256", kid: "idp-1" })
    .setIssuer(issuer)
    .setSubject("alice")
    .setAudience(RESOURCE)
    .setIssuedAt()
    .setExpirationTime("2h")
    .sign(idpKeys.privateKey);

  const scratch = await createScratchDatabase();
  const db = createDb(scratch.url, 8);
  const key = encryptionKeyFrom("token exchange bench encryption key, long enough");
  try {
    await applyPendingMigrations(scratch.url);
    const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
    const admin = await db.admin.create({ data: { email: "bench@example.com", role: "OWNER" } });
    const actor = { id: admin.id, email: admin.email };
    const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: "calendar-mcp", resourceUri: RESOURCE, authorizationServer: issuer } });
    await db.client.create({ data: { environmentId: environment.id, clientId: AGENT, kind: "PRE_REGISTERED", status: "APPROVED" } });
    const api = await createDownstreamApi(db, actor, environment.id, { name: "calendar-api", audience: AUDIENCE, scopes: ["calendar:read", "calendar:write"] });
    await setDelegation(db, actor, environment.id, { downstreamApiId: api.id, serverId: server.id, propagation: [{ scope: "calendar:write", requires: "tools:calendar.write" }] });
    await ensureSigningKey(db, key);
    await ensureTokenSigningKey(db, key);
    await publishConfig(db, actor, environment.id, {}, await loadSigner(db, key));
    // A high rate limit: the bench measures the exchange, not the limiter.
    await db.environment.update({ where: { id: environment.id }, data: { apiKeyRatePerSecond: 1_000_000, apiKeyRateBurst: 1_000_000 } });
    const apiKey = (await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: "bench", serverId: server.id }))).token;
    const warden = await serveDataPlane({ db: () => db, signer: () => loadSigner(db, key), tokenSigner: () => loadTokenSigner(db, key), issuerBaseUrl: "https://warden.example.com" });

    // The baseline: verify with jose against the same IdP keys (held locally), sign with an ES256 key, answer.
    const localKeys = createLocalJWKSet({ keys: [idpJwk] });
    const signing = await generateKeyPair("ES256");
    const bare = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (chunk: Buffer) => chunks.push(chunk));
      req.on("end", async () => {
        const form = new URLSearchParams(Buffer.concat(chunks).toString());
        const { payload } = await jwtVerify(form.get("subject_token")!, localKeys, { issuer, audience: RESOURCE });
        const token = await new SignJWT({ scope: "calendar:write", act: { sub: RESOURCE } })
          .setProtectedHeader({ alg: "ES256", kid: "bare", typ: "at+jwt" })
          .setIssuer("https://bare.example.com")
          .setSubject(String(payload.sub))
          .setAudience(AUDIENCE)
          .setIssuedAt()
          .setExpirationTime("5m")
          .sign(signing.privateKey);
        const body = JSON.stringify({ access_token: token, token_type: "Bearer", expires_in: 300 });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) }).end(body);
      });
    });
    const bareUrl = await listen(bare);

    const form = new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: subjectToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      audience: AUDIENCE,
      scope: "calendar:write",
    }).toString();
    const headers = { "content-type": "application/x-www-form-urlencoded" };
    // Warm both (JWKS discovery, key loading, JIT).
    await load(`${warden.base}/api/v1/token`, { ...headers, authorization: `Bearer ${apiKey}` }, form);
    await load(`${bareUrl}/token`, headers, form);

    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const w = await metered(() => load(`${warden.base}/api/v1/token`, { ...headers, authorization: `Bearer ${apiKey}` }, form));
      const b = await metered(() => load(`${bareUrl}/token`, headers, form));
      ratios.push(w.rps / b.rps);
      const us = (value: number | null) => (value === null ? "n/a" : `${Math.round(value)} µs`);
      console.log(
        `round ${round}: warden ${w.rps} req/s (p50 ${w.p50.toFixed(1)} ms, p99 ${w.p99.toFixed(1)} ms, ${w.unexpected} non-200) · bare jose ${b.rps} req/s (p50 ${b.p50.toFixed(1)} ms, p99 ${b.p99.toFixed(1)} ms) · ratio ${(w.rps / b.rps).toFixed(2)}`,
      );
      console.log(`  CPU per exchange: warden ${us(w.processUs)} in this process + ${us(w.databaseUs)} in PostgreSQL · bare ${us(b.processUs)} + ${us(b.databaseUs)}`);
    }
    ratios.sort((a, b) => a - b);
    const median = ratios[Math.floor(ratios.length / 2)]!;
    console.log(`median ratio ${median.toFixed(2)} (target ≥ 0.5; p99 target < 20 ms at ${CONCURRENCY} concurrent)`);
    console.log(`exchanges audited: ${await db.auditEvent.count({ where: { action: "token.exchange" } })}`);
    await warden.close();
    bare.close();
  } finally {
    idp.close();
    await db.$disconnect();
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
