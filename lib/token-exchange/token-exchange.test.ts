import { createServer } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { CompactSign, createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, type JSONWebKeySet } from "jose";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiKey, CreateApiKeySchema } from "@/lib/api-keys/api-keys";
import { verifyAuditChain } from "@/lib/audit/verify";
import { publishConfig } from "@/lib/config/publish";
import { ensureSigningKey, loadSigner } from "@/lib/config/signing-keys";
import { encryptionKeyFrom } from "@/lib/crypto/encryption";
import { createDb, type Db } from "@/lib/db/client";
import { applyPendingMigrations } from "@/lib/db/migrate";
import { createScratchDatabase } from "@/lib/db/testing";
import { serveDataPlane } from "@/lib/data-plane/testing";
import { createDownstreamApi, removeDelegation, setDelegation } from "@/lib/delegation/delegation";
import { startTokenIssuer, type TokenIssuer } from "@/examples/reference-mcp-server/token-issuer";
import { ensureTokenSigningKey, loadTokenSigner, rotateTokenSigningKey } from "./keys";
import { ACCESS_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from "./exchange";
import { createTokenExchanger, TokenExchangeError } from "@/sdk/src/index";

const AGENT = "0oa-calendar-agent";
const SUSPENDED = "0oa-suspended-agent";
const RESOURCE = "https://cal.example.com/mcp";
const OTHER_RESOURCE = "https://other.example.com/mcp";
const CALENDAR = "https://calendar.example.com/api";
const key = encryptionKeyFrom("token exchange test encryption key, long enough");

let db: Db;
let drop: () => Promise<void>;
let issuer: TokenIssuer;
let plane: Awaited<ReturnType<typeof serveDataPlane>>;
let apiKey: string;
let envId: string;
let actor: { id: string; email: string };
let ids: { api: string; server: string };

async function publish() {
  await publishConfig(db, actor, envId, {}, await loadSigner(db, key));
  await plane.plane.refresh();
}

function exchange(subjectToken: string, extra: Record<string, string> = {}, as = apiKey) {
  const form = new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: subjectToken, subject_token_type: ACCESS_TOKEN_TYPE, audience: CALENDAR, ...extra });
  return plane.call("/api/v1/token", { method: "POST", token: as, headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() });
}

async function lastTokenEvent() {
  return db.auditEvent.findFirstOrThrow({ where: { action: "token.exchange" }, orderBy: { ts: "desc" } });
}

beforeAll(async () => {
  const scratch = await createScratchDatabase();
  drop = scratch.drop;
  await applyPendingMigrations(scratch.url);
  db = createDb(scratch.url, 4);
  issuer = await startTokenIssuer({ clients: [AGENT, SUSPENDED], scopes: ["tools:calendar.read", "tools:calendar.write"] });
  const environment = await db.environment.create({ data: { key: "prod", name: "Production" } });
  envId = environment.id;
  const admin = await db.admin.create({ data: { email: "owner@example.com", role: "OWNER" } });
  actor = { id: admin.id, email: admin.email };
  const server = await db.mcpServer.create({ data: { environmentId: envId, name: "calendar-mcp", resourceUri: RESOURCE, authorizationServer: issuer.issuer } });
  await db.mcpServer.create({ data: { environmentId: envId, name: "other-mcp", resourceUri: OTHER_RESOURCE, authorizationServer: issuer.issuer } });
  await db.tool.create({ data: { serverId: server.id, name: "schedule_meeting" } });
  await db.tool.create({ data: { serverId: server.id, name: "list_rooms" } });
  await db.client.create({ data: { environmentId: envId, clientId: AGENT, kind: "PRE_REGISTERED", status: "APPROVED" } });
  await db.client.create({ data: { environmentId: envId, clientId: SUSPENDED, kind: "PRE_REGISTERED", status: "SUSPENDED" } });
  const api = await createDownstreamApi(db, actor, envId, { name: "calendar-api", audience: CALENDAR, scopes: ["calendar:read", "calendar:write"], description: "Meetings" });
  ids = { api: api.id, server: server.id };
  await setDelegation(db, actor, envId, {
    downstreamApiId: api.id,
    serverId: server.id,
    tools: ["schedule_meeting"],
    propagation: [
      { scope: "calendar:write", requires: "tools:calendar.write" },
      { scope: "calendar:read", requires: "tools:calendar.read" },
    ],
  });
  await ensureSigningKey(db, key);
  await ensureTokenSigningKey(db, key);
  apiKey = (await createApiKey(db, actor, envId, CreateApiKeySchema.parse({ label: "calendar", serverId: server.id }))).token;
  plane = await serveDataPlane({ db: () => db, signer: () => loadSigner(db, key), tokenSigner: () => loadTokenSigner(db, key), issuerBaseUrl: "https://warden.example.com" });
  await publish();
}, 60_000);

