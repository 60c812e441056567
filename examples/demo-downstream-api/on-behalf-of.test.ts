import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { JSONWebKeySet } from "jose";
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
import { createTokenExchanger, createWardenClient, type WardenClient } from "@/sdk/src/index";
import { startReferenceMcpServer, type RunningReferenceServer } from "../reference-mcp-server/server";
import { startTokenIssuer, type TokenIssuer } from "../reference-mcp-server/token-issuer";
import { startDemoDownstreamApi, type RunningDemoApi } from "./server";

// The on-behalf-of loop in one process: the official MCP client, the
// reference server with the SDK, Warden's data plane, a real authorization
// server and the demo calendar API, which trusts only Warden's JWKS.
const AGENT = "0oa-calendar-agent";
const RESOURCE = "https://cal.example.com/mcp";
const CALENDAR = "https://calendar.example.com/api";
const key = encryptionKeyFrom("on-behalf-of test encryption key, long enough");
const silent = { info() {}, warn() {}, error() {} };

let db: Db;
let drop: () => Promise<void>;
let issuer: TokenIssuer;
let plane: Awaited<ReturnType<typeof serveDataPlane>>;
let api: RunningDemoApi;
let mcp: RunningReferenceServer;
let sdk: WardenClient;
let ids: { api: string; server: string; env: string; actor: { id: string; email: string } };

async function publish() {
  await publishConfig(db, ids.actor, ids.env, {}, await loadSigner(db, key));
  await plane.plane.refresh();
  await sdk.pollNow();
}

async function bookMeeting(title: string, scope: string) {
  const token = await issuer.token(AGENT, { resource: RESOURCE, scope });
  const client = new Client({ name: "test-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(mcp.url), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const result = (await client.callTool({ name: "book_meeting", arguments: { title } })) as { isError?: boolean; content: { text?: string }[] };
    return { ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

beforeAll(async () => {
  const scratch = await createScratchDatabase();
  drop = scratch.drop;
  await applyPendingMigrations(scratch.url);
  db = createDb(scratch.url, 4);
  issuer = await startTokenIssuer({ clients: [AGENT], scopes: ["tools:calendar.read", "tools:calendar.write"] });
  issuer.setClaims(AGENT, { groups: ["planners"] });
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  const admin = await db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
  const actor = { id: admin.id, email: admin.email };
  const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: "sales-mcp", resourceUri: RESOURCE, authorizationServer: issuer.issuer } });
  const tool = await db.tool.create({ data: { serverId: server.id, name: "book_meeting" } });
  const role = await db.role.create({ data: { environmentId: environment.id, name: "planner", claimName: "groups", claimValue: "planners" } });
  await db.grant.create({ data: { roleId: role.id, toolId: tool.id, requiredScopes: ["tools:calendar.read"] } });
  await db.client.create({ data: { environmentId: environment.id, clientId: AGENT, kind: "PRE_REGISTERED", status: "APPROVED" } });
  // 30 s tokens: the SDK renews 30 s before expiry, so every call here reaches Warden.
  const downstream = await createDownstreamApi(db, actor, environment.id, { name: "calendar-api", audience: CALENDAR, scopes: ["calendar:read", "calendar:write"], tokenLifetimeSeconds: 30 });
  await setDelegation(db, actor, environment.id, { downstreamApiId: downstream.id, serverId: server.id, propagation: [{ scope: "calendar:write", requires: "tools:calendar.write" }] });
  ids = { api: downstream.id, server: server.id, env: environment.id, actor };
  await ensureSigningKey(db, key);
  await ensureTokenSigningKey(db, key);
  const apiKey = (await createApiKey(db, actor, environment.id, CreateApiKeySchema.parse({ label: "sales", serverId: server.id }))).token;
  let base = "";
  plane = await serveDataPlane({ db: () => db, signer: () => loadSigner(db, key), tokenSigner: () => loadTokenSigner(db, key), issuerBaseUrl: () => base });
  base = plane.base;
  api = await startDemoDownstreamApi({ issuer: `${base}/api/v1/issuers/prod`, audience: CALENDAR, allowedActors: [RESOURCE] });
  sdk = createWardenClient({ url: base, apiKey, jwks: (await publicJwks(db)) as JSONWebKeySet, logger: silent });
  mcp = await startReferenceMcpServer({
    enforce: { warden: sdk, issuer: issuer.issuer, resource: RESOURCE, downstream: { exchanger: createTokenExchanger({ url: base, apiKey }), audience: CALENDAR, apiUrl: api.url } },
  });
  await publish();
}, 60_000);

afterAll(async () => {
  sdk?.close();
  await mcp?.close();
  await api?.close();
  await plane?.close();
  await issuer?.close();
  await db?.$disconnect();
  await drop?.();
});

describe("a tool calling a downstream API as the user", () => {
  it("books through the calendar API with a Warden token acting for the MCP server", async () => {
    const result = await bookMeeting("Planning", "tools:calendar.read tools:calendar.write");
    expect(result.ok).toBe(true);
    expect(JSON.parse(result.text)).toMatchObject({ status: 201, grantedScope: "calendar:read calendar:write", body: { booked: { title: "Planning", organizer: AGENT, bookedBy: RESOURCE }, client_id: AGENT } });
    expect(api.meetings).toHaveLength(1);
  });

  it("without tools:calendar.write on the user's token, the token lacks calendar:write and the API refuses to book", async () => {
    const result = await bookMeeting("No write", "tools:calendar.read");
    expect(JSON.parse(result.text)).toMatchObject({ status: 403, grantedScope: "calendar:read", body: { error: "insufficient_scope" } });
    expect(api.meetings).toHaveLength(1);
  });

  it("once the delegation is removed and published, the tool reports invalid_target", async () => {
    await removeDelegation(db, ids.actor, ids.env, { downstreamApiId: ids.api, serverId: ids.server });
    await publish();
    const result = await bookMeeting("Too late", "tools:calendar.read tools:calendar.write");
    expect(result).toEqual({ ok: false, text: "Token exchange refused (invalid_target): No delegation lets server sales-mcp obtain tokens for calendar-api in prod." });
    const events = await db.auditEvent.findMany({ where: { action: "token.exchange" }, orderBy: { ts: "asc" }, select: { decision: true, reason: true, tool: true } });
    expect(events).toEqual([
      { decision: "allow", reason: "granted", tool: "book_meeting" },
      { decision: "allow", reason: "granted", tool: "book_meeting" },
      { decision: "deny", reason: "no_delegation", tool: "book_meeting" },
    ]);
  });
});
