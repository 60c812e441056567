import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import type { Page } from "@playwright/test";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { canonicalJson, sha256Hex } from "../lib/crypto/canonical-json";
import { startTokenIssuer, type TokenIssuer } from "../examples/reference-mcp-server/token-issuer";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startReferenceServerProcess, type ReferenceServerProcess } from "./support/reference-server-process";
import { startWarden, type WardenProcess } from "./support/warden-process";

// The whole loop with real processes: an admin grants and publishes in the
// dashboard, a reference MCP server (its own process, using the SDK) polls the
// signed config, and an agent on the official MCP client calls tools with an
// OAuth access token from a real authorization server. This suite runs its own
// Warden on its own PostgreSQL database, so it can stop it.
const OWNER = { email: "enforce-owner@warden.test", password: "enforcement owner password" };
const AGENT = "https://agent.example/client.json";
const PORTS = { warden: WARDEN_E2E_PORT + 20, issuer: WARDEN_E2E_PORT + 21, mcp: WARDEN_E2E_PORT + 22, impostor: WARDEN_E2E_PORT + 23 };
const RESOURCE = `http://127.0.0.1:${PORTS.mcp}/mcp`;

test.describe.configure({ mode: "serial", timeout: 180_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
let issuer: TokenIssuer;
let mcp: ReferenceServerProcess | undefined;
let impostor: Server | undefined;
const stateFile = join(mkdtempSync(join(tmpdir(), "warden-e2e-sdk-")), "warden-config.json");
const shared = { apiKey: "", jwks: "", v1: "", v2: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(PORTS.warden, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "enforcement-e2e-session-secret-0123456789",
    WARDEN_ENCRYPTION_KEY: "enforcement-e2e-encryption-key-0123456789",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  });
  issuer = await startTokenIssuer({ port: PORTS.issuer, clients: [AGENT], scopes: ["tools:sales.read"] });
  issuer.setClaims(AGENT, { groups: ["sales-analysts"] });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      `WITH env AS (SELECT id FROM "Environment" WHERE key = 'dev'),
      server AS (
        INSERT INTO "McpServer" (id, "environmentId", name, "resourceUri", "authorizationServer", "scopesSupported", "updatedAt")
        SELECT gen_random_uuid(), env.id, 'sales-mcp', $1, $2, ARRAY['tools:sales.read'], now() FROM env RETURNING id
      )
      INSERT INTO "Tool" (id, "serverId", name, "updatedAt")
      SELECT gen_random_uuid(), server.id, t.name, now() FROM server, (VALUES ('get_invoice'), ('list_customers'), ('refund_payment')) AS t(name)`,
      [RESOURCE, issuer.issuer],
    );
    await client.query(
      `INSERT INTO "Role" (id, "environmentId", name, "claimName", "claimValue", "updatedAt")
       SELECT gen_random_uuid(), id, 'analyst', 'groups', 'sales-analysts', now() FROM "Environment" WHERE key = 'dev'`,
    );
    await client.query(
      `INSERT INTO "Client" (id, "environmentId", "clientId", status, "updatedAt") SELECT gen_random_uuid(), id, $1, 'APPROVED', now() FROM "Environment" WHERE key = 'dev'`,
      [AGENT],
    );
  } finally {
    await client.end();
  }
});

test.afterAll(async () => {
  await mcp?.stop();
  await new Promise((resolve) => (impostor ? (impostor.closeAllConnections(), impostor.close(resolve)) : resolve(undefined)));
  await issuer?.close();
  await warden?.stop();
  await database?.drop();
});

async function signIn(page: Page) {
  await page.goto(`${warden.url}/login`);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("button", { name: `Account menu for ${OWNER.email}` })).toBeVisible();
}

async function toggleGrant(page: Page, tool: string, granted: boolean) {
  await page.goto(`${warden.url}/dev/roles/matrix`);
  const cell = page.getByRole("button", { name: `Grant ${tool} (sales-mcp) to analyst`, exact: true });
  await expect(cell).toHaveAttribute("aria-pressed", String(!granted));
  await cell.click();
  await expect(page.getByRole("status").filter({ hasText: granted ? `Granted ${tool} (sales-mcp) to analyst.` : `Revoked ${tool} (sales-mcp) from analyst.` })).toBeVisible();
}

async function publish(page: Page, version: number) {
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("button", { name: `Publish version ${version} to Development` }).click();
  // A draft that refuses calls allowed in recent traffic asks first (e2e/impact.spec.ts covers that).
  const live = page.getByRole("status").filter({ hasText: `Version ${version} is live in Development.` });
  const confirm = page.getByRole("dialog", { name: `Publish version ${version} anyway?` });
  await expect(live.or(confirm)).toBeVisible();
  if (await confirm.isVisible()) await confirm.getByRole("button", { name: "Publish and refuse these calls" }).click();
  await expect(live).toBeVisible();
}