afterAll(async () => {
  await plane?.close();
  await issuer?.close();
  await db?.$disconnect();
  await drop?.();
});

describe("POST /api/v1/token", () => {
  it("exchanges a user's token for a token the downstream API verifies with its JWKS, acting for the MCP server", async () => {
    const userToken = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read tools:calendar.write" });
    const response = await exchange(userToken, { scope: "calendar:write calendar:read", tool: "schedule_meeting" });
    expect(response.status).toBe(200);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json();
    expect(body).toMatchObject({ issued_token_type: ACCESS_TOKEN_TYPE, token_type: "Bearer", expires_in: 300, scope: "calendar:read calendar:write" });

    // What a downstream API does with an off-the-shelf library: metadata, then the JWKS it names.
    const metadata = await (await plane.call("/.well-known/oauth-authorization-server/api/v1/issuers/prod")).json();
    expect(metadata).toMatchObject({ issuer: "https://warden.example.com/api/v1/issuers/prod", token_endpoint: "https://warden.example.com/api/v1/token", grant_types_supported: [TOKEN_EXCHANGE_GRANT] });
    const jwks = (await (await plane.call("/api/v1/issuers/prod/jwks")).json()) as JSONWebKeySet;
    expect(jwks.keys.every((jwk) => !("d" in jwk))).toBe(true);
    const { payload, protectedHeader } = await jwtVerify(body.access_token, createLocalJWKSet(jwks), { issuer: metadata.issuer, audience: CALENDAR, typ: "at+jwt" });
    expect(protectedHeader.kid).toMatch(/^at-/);
    expect(payload).toMatchObject({ sub: AGENT, client_id: AGENT, azp: AGENT, scope: "calendar:read calendar:write", act: { sub: RESOURCE }, warden_config_version: 1 });
    expect(payload.exp! - payload.iat!).toBe(300);
    expect(payload.jti).toEqual(expect.any(String));

    const event = await lastTokenEvent();
    expect(event).toMatchObject({ decision: "allow", reason: "granted", actor: AGENT, clientId: AGENT, server: "calendar-mcp", tool: "schedule_meeting", target: "downstream-api:calendar-api", configVersion: 1 });
    expect(event.details).toMatchObject({ audience: CALENDAR, scopesRequested: ["calendar:write", "calendar:read"], scopesGranted: ["calendar:read", "calendar:write"] });
  });

  it("propagates scopes: without tools:calendar.write on the user's token, calendar:write is left out, or refused as invalid_scope when nothing is left", async () => {
    const readOnly = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" });
    const partial = await exchange(readOnly, { scope: "calendar:read calendar:write", tool: "schedule_meeting" });
    expect(partial.status).toBe(200);
    expect((await partial.json()).scope).toBe("calendar:read");

    const none = await exchange(readOnly, { scope: "calendar:write", tool: "schedule_meeting" });
    expect(none.status).toBe(400);
    const body = await none.json();
    expect(body.error).toBe("invalid_scope");
    expect(body.error_description).toContain("calendar:write needs tools:calendar.write on the user's token");
    expect(await lastTokenEvent()).toMatchObject({ decision: "deny", reason: "scope_not_allowed" });
  });

  it("refuses a token whose audience is another server as invalid_grant", async () => {
    const elsewhere = await issuer.token(AGENT, { resource: OTHER_RESOURCE, scope: "tools:calendar.read" });
    const response = await exchange(elsewhere, { tool: "schedule_meeting" });
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.error).toBe("invalid_grant");
    expect(body.error_description).toContain(`not this server's resource ${RESOURCE}`);
    expect(await lastTokenEvent()).toMatchObject({ decision: "deny", reason: "subject_token_invalid", server: "calendar-mcp" });
    expect((await exchange("not-a-jwt", { tool: "schedule_meeting" })).status).toBe(400);
  });

  it("refuses a suspended agent, a tool outside the delegation and a missing tool name", async () => {
    const suspended = await issuer.token(SUSPENDED, { resource: RESOURCE, scope: "tools:calendar.read" });
    const refused = await exchange(suspended, { tool: "schedule_meeting" });
    expect(await refused.json()).toMatchObject({ error: "unauthorized_client", error_description: expect.stringContaining(SUSPENDED) });
    expect(await lastTokenEvent()).toMatchObject({ decision: "deny", reason: "unknown_client", clientId: SUSPENDED });

    const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" });
    expect(await (await exchange(token, { tool: "list_rooms" })).json()).toMatchObject({ error: "invalid_target", error_description: expect.stringContaining("limited to the tools schedule_meeting") });
    expect(await (await exchange(token)).json()).toMatchObject({ error: "invalid_target", error_description: expect.stringContaining("name the tool") });
    expect(await (await exchange(token, { tool: "schedule_meeting", audience: "https://unknown.example.com" })).json()).toMatchObject({ error: "invalid_target" });
  });

  it("answers bad requests with RFC 6749 errors, never a 500", async () => {
    const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" });
    expect(await (await exchange(token, { grant_type: "client_credentials" })).json()).toMatchObject({ error: "invalid_request", error_description: expect.stringContaining("grant_type") });
    expect(await (await exchange(token, { subject_token_type: "urn:ietf:params:oauth:token-type:saml2" })).json()).toMatchObject({ error: "invalid_request" });
    expect((await exchange(token, {}, "wdn_prod_nope_nope")).status).toBe(401);
    const json = await plane.call("/api/v1/token", { method: "POST", token: apiKey, headers: { "content-type": "text/plain" }, body: "x" });
    expect(json.status).toBe(415);
    const nul = await exchange(token, { tool: "schedule\u0000meeting" });
    expect(nul.status).toBe(400);
  });

  it("answers 503 temporarily_unavailable when the server's authorization server cannot be reached, and audits it", async () => {
    const broken = await db.mcpServer.create({ data: { environmentId: envId, name: "broken-mcp", resourceUri: "https://broken.example.com/mcp", authorizationServer: "http://127.0.0.1:9" } });
    const brokenKey = (await createApiKey(db, actor, envId, CreateApiKeySchema.parse({ label: "broken", serverId: broken.id }))).token;
    await publish();
    const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" });
    const response = await exchange(token, {}, brokenKey);
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ error: "temporarily_unavailable", error_description: expect.stringContaining("http://127.0.0.1:9") });
    expect(await lastTokenEvent()).toMatchObject({ decision: "error", reason: "idp_unavailable", server: "broken-mcp" });
    await db.mcpServer.delete({ where: { id: broken.id } });
    await publish();
  });

  it("refuses hostile bodies with invalid_request: repeated fields, wrong types, oversize", async () => {
    const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" });
    const post = (body: string, type = "application/x-www-form-urlencoded") => plane.call("/api/v1/token", { method: "POST", token: apiKey, headers: { "content-type": type }, body });
    const twice = await post(`grant_type=${encodeURIComponent(TOKEN_EXCHANGE_GRANT)}&grant_type=x&subject_token=${token}&subject_token_type=${encodeURIComponent(ACCESS_TOKEN_TYPE)}&audience=${encodeURIComponent(CALENDAR)}`);
    expect(await twice.json()).toMatchObject({ error: "invalid_request", error_description: "grant_type: send it once." });
    const typed = await post(JSON.stringify({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: token, subject_token_type: ACCESS_TOKEN_TYPE, audience: [CALENDAR], scope: 42 }), "application/json");
    expect(typed.status).toBe(400);
    expect((await typed.json()).error).toBe("invalid_request");
    expect((await post(`subject_token=${"a".repeat(40_000)}`)).status).toBe(413);
    expect((await post("[1,2]", "application/json")).status).toBe(400);
  });

  it("keeps a rotated key in the JWKS through its overlap", async () => {
    const before = (await (await plane.call("/api/v1/issuers/prod/jwks")).json()) as JSONWebKeySet;
    const oldToken = (await (await exchange(await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" }), { tool: "schedule_meeting" })).json()).access_token;
    const kid = await rotateTokenSigningKey(db, actor, key);
    const fresh = await serveDataPlane({ db: () => db, signer: () => loadSigner(db, key), tokenSigner: () => loadTokenSigner(db, key), issuerBaseUrl: "https://warden.example.com" });
    try {
      const after = (await (await fresh.call("/api/v1/issuers/prod/jwks")).json()) as JSONWebKeySet;
      expect(after.keys.map((jwk) => jwk.kid)).toEqual([kid, ...before.keys.map((jwk) => jwk.kid)]);
      await expect(jwtVerify(oldToken, createLocalJWKSet(after), { audience: CALENDAR })).resolves.toBeTruthy();
      const form = new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" }), subject_token_type: ACCESS_TOKEN_TYPE, audience: CALENDAR, tool: "schedule_meeting" });
      const issued = await (await fresh.call("/api/v1/token", { method: "POST", token: apiKey, headers: { "content-type": "application/x-www-form-urlencoded" }, body: form.toString() })).json();
      expect(decodeProtectedHeader(issued.access_token).kid).toBe(kid);
    } finally {
      await fresh.close();
    }
  });

  it("SDK tokenFor: caches per subject, agent, audience and scopes until shortly before expiry, and throws typed errors", async () => {
    let now = Date.now();
    const exchanger = createTokenExchanger({ url: plane.base, apiKey, now: () => now });
    const userToken = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read tools:calendar.write" });
    const before = await db.auditEvent.count({ where: { action: "token.exchange" } });
    const first = await exchanger.tokenFor(userToken, { audience: CALENDAR, scope: "calendar:write", tool: "schedule_meeting" });
    expect(first.scope).toEqual(["calendar:write"]);
    expect(await exchanger.tokenFor(userToken, { audience: CALENDAR, scope: ["calendar:write"], tool: "schedule_meeting" })).toBe(first);
    expect(await db.auditEvent.count({ where: { action: "token.exchange" } })).toBe(before + 1);
    // Other scopes are another token; and within 30 s of expiry the cached one is renewed.
    expect((await exchanger.tokenFor(userToken, { audience: CALENDAR, scope: "calendar:read", tool: "schedule_meeting" })).scope).toEqual(["calendar:read"]);
    now += 280_000;
    expect((await exchanger.tokenFor(userToken, { audience: CALENDAR, scope: "calendar:write", tool: "schedule_meeting" })).accessToken).not.toBe(first.accessToken);

    const refusal = await exchanger.tokenFor(userToken, { audience: "https://nowhere.example.com", tool: "schedule_meeting" }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(TokenExchangeError);
    expect(refusal).toMatchObject({ code: "invalid_target", status: 400 });
    await expect(exchanger.tokenFor("opaque", { audience: CALENDAR })).rejects.toMatchObject({ code: "invalid_request" });
  });

  it("refuses with invalid_target once the delegation is removed and published, and the trail verifies", async () => {
    await removeDelegation(db, actor, envId, { downstreamApiId: ids.api, serverId: ids.server });
    await publish();
    const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" });
    const body = await (await exchange(token, { tool: "schedule_meeting" })).json();
    expect(body).toMatchObject({ error: "invalid_target", error_description: "No delegation lets server calendar-mcp obtain tokens for calendar-api in prod." });
    const live = await db.configVersion.findFirstOrThrow({ where: { environmentId: envId }, orderBy: { version: "desc" } });
    expect(await lastTokenEvent()).toMatchObject({ decision: "deny", reason: "no_delegation", configVersion: live.version });
    const admin = await db.auditEvent.findMany({ where: { source: "admin", action: { startsWith: "d" } }, orderBy: { seq: "asc" }, select: { action: true } });
    expect(admin.map((event) => event.action)).toEqual(["downstream_api.created", "delegation.created", "delegation.removed"]);
    expect(await verifyAuditChain(db, envId)).toMatchObject({ ok: true });
  });
});

/**
 * An authorization server that signs whatever payload text it is given, so a
 * test can send tokens a real IdP could issue but oidc-provider would not
 * (a sub with a lone surrogate, U+0000, or longer than any audit field).
 */
async function startRawIssuer() {
  const { publicKey, privateKey } = await generateKeyPair("RS256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "raw", alg: "RS256" };
  const server = createServer((req, res) => {
    const body = req.url === "/.well-known/oauth-authorization-server" ? { issuer, jwks_uri: `${issuer}/jwks` } : req.url === "/jwks" ? { keys: [jwk] } : null;
    res.writeHead(body ? 200 : 404, { "content-type": "application/json" }).end(JSON.stringify(body ?? {}));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    /** Signs `{"iss", "aud", "exp", "azp", …}` followed by the raw JSON members given (later members win). */
    sign: (audience: string, rawMembers: string) =>
      new CompactSign(new TextEncoder().encode(`{"iss":"${issuer}","aud":"${audience}","azp":"${AGENT}","scope":"tools:calendar.read","exp":${Math.floor(Date.now() / 1000) + 600}${rawMembers}}`))
        .setProtectedHeader({ alg: "RS256", kid: "raw" })
        .sign(privateKey),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe("POST /api/v1/token, hostile input", () => {
  it("refuses a verified subject token whose sub or client id cannot be recorded, or would be rewritten, as invalid_grant (never a 500)", async () => {
    const raw = await startRawIssuer();
    const hostile = await db.mcpServer.create({ data: { environmentId: envId, name: "hostile-mcp", resourceUri: "https://hostile.example.com/mcp", authorizationServer: raw.issuer } });
    const hostileKey = (await createApiKey(db, actor, envId, CreateApiKeySchema.parse({ label: "hostile", serverId: hostile.id }))).token;
    await publish();
    try {
      const cases: [string, string][] = [
        [',"sub":"\\ud800"', "is not well-formed Unicode"],
        [',"sub":"a\\u0000b"', "U+0000"],
        [`,"sub":"${"s".repeat(300)}"`, "longer than 256"],
        ['', "is missing"],
        [',"sub":"alice","azp":"x\\udc00"', "client id (azp or client_id) is not well-formed Unicode"],
        [',"sub":"alice","exp":1e309', "no finite expiry"],
        [',"sub":"alice","iat":253402300800', "issued in the future"],
      ];
      for (const [members, reason] of cases) {
        const response = await exchange(await raw.sign("https://hostile.example.com/mcp", members), {}, hostileKey);
        expect(response.status, members).toBe(400);
        const body = await response.json();
        expect(body.error).toBe("invalid_grant");
        expect(body.error_description).toContain(reason);
        expect(await lastTokenEvent()).toMatchObject({ decision: "deny", reason: "subject_token_invalid", server: "hostile-mcp" });
      }
      // A forged token (its signature does not verify) is audited under what it claims, made storable, never cut mid-character.
      const forged = (sub: string) => `eyJhbGciOiJSUzI1NiIsImtpZCI6InJhdyJ9.${Buffer.from(`{"sub":"${sub}"}`).toString("base64url")}.AAAA`;
      for (const sub of ["\\ud800", `${"x".repeat(199)}\\ud83d\\ude00`, "a\\u0000\\udfff"]) {
        const response = await exchange(forged(sub), {}, hostileKey);
        expect(response.status, sub).toBe(400);
        expect((await response.json()).error).toBe("invalid_grant");
      }
      expect((await lastTokenEvent()).actor).toBe("a (unverified)");
      expect(await verifyAuditChain(db, envId)).toMatchObject({ ok: true });
    } finally {
      await db.mcpServer.delete({ where: { id: hostile.id } });
      await publish();
      await raw.close();
    }
  });

  it("refuses a form that is not UTF-8 (raw or percent-encoded) instead of rewriting it to U+FFFD", async () => {
    const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:calendar.read" });
    const form = new URLSearchParams({ grant_type: TOKEN_EXCHANGE_GRANT, subject_token: token, subject_token_type: ACCESS_TOKEN_TYPE, audience: CALENDAR }).toString();
    const post = (body: BodyInit) => plane.call("/api/v1/token", { method: "POST", token: apiKey, headers: { "content-type": "application/x-www-form-urlencoded" }, body });
    const rawBytes = await post(Buffer.concat([Buffer.from(`${form}&tool=schedule_meeting`), Buffer.from([0xed, 0xa0, 0x80])]));
    expect(rawBytes.status).toBe(400);
    expect(await rawBytes.json()).toEqual({ error: "invalid_request", error_description: "The body is not valid UTF-8." });
    const encoded = await post(`${form}&tool=schedule_meeting%ED%A0%80`);
    expect(encoded.status).toBe(400);
    expect((await encoded.json()).error_description).toContain("percent-encoded UTF-8");
  });

  it("answers 413 to an endless chunked form as soon as it passes the limit, without waiting for its end", async () => {
    const { hostname, port } = new URL(plane.base);
    const socket = connect(Number(port), hostname);
    const answer = new Promise<string>((resolve) => {
      let text = "";
      socket.on("data", (chunk) => {
        text += chunk.toString("latin1");
        if (text.includes("\r\n\r\n")) resolve(text);
      });
    });
    socket.write(`POST /api/v1/token HTTP/1.1\r\nHost: ${hostname}\r\nAuthorization: Bearer ${apiKey}\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = Buffer.alloc(8 * 1024, "a");
    const pump = setInterval(() => socket.writable && socket.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`), 1);
    try {
      const head = await Promise.race([answer, new Promise<string>((resolve) => setTimeout(() => resolve("no answer within 5 s"), 5_000))]);
      expect(head).toMatch(/^HTTP\/1\.1 413/);
    } finally {
      clearInterval(pump);
      socket.destroy();
    }
  });
});
