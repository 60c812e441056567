import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner, publicJwks } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { createDb, type Db } from "@/lib/db/client";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { createScratchDatabase } from "@/lib/db/testing";
import { serveDataPlane } from "@/lib/data-plane/testing";
import { createDownstreamApi, removeDelegation, setDelegation } from "@/lib/delegation/delegation";
import { ensureTokenSigningKey, loadTokenSigner } from "@/lib/token-exchange/keys";
import { startTokenIssuer, type TokenIssuer } from "@/examples/reference-mcp-server/token-issuer";
import { createApprovalClient, createAuditReporter, createWardenClient, type AuditReporter, type WardenClient } from "@/sdk/src/index";
import { createGateway } from "./gateway";
import type { UpstreamTokenExchange } from "./settings";
import { UpstreamConnection } from "./upstream";

// The gateway in front of an upstream that needs a credential per user: a
// real data plane issues on-behalf-of tokens for a registered downstream API,
// and the upstream records every Authorization header it is sent.
const AGENT = "0oa-planning-agent";
const CALENDAR = "https://calendar.example.com/api";
const key = encryptionKeyFrom("gateway on-behalf-of test encryption key, long enough");
const silent = { info() {}, warn() {}, error() {} };

type Seen = { method: string; authorization: string | undefined };

let db: Db;
let drop: () => Promise<void>;
let issuer: TokenIssuer;
let plane: Awaited<ReturnType<typeof serveDataPlane>>;
let sdk: WardenClient;
let audit: AuditReporter;
let upstreamServer: Server;
let upstream: UpstreamConnection;
let http: Server;
let resource = "";
let apiKey = "";
let wardenIssuer = "";
let ids: { api: string; server: string; env: string; actor: { id: string; email: string } };
const seen: Seen[] = [];
const gateways: { handle: ReturnType<typeof createGateway>["handle"]; close: () => Promise<void> }[] = [];
let active: ReturnType<typeof createGateway>["handle"];

