import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { v7 as uuidv7 } from "uuid";
import pg from "pg";
import type { Page } from "@playwright/test";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { startTokenIssuer, type TokenIssuer } from "../examples/reference-mcp-server/token-issuer";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startReferenceServerProcess, type ReferenceServerProcess } from "./support/reference-server-process";
import { startWarden, type WardenProcess } from "./support/warden-process";
import { signInToDashboard } from "./support/dashboard";

// See the impact before publishing: real traffic from the reference MCP
// server (its own process, on the SDK, reporting to Warden) is replayed
// against the draft. Two agents, each its own subject (client-credentials
// tokens carry the client as sub), call allowed and denied tools; revoking a
// grant then shows exactly who loses access, a new grant who gains it, and
// publishing asks first. Own Warden, own database.
const OWNER = { email: "impact-owner@warden.test", password: "impact owner password" };
const ALICE = "https://alice-agent.example/client.json";
const BOB = "https://bob-agent.example/client.json";
const PORTS = { warden: WARDEN_E2E_PORT + 80, issuer: WARDEN_E2E_PORT + 81, mcp: WARDEN_E2E_PORT + 82 };
const RESOURCE = `http://127.0.0.1:${PORTS.mcp}/mcp`;

test.describe.configure({ mode: "serial", timeout: 240_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
let issuer: TokenIssuer;
let mcp: ReferenceServerProcess | undefined;
const shared = { apiKey: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(PORTS.warden, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "impact-e2e-session-secret-0123456789",
    WARDEN_ENCRYPTION_KEY: "impact-e2e-encryption-key-0123456789",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  });
  issuer = await startTokenIssuer({ port: PORTS.issuer, clients: [ALICE, BOB], scopes: ["tools:sales.read"] });
  issuer.setClaims(ALICE, { groups: ["sales-analysts"], email: "alice@example.com" });
  issuer.setClaims(BOB, { groups: ["sales-analysts"] });
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
      `INSERT INTO "Client" (id, "environmentId", "clientId", status, "updatedAt")
       SELECT gen_random_uuid(), id, c, 'APPROVED', now() FROM "Environment", unnest($1::text[]) AS c WHERE key = 'dev'`,
      [[ALICE, BOB]],
    );
  } finally {
    await client.end();
  }
});

test.afterAll(async () => {
  await mcp?.stop();
  await issuer?.close();
  await warden?.stop();
  await database?.drop();
});

async function toggleGrant(page: Page, tool: string, granted: boolean) {
  await page.goto(`${warden.url}/dev/roles/matrix`);
  const cell = page.getByRole("button", { name: `Grant ${tool} (sales-mcp) to analyst`, exact: true });
  await expect(cell).toHaveAttribute("aria-pressed", String(!granted));
  await cell.click();
  await expect(page.getByRole("status").filter({ hasText: granted ? `Granted ${tool} (sales-mcp) to analyst.` : `Revoked ${tool} (sales-mcp) from analyst.` })).toBeVisible();
}