/** The agent: the official MCP client with a fresh access token for this server. */
async function call(tool: string, args: Record<string, unknown> = {}) {
  const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read" });
  const client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const listed = (await client.listTools()).tools.map((entry) => entry.name);
    const result = (await client.callTool({ name: tool, arguments: args })) as { isError?: boolean; content: { text?: string }[] };
    return { listed, ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

function startMcp(wardenUrl: string) {
  return startReferenceServerProcess(PORTS.mcp, {
    WARDEN_URL: wardenUrl,
    WARDEN_API_KEY: shared.apiKey,
    WARDEN_JWKS: shared.jwks,
    WARDEN_STATE_FILE: stateFile,
    WARDEN_POLL_INTERVAL_MS: "1000,2000",
    OAUTH_ISSUER: issuer.issuer,
    MCP_RESOURCE: RESOURCE,
  });
}

async function liveDocument() {
  const response = await fetch(`${warden.url}/api/v1/config`, { headers: { authorization: `Bearer ${shared.apiKey}` } });
  expect(response.status).toBe(200);
  return response.text();
}

test("an admin grants a tool and publishes; within a poll an MCP agent can call it through the reference server", async ({ page }) => {
  await signIn(page);
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("link", { name: "API keys for MCP servers" }).click();
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill("sales-mcp dev");
  await dialog.getByLabel("Server").selectOption({ label: "sales-mcp" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  // The operator pins Warden's public keys out of band.
  shared.jwks = await (await fetch(`${warden.url}/api/v1/keys`, { headers: { authorization: `Bearer ${shared.apiKey}` } })).text();

  mcp = await startMcp(warden.url);
  // Nothing is published in dev yet: every call is denied.
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ listed: [], ok: false, text: expect.stringContaining("no_verified_config") });

  await toggleGrant(page, "get_invoice", true);
  await toggleGrant(page, "list_customers", true);
  await publish(page, 1);
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-1001" })).ok, { timeout: 15_000 }).toBe(true);
  const allowed = await call("get_invoice", { invoiceId: "INV-1001" });
  expect(allowed.text).toContain("INV-1001");
  expect(allowed.listed.sort()).toEqual(["get_invoice", "list_customers"]);
  expect(await call("refund_payment", { paymentId: "P-1", amount: 10 })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v1)") });
  shared.v1 = await liveDocument();
});

test("revoking and publishing refuses the tool with Warden's reason", async ({ page }) => {
  await signIn(page);
  await toggleGrant(page, "get_invoice", false);
  await publish(page, 2);
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-1" })).text, { timeout: 15_000 }).toMatch(
    /^Denied by Warden \(no_grant, config v2\): None of the subject's roles \(analyst\) has a grant for sales-mcp\/get_invoice\./,
  );
  expect((await call("list_customers")).listed).toEqual(["list_customers"]);
  shared.v2 = await liveDocument();

  // The whole chain lands in the audit trail: user via agent via server called tool, refused under config v2.
  await expect(async () => {
    await page.goto(`${warden.url}/dev/audit?source=mcp&decision=deny&tool=get_invoice`);
    const row = page.getByRole("table", { name: "Audit events" }).getByRole("row").filter({ hasText: "v2" }).first();
    await expect(row).toContainText("sales-mcp/get_invoice", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await page.getByRole("table", { name: "Audit events" }).getByRole("row").filter({ hasText: "v2" }).first().getByRole("link").click();
  const detail = page.getByRole("region", { name: "Event detail" });
  await expect(detail).toContainText("no_grant");
  await expect(detail.getByRole("link", { name: "open" })).not.toHaveCount(0);
});

test("with the dashboard stopped, the server keeps enforcing the last known good config, across its own restart", async () => {
  await warden.stop();
  expect(await call("list_customers")).toMatchObject({ ok: true, listed: ["list_customers"] });
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ ok: false, text: expect.stringContaining("config v2") });

  await mcp!.stop();
  mcp = await startMcp(warden.url);
  expect(mcp.output()).toMatch(/Loaded the last known good Warden config, version 2/);
  expect(await call("list_customers")).toMatchObject({ ok: true, listed: ["list_customers"] });
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v2)") });
});

test("an older signed config, or a tampered one, is refused and the last known good one stays", async () => {
  // Someone in the path replays version 1 (which granted get_invoice), then serves version 2 with a grant slipped in.
  let served = shared.v1;
  impostor = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json", etag: `"x-${Date.now()}"` }).end(served));
  await new Promise<void>((resolve) => impostor!.listen(PORTS.impostor, "127.0.0.1", resolve));
  await mcp!.stop();
  mcp = await startMcp(`http://127.0.0.1:${PORTS.impostor}`);

  await expect.poll(() => mcp!.output(), { timeout: 15_000 }).toMatch(/Refused a config from Warden \(version_rollback\): Version 1 is older than version 2/);
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v2)") });

  const tampered = JSON.parse(shared.v2) as { config: { policy: { grants: unknown[] } } };
  tampered.config.policy.grants.push({ role: "analyst", server: "sales-mcp", tool: "refund_payment", requiredScopes: [] });
  served = JSON.stringify(tampered);
  await expect.poll(() => mcp!.output(), { timeout: 15_000 }).toMatch(/Refused a config from Warden \(content_hash_mismatch\)/);
  // Re-hashing the tampered content does not help: the signature covers the hash.
  (tampered as unknown as { contentHash: string }).contentHash = `sha256:${sha256Hex(canonicalJson(tampered.config))}`;
  served = JSON.stringify(tampered);
  await expect.poll(() => mcp!.output(), { timeout: 15_000 }).toMatch(/Refused a config from Warden \(claims_mismatch\)/);
  expect(await call("refund_payment", { paymentId: "P-1", amount: 10 })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v2)") });
  expect(await call("list_customers")).toMatchObject({ ok: true });
});