/** A Streamable HTTP MCP server with one tool, noting the Authorization header of every request. */
async function startRecordingUpstream() {
  const server = createServer(async (req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length ? JSON.parse(Buffer.concat(chunks).toString("utf8")) : undefined;
    for (const message of [body].flat()) seen.push({ method: message?.method ?? req.method ?? "", authorization: req.headers.authorization });
    const mcp = new McpServer({ name: "calendar-mcp", version: "1.0.0" });
    mcp.registerTool("list_meetings", { description: "Lists the caller's meetings." }, async () => ({ content: [{ type: "text", text: "no meetings" }] }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on("close", () => void transport.close().then(() => mcp.close()));
    await mcp.connect(transport);
    await transport.handleRequest(req, res, body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return server;
}

function gatewayWith(tokenExchange: UpstreamTokenExchange | undefined) {
  const gateway = createGateway({
    settings: { resource, issuer: issuer.issuer, allowedHosts: [new URL(resource).host], allowedOrigins: [new URL(resource).origin], maxBodyBytes: 64 * 1024, upstreamTimeoutMs: 10_000, tokenExchange, warden: { url: plane.base, apiKey } },
    warden: sdk,
    audit,
    approvals: createApprovalClient({ url: plane.base, apiKey }),
    upstream,
    logger: silent,
  });
  gateways.push(gateway);
  return gateway.handle;
}

async function publish() {
  await publishConfig(db, ids.actor, ids.env, {}, await loadSigner(db, key));
  await plane.plane.refresh();
  await sdk.pollNow();
}

async function callListMeetings(options: { progress?: boolean } = {}) {
  const token = await issuer.token(AGENT, { resource, scope: "tools:calendar.read" });
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const result = (await client.callTool({ name: "list_meetings", arguments: {} }, undefined, options.progress ? { onprogress: () => undefined } : undefined)) as { isError?: boolean; content: { text?: string }[] };
    return { token, isError: Boolean(result.isError), text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

const bearer = (seenRequest: Seen | undefined) => seenRequest?.authorization?.replace(/^Bearer /, "") ?? "";

beforeAll(async () => {
  const scratch = await createScratchDatabase();
  drop = scratch.drop;
  await applyPendingMigrations(scratch.url);
  db = createDb(scratch.url, 4);
  issuer = await startTokenIssuer({ clients: [AGENT], scopes: ["tools:calendar.read"] });
  issuer.setClaims(AGENT, { groups: ["planners"] });
  upstreamServer = await startRecordingUpstream();
  upstream = new UpstreamConnection({ kind: "http", url: `http://127.0.0.1:${(upstreamServer.address() as AddressInfo).port}/mcp`, headers: {} }, silent);
  // The gateway's address is its resource, which Warden must know before it can accept tokens for it.
  http = createServer((req, res) => void active(req, res));
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  resource = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;

  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  const admin = await db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
  const actor = { id: admin.id, email: admin.email };
  const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: "calendar-mcp", resourceUri: resource, authorizationServer: issuer.issuer } });
  const tool = await db.tool.create({ data: { serverId: server.id, name: "list_meetings" } });
  const role = await db.role.create({ data: { environmentId: environment.id, name: "planner", claimName: "groups", claimValue: "planners" } });
  await db.grant.create({ data: { roleId: role.id, toolId: tool.id, requiredScopes: ["tools:calendar.read"] } });
  await db.client.create({ data: { environmentId: environment.id, clientId: AGENT, kind: "PRE_REGISTERED", status: "APPROVED" } });
  const downstream = await createDownstreamApi(db, actor, environment.id, { name: "calendar-api", audience: CALENDAR, scopes: ["calendar:read"] });
  await setDelegation(db, actor, environment.id, { downstreamApiId: downstream.id, serverId: server.id, propagation: [{ scope: "calendar:read", requires: "tools:calendar.read" }] });
  ids = { api: downstream.id, server: server.id, env: environment.id, actor };
  await ensureSigningKey(db, key);
  await ensureTokenSigningKey(db, key);
  apiKey = (await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: "gateway", serverId: server.id }))).token;
  let base = "";
  plane = await serveDataPlane({ db: () => db, signer: () => loadSigner(db, key), tokenSigner: () => loadTokenSigner(db, key), issuerBaseUrl: () => base });
  base = plane.base;
  wardenIssuer = `${base}/api/v1/issuers/prod`;
  sdk = createWardenClient({ url: base, apiKey, jwks: (await publicJwks(db)) as JSONWebKeySet, logger: silent });
  audit = createAuditReporter({ url: base, apiKey, logger: silent, flushIntervalMs: 100 });
  await publish();
}, 120_000);

afterAll(async () => {
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  for (const gateway of gateways) await gateway.close();
  await upstream?.close();
  upstreamServer?.closeAllConnections();
  await new Promise((resolve) => upstreamServer?.close(resolve));
  await audit?.close();
  sdk?.close();
  await plane?.close();
  await issuer?.close();
  await db?.$disconnect();
  await drop?.();
});

describe("the gateway's upstream credential", () => {
  it("without on-behalf-of, the upstream is sent no Authorization header at all", async () => {
    active = gatewayWith(undefined);
    seen.length = 0;
    const result = await callListMeetings();
    expect(result).toMatchObject({ isError: false, text: "no meetings" });
    expect(seen.some((request) => request.method === "tools/call")).toBe(true);
    expect(seen.filter((request) => request.authorization !== undefined)).toEqual([]);
  });

  it("with on-behalf-of, each call carries a Warden token for the upstream's audience, acting for the gateway, never the caller's own", async () => {
    active = gatewayWith({ audience: CALENDAR, scope: [] });
    seen.length = 0;
    const result = await callListMeetings();
    expect(result).toMatchObject({ isError: false, text: "no meetings" });
    const calls = seen.filter((request) => request.method === "tools/call");
    expect(calls).toHaveLength(1);
    const sent = bearer(calls[0]);
    expect(sent).not.toBe("");
    expect(sent).not.toBe(result.token);
    expect(seen.some((request) => request.authorization?.includes(result.token))).toBe(false);
    expect(decodeProtectedHeader(sent).typ).toBe("at+jwt");
    // Verified as the downstream API would: Warden's issuer metadata, its key set, typ at+jwt.
    const issuerUrl = new URL(wardenIssuer);
    const metadata = (await (await fetch(`${issuerUrl.origin}/.well-known/oauth-authorization-server${issuerUrl.pathname}`)).json()) as { jwks_uri: string };
    const { payload } = await jwtVerify(sent, createRemoteJWKSet(new URL(metadata.jwks_uri)), { issuer: wardenIssuer, audience: CALENDAR, typ: "at+jwt" });
    expect(payload).toMatchObject({ sub: AGENT, aud: CALENDAR, act: { sub: resource }, scope: "calendar:read" });
    // Listing is shared by every caller, so it carries no caller's credential.
    expect(seen.filter((request) => request.method !== "tools/call").every((request) => request.authorization === undefined)).toBe(true);
  });

  it("with on-behalf-of, a call that takes the MCP client's path (progress) carries the token too", async () => {
    seen.length = 0;
    const result = await callListMeetings({ progress: true });
    expect(result.isError).toBe(false);
    const calls = seen.filter((request) => request.method === "tools/call");
    expect(calls).toHaveLength(1);
    expect(decodeProtectedHeader(bearer(calls[0])).typ).toBe("at+jwt");
    expect(bearer(calls[0])).not.toBe(result.token);
  });

  it("once the delegation is removed and published, the call is refused with invalid_target and never reaches the upstream", async () => {
    await removeDelegation(db, ids.actor, ids.env, { downstreamApiId: ids.api, serverId: ids.server });
    await publish();
    seen.length = 0;
    const result = await callListMeetings();
    expect(result.isError).toBe(true);
    expect(result.text).toBe("Warden refused an on-behalf-of token for this call (invalid_target: No delegation lets server calendar-mcp obtain tokens for calendar-api in prod.)");
    expect(seen.filter((request) => request.method === "tools/call")).toEqual([]);
    await audit.flush();
    await expect
      .poll(() => db.auditEvent.findFirst({ where: { action: "tool.call", decision: "deny" }, select: { actor: true, tool: true, reason: true } }), { timeout: 10_000 })
      .toEqual({ actor: AGENT, tool: "list_meetings", reason: "token_exchange_invalid_target" });
  });
});
