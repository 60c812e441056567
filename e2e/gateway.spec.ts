import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { liveHash } from "../lib/gateway/rug-pull";
import { startEverythingServer, type RunningEverythingServer } from "../lib/mcp-import/testing/everything-server";
import { startTokenIssuer, type TokenIssuer } from "../examples/reference-mcp-server/token-issuer";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startGatewayProcess, type GatewayProcess } from "./support/gateway-process";
import { startWarden, type WardenProcess } from "./support/warden-process";
import { signInToDashboard, publishDevelopment } from "./support/dashboard";

// The gateway as operators run it (`npm run gateway`, its own process) in
// front of the third-party server-everything, once over Streamable HTTP and
// once spawned over stdio, neither changed in any way. Warden is a real
// dashboard process on its own database; the agent is the official MCP client
// with an access token from a real authorization server (oidc-provider).
const OWNER = { email: "gateway-owner@warden.test", password: "gateway owner password" };
const AGENT = "https://agent.example/client.json";
const PORTS = { warden: WARDEN_E2E_PORT + 81, issuer: WARDEN_E2E_PORT + 82, gateway: WARDEN_E2E_PORT + 83 };
const RESOURCE = `http://127.0.0.1:${PORTS.gateway}/mcp`;
const READ = "tools:everything.read";
const WRITE = "tools:everything.write";
const STDIO_ENTRY = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json").replace(/package\.json$/, "dist/index.js");

test.describe.configure({ mode: "serial", timeout: 180_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
let issuer: TokenIssuer;
let everything: RunningEverythingServer;
let gateway: GatewayProcess | undefined;
const stateFile = join(mkdtempSync(join(tmpdir(), "warden-e2e-gateway-")), "warden-config.json");
const shared = { apiKey: "", jwks: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  [warden, everything] = await Promise.all([
    startWarden(PORTS.warden, {
      DATABASE_URL: database.url,
      NEXTAUTH_SECRET: "gateway-e2e-session-secret-0123456789",
      WARDEN_ENCRYPTION_KEY: "gateway-e2e-encryption-key-0123456789",
      WARDEN_ADMIN_EMAIL: OWNER.email,
      WARDEN_ADMIN_PASSWORD: OWNER.password,
    }),
    startEverythingServer(),
  ]);
  issuer = await startTokenIssuer({ port: PORTS.issuer, clients: [AGENT], scopes: [READ, WRITE] });
  issuer.setClaims(AGENT, { groups: ["analysts"] });

  // What an admin's import records: each tool's definition hash, approved as listed.
  const direct = new Client({ name: "e2e-import", version: "1.0.0" });
  await direct.connect(new StreamableHTTPClientTransport(new URL(everything.url)));
  const hashes = new Map((await direct.listTools()).tools.map((tool) => [tool.name, liveHash(tool)]));
  await direct.close();
  // get-tiny-image was approved with an earlier definition: what the server lists now is a rug pull.
  hashes.set("get-tiny-image", `sha256:${"0".repeat(64)}`);

  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const tools = ["echo", "get-env", "get-sum", "get-tiny-image", "get-annotated-message"];
    await client.query(
      `WITH env AS (SELECT id FROM "Environment" WHERE key = 'dev'),
      server AS (
        INSERT INTO "McpServer" (id, "environmentId", name, "resourceUri", "authorizationServer", "scopesSupported", "updatedAt")
        SELECT gen_random_uuid(), env.id, 'everything', $1, $2, ARRAY[$3, $4], now() FROM env RETURNING id
      )
      INSERT INTO "Tool" (id, "serverId", name, "definitionHash", "approvedHash", "updatedAt")
      SELECT gen_random_uuid(), server.id, t.name, t.hash, t.hash, now() FROM server, unnest($5::text[], $6::text[]) AS t(name, hash)`,
      [RESOURCE, issuer.issuer, READ, WRITE, tools, tools.map((name) => hashes.get(name)!)],
    );
    await client.query(`INSERT INTO "Role" (id, "environmentId", name, "claimName", "claimValue", "updatedAt") SELECT gen_random_uuid(), id, 'analyst', 'groups', 'analysts', now() FROM "Environment" WHERE key = 'dev'`);
    // Granted: echo, get-env and get-tiny-image with the read scope, get-sum with the write scope. Not granted: get-annotated-message.
    await client.query(
      `INSERT INTO "Grant" (id, "roleId", "toolId", "requiredScopes", "updatedAt")
       SELECT gen_random_uuid(), r.id, t.id, CASE WHEN t.name = 'get-sum' THEN ARRAY[$1] ELSE ARRAY[$2] END, now()
       FROM "Role" r, "Tool" t WHERE r.name = 'analyst' AND t.name IN ('echo', 'get-env', 'get-tiny-image', 'get-sum')`,
      [WRITE, READ],
    );
    await client.query(`INSERT INTO "Client" (id, "environmentId", "clientId", status, "updatedAt") SELECT gen_random_uuid(), id, $1, 'APPROVED', now() FROM "Environment" WHERE key = 'dev'`, [AGENT]);
  } finally {
    await client.end();
  }
});