/** One tool call by an agent, through the official MCP client, with a fresh token. */
async function call(agent: string, tool: string, args: Record<string, unknown> = {}) {
  const token = await issuer.token(agent, { resource: RESOURCE, scope: "tools:sales.read" });
  const client = new Client({ name: "e2e-impact-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const result = (await client.callTool({ name: tool, arguments: args })) as { isError?: boolean };
    return !result.isError;
  } finally {
    await client.close();
  }
}

async function impactApi(page: Page) {
  const response = await page.request.post(`${warden.url}/api/v1/decisions/impact`, { data: { environment: "dev", days: 7 }, headers: { origin: warden.url } });
  expect(response.status()).toBe(200);
  return (await response.json()) as {
    unchanged: boolean;
    summary: string | null;
    traffic: { calls: number; replayedCalls: number; notReplayableCalls: number };
    losesAccess: { tool: string; calls: number; subjects: string[]; newReason: string }[];
    gainsAccess: { tool: string; calls: number; subjects: string[]; newReason: string }[];
  };
}

test("traffic from the reference server is recorded with its decision inputs, and an unchanged draft flips nothing", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/config/keys`);
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill("sales-mcp dev");
  await dialog.getByLabel("Server").selectOption({ label: "sales-mcp" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  const jwks = await (await fetch(`${warden.url}/api/v1/keys`, { headers: { authorization: `Bearer ${shared.apiKey}` } })).text();

  await toggleGrant(page, "get_invoice", true);
  await toggleGrant(page, "list_customers", true);
  // The first publish: nothing was allowed before, so nobody loses access and nothing is asked.
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("button", { name: "Publish version 1 to Development" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Version 1 is live in Development." })).toBeVisible();

  mcp = await startReferenceServerProcess(PORTS.mcp, {
    WARDEN_URL: warden.url,
    WARDEN_API_KEY: shared.apiKey,
    WARDEN_JWKS: jwks,
    WARDEN_POLL_INTERVAL_MS: "1000,2000",
    WARDEN_AUDIT_FLUSH_MS: "500",
    OAUTH_ISSUER: issuer.issuer,
    MCP_RESOURCE: RESOURCE,
  });
  await expect.poll(() => call(ALICE, "get_invoice", { invoiceId: "INV-1" }), { timeout: 20_000 }).toBe(true);
  // Alice: 3 allowed get_invoice (the poll's last one included; earlier ones, before the server had a config, are not replayable),
  // 1 list_customers, 2 denied refund_payment. Bob: 2 allowed get_invoice.
  expect(await call(ALICE, "get_invoice", { invoiceId: "INV-2" })).toBe(true);
  expect(await call(ALICE, "get_invoice", { invoiceId: "INV-3" })).toBe(true);
  expect(await call(ALICE, "list_customers")).toBe(true);
  expect(await call(ALICE, "refund_payment", { paymentId: "P-1", amount: 5 })).toBe(false);
  expect(await call(ALICE, "refund_payment", { paymentId: "P-2", amount: 5 })).toBe(false);
  expect(await call(BOB, "get_invoice", { invoiceId: "INV-9" })).toBe(true);
  expect(await call(BOB, "get_invoice", { invoiceId: "INV-10" })).toBe(true);

  await expect.poll(async () => (await impactApi(page)).traffic.replayedCalls, { timeout: 30_000 }).toBeGreaterThanOrEqual(8);
  const unchanged = await impactApi(page);
  expect(unchanged).toMatchObject({ unchanged: true, losesAccess: [], gainsAccess: [], summary: "No call in the window would change." });

  // Only the claims a role mapping reads are recorded: groups, never the email.
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT "inputs" FROM "AuditEvent" WHERE "actor" = $1 AND "tool" = 'get_invoice' AND "decision" = 'allow' LIMIT 1`, [ALICE]);
    expect(rows[0].inputs).toEqual({ scopes: ["tools:sales.read"], roles: [], claims: { groups: ["sales-analysts"] } });
  } finally {
    await client.end();
  }

  // A draft change nobody's traffic touches (a new role mapped from a claim nobody carries): the preview says so.
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  try {
    await admin.query(
      `INSERT INTO "Role" (id, "environmentId", name, "claimName", "claimValue", "updatedAt")
       SELECT gen_random_uuid(), id, 'auditor', 'groups', 'auditors', now() FROM "Environment" WHERE key = 'dev'`,
    );
  } finally {
    await admin.end();
  }
  await page.goto(`${warden.url}/dev/config`);
  await expect(page.getByText("No call in the window would change.")).toBeVisible({ timeout: 30_000 });
});