test.afterAll(async () => {
  await gateway?.stop();
  await everything?.close();
  await issuer?.close();
  await warden?.stop();
  await database?.drop();
});

function startGateway(upstream: Record<string, string>) {
  return startGatewayProcess({
    WARDEN_URL: warden.url,
    WARDEN_API_KEY: shared.apiKey,
    WARDEN_JWKS: shared.jwks,
    WARDEN_STATE_FILE: stateFile,
    WARDEN_POLL_INTERVAL_MS: "1000,2000",
    WARDEN_AUDIT_FLUSH_MS: "500",
    GATEWAY_RESOURCE: RESOURCE,
    GATEWAY_PORT: String(PORTS.gateway),
    OAUTH_ISSUER: issuer.issuer,
    ...upstream,
  });
}
const overHttp = () => startGateway({ UPSTREAM_URL: everything.url });
const overStdio = () => startGateway({ UPSTREAM_COMMAND: process.execPath, UPSTREAM_ARGS: JSON.stringify([STDIO_ENTRY, "stdio"]) });

/** The agent: the official MCP client with a fresh access token for the gateway. */
async function agent(tool: string, args: Record<string, unknown> = {}, scope = READ) {
  const token = await issuer.token(AGENT, { resource: RESOURCE, scope });
  const client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const listed = (await client.listTools()).tools.map((entry) => entry.name).sort();
    const result = (await client.callTool({ name: tool, arguments: args })) as { isError?: boolean; content: { text?: string }[] };
    return { listed, ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

/** A call that needs a scope the token lacks: the MCP authorization spec's 403 step-up challenge. */
async function stepUp() {
  const token = await issuer.token(AGENT, { resource: RESOURCE, scope: READ });
  const response = await fetch(RESOURCE, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get-sum", arguments: { a: 2, b: 3 } } }),
  });
  return { status: response.status, challenge: response.headers.get("www-authenticate") ?? "" };
}

async function expectEnforcing(version: number, echoGranted: boolean) {
  const env = await agent("get-env");
  expect(env.ok).toBe(true);
  // Only granted tools whose definition is the approved one; get-sum needs a scope this token lacks.
  expect(env.listed).toEqual(echoGranted ? ["echo", "get-env"] : ["get-env"]);
  const echo = await agent("echo", { message: "hello through the gateway" });
  if (echoGranted) expect(echo).toMatchObject({ ok: true, text: "Echo: hello through the gateway" });
  else expect(echo.text).toMatch(new RegExp(`^Denied by Warden \\(no_grant, config v${version}\\)`));
  expect(await agent("get-annotated-message", { messageType: "success" })).toMatchObject({ ok: false, text: expect.stringMatching(new RegExp(`^Denied by Warden \\(no_grant, config v${version}\\): None of the subject's roles \\(analyst\\)`)) });
  // v1 still grants the changed tool, so the gateway refuses it on its own; from v2 on, Warden holds it back (the drift was reported) and it is unknown.
  const changedReason = version === 1 ? "tool_definition_changed" : "unknown_tool";
  expect(await agent("get-tiny-image")).toMatchObject({ ok: false, text: expect.stringContaining(`(${changedReason}, config v${version})`) });
  const challenge = await stepUp();
  expect(challenge.status).toBe(403);
  expect(challenge.challenge).toMatch(new RegExp(`error="insufficient_scope".*scope="${READ} ${WRITE}"`));
  expect(await agent("get-sum", { a: 2, b: 3 }, `${READ} ${WRITE}`)).toMatchObject({ ok: true, text: expect.stringContaining("5") });
}

test("over Streamable HTTP: only granted tools are listed and called, a changed tool is hidden and shown as changed in Warden, every decision is audited", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("link", { name: "API keys for MCP servers" }).click();
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill("everything gateway");
  await dialog.getByLabel("Server").selectOption({ label: "everything" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  shared.jwks = await (await fetch(`${warden.url}/api/v1/keys`, { headers: { authorization: `Bearer ${shared.apiKey}` } })).text();
  await publishDevelopment(page, warden.url, 1);

  gateway = await overHttp();
  await expect.poll(async () => (await agent("get-env")).ok, { timeout: 15_000 }).toBe(true);
  await expectEnforcing(1, true);

  // The drift the gateway saw is on the server's page, and the tool stays out of the next publish until approved again.
  await expect(async () => {
    await page.goto(`${warden.url}/dev/servers`);
    await page.getByRole("link", { name: "everything", exact: true }).click();
    await expect(page.getByRole("row").filter({ hasText: "get-tiny-image" })).toContainText("changed since approval", { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });

  for (const [tool, decision] of [["echo", "allow"], ["get-annotated-message", "deny"], ["get-tiny-image", "deny"]] as const) {
    await expect(async () => {
      await page.goto(`${warden.url}/dev/audit?source=mcp&decision=${decision}&tool=${tool}`);
      const row = page.getByRole("table", { name: "Audit events" }).getByRole("row").filter({ hasText: "v1" }).first();
      await expect(row).toContainText(`everything/${tool}`, { timeout: 1_000 });
    }).toPass({ timeout: 30_000 });
  }

  // The fleet view shows the gateway beside SDK instances, with what it fronts.
  await expect(async () => {
    await page.goto(`${warden.url}/dev/config/fleet`);
    await expect(page.getByRole("main")).toContainText(`gateway`, { timeout: 1_000 });
    await expect(page.getByRole("main")).toContainText(new URL(everything.url).host, { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
});

test("a published revocation takes effect at the gateway's next poll", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/roles/matrix`);
  const cell = page.getByRole("button", { name: "Grant echo (everything) to analyst", exact: true });
  await expect(cell).toHaveAttribute("aria-pressed", "true");
  await cell.click();
  await expect(page.getByRole("status").filter({ hasText: "Revoked echo (everything) from analyst." })).toBeVisible();
  await publishDevelopment(page, warden.url, 2);
  await expect.poll(async () => (await agent("echo", { message: "x" })).text, { timeout: 15_000 }).toMatch(/^Denied by Warden \(no_grant, config v2\)/);
  await expectEnforcing(2, false);
});

test("over stdio: the gateway spawns server-everything and enforces the same policy", async () => {
  await gateway!.stop();
  gateway = await overStdio();
  await expectEnforcing(2, false);
});

test("with Warden stopped, the last known good config is still enforced, across a gateway restart", async () => {
  await warden.stop();
  await expectEnforcing(2, false);
  await gateway!.stop();
  gateway = await overStdio();
  expect(gateway.output()).toMatch(/last known good Warden config, version 2/);
  await expectEnforcing(2, false);
});