test("revoking a grant shows exactly who loses access, a new grant who gains it, and publishing asks first", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await toggleGrant(page, "get_invoice", false);
  await toggleGrant(page, "refund_payment", true);
  await page.goto(`${warden.url}/dev/config`);

  const loses = page.getByRole("region", { name: "Loses access" });
  await expect(loses).toBeVisible({ timeout: 30_000 });
  await expect(loses).toContainText("5 calls by 2 users in the last 7 days would now be refused");
  const lost = loses.getByRole("listitem", { name: "Loses access: sales-mcp/get_invoice" });
  await expect(lost).toContainText("5 calls");
  await expect(lost).toContainText("no_grant");
  await expect(lost.getByRole("row", { name: new RegExp(ALICE.replace(/[./]/g, "\\$&")) })).toContainText("3");
  await expect(lost.getByRole("row", { name: new RegExp(BOB.replace(/[./]/g, "\\$&")) })).toContainText("2");
  await expect(loses.getByRole("listitem")).toHaveCount(1);

  const gains = page.getByRole("region", { name: "Gains access" });
  const gained = gains.getByRole("listitem", { name: "Gains access: sales-mcp/refund_payment" });
  await expect(gained).toContainText("2 calls");
  await expect(gained.getByRole("row")).toHaveCount(2); // the header and Alice
  await expect(gained).toContainText(ALICE);

  // Each caller links to Test access with the question filled in.
  const href = await lost.getByRole("row", { name: new RegExp(BOB.replace(/[./]/g, "\\$&")) }).getByRole("link", { name: "Test access" }).getAttribute("href");
  await page.goto(`${warden.url}${href}`);
  await expect(page.getByRole("heading", { name: "Denied" })).toBeVisible();

  // The API gives the same report, for pipelines.
  const api = await impactApi(page);
  expect(api.summary).toBe("5 calls by 2 users in the last 7 days would now be refused");
  expect(api.losesAccess).toMatchObject([{ tool: "get_invoice", calls: 5, subjects: [ALICE, BOB].sort(), newReason: "no_grant" }]);
  expect(api.gainsAccess).toMatchObject([{ tool: "refund_payment", calls: 2, subjects: [ALICE], newReason: "allowed_by_grant" }]);

  await page.goto(`${warden.url}/dev/config`);
  await page.getByLabel(/What changed/).fill("Move analysts from invoices to refunds");
  await page.getByRole("button", { name: "Publish version 2 to Development" }).click();
  const confirm = page.getByRole("dialog", { name: "Publish version 2 anyway?" });
  await expect(confirm).toContainText("5 calls by 2 users in the last 7 days would now be refused.");
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toBeHidden();
  // Cancelled: nothing was published.
  await expect(page.getByRole("button", { name: "Publish version 2 to Development" })).toBeVisible();

  await page.getByRole("button", { name: "Publish version 2 to Development" }).click();
  await page.getByRole("dialog", { name: "Publish version 2 anyway?" }).getByRole("button", { name: "Publish and refuse these calls" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Version 2 is live in Development." })).toBeVisible();

  // The counts the admin confirmed are kept with the version's audit event.
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT "details" FROM "AuditEvent" WHERE "action" = 'config.published' AND "target" = 'config:dev:v2'`);
    expect(rows[0].details.impact).toMatchObject({ days: 7, confirmedLosses: true, loses: { calls: 5, subjects: 2 }, gains: { calls: 2, subjects: 1 } });
  } finally {
    await client.end();
  }
});

test("a producer that reports an allow its config version would deny is flagged within a minute", async ({ page }) => {
  const eventId = uuidv7();
  const response = await fetch(`${warden.url}/api/v1/audit-events`, {
    method: "POST",
    headers: { authorization: `Bearer ${shared.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({
      events: [
        // Version 2 has no such tool, and no grant of get_invoice any more.
        { id: eventId, ts: new Date().toISOString(), actor: "mallory", clientId: ALICE, tool: "drop_tables", action: "tool.call", decision: "allow", configVersion: 2 },
        { id: uuidv7(), ts: new Date().toISOString(), actor: BOB, clientId: BOB, tool: "get_invoice", action: "tool.call", decision: "allow", configVersion: 2, inputs: { scopes: ["tools:sales.read"], roles: [], claims: { groups: ["sales-analysts"] } } },
      ],
    }),
  });
  expect(response.status).toBe(202);

  await signInToDashboard(page, warden.url, OWNER);
  await expect(async () => {
    await page.goto(`${warden.url}/dev`);
    await expect(page.getByRole("region", { name: /2 reported decisions their config version would not have made/ })).toBeVisible({ timeout: 1_000 });
  }).toPass({ timeout: 60_000 });
  const flagged = page.getByRole("region", { name: /reported decisions their config version would not have made/ });
  await expect(flagged).toContainText("sales-mcp/drop_tables");
  await expect(flagged).toContainText("v2 would deny (unknown_tool)");
  await expect(flagged).toContainText("v2 would deny (no_grant)");

  await flagged.getByRole("link", { name: "sales-mcp/drop_tables" }).click();
  const detail = page.getByRole("region", { name: "Event detail" });
  await expect(detail.getByRole("alert")).toContainText("Config v2 would not have made this decision: it would deny (unknown_tool).");
  await expect(detail).toContainText('There is no tool "drop_tables"');
});
