import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import pg from "pg";
import type { Page } from "@playwright/test";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { argumentsDigest } from "../sdk/src/approval-client";
import { startTokenIssuer, type TokenIssuer } from "../examples/reference-mcp-server/token-issuer";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startReferenceServerProcess, type ReferenceServerProcess } from "./support/reference-server-process";
import { startWarden, type WardenProcess } from "./support/warden-process";

// Human approval of a risky call, with real processes: an agent calls
// refund_payment through the reference MCP server, the call waits, an admin
// decides in the dashboard, and the call runs or is refused. Its own Warden on
// its own PostgreSQL database, like the enforcement suite.
const OWNER = { email: "approvals-owner@warden.test", password: "approvals owner password" };
const AGENT = "https://agent.example/client.json";
const PORTS = { warden: WARDEN_E2E_PORT + 40, issuer: WARDEN_E2E_PORT + 41, mcp: WARDEN_E2E_PORT + 42 };
const RESOURCE = `http://127.0.0.1:${PORTS.mcp}/mcp`;
const EXPIRES_SECONDS = 20;

test.describe.configure({ mode: "serial", timeout: 180_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
let issuer: TokenIssuer;
let mcp: ReferenceServerProcess | undefined;
const shared = { apiKey: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(PORTS.warden, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "approvals-e2e-session-secret-0123456789",
    WARDEN_ENCRYPTION_KEY: "approvals-e2e-encryption-key-0123456789",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  });
  issuer = await startTokenIssuer({ port: PORTS.issuer, clients: [AGENT], scopes: ["tools:sales.read"] });
  issuer.setClaims(AGENT, { groups: ["sales-analysts"] });
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    // refund_payment needs a human's approval for every call; the analyst role may ask for it.
    await client.query(
      `WITH env AS (SELECT id FROM "Environment" WHERE key = 'dev'),
      server AS (
        INSERT INTO "McpServer" (id, "environmentId", name, "resourceUri", "authorizationServer", "scopesSupported", "updatedAt")
        SELECT gen_random_uuid(), env.id, 'sales-mcp', $1, $2, ARRAY['tools:sales.read'], now() FROM env RETURNING id
      )
      INSERT INTO "Tool" (id, "serverId", name, "riskTier", "requiresApproval", "updatedAt")
      SELECT gen_random_uuid(), server.id, t.name, t.tier::"RiskTier", t.approval, now() FROM server, (VALUES ('get_invoice', 'LOW', false), ('refund_payment', 'CRITICAL', true)) AS t(name, tier, approval)`,
      [RESOURCE, issuer.issuer],
    );
    await client.query(
      `WITH role AS (
        INSERT INTO "Role" (id, "environmentId", name, "claimName", "claimValue", "updatedAt")
        SELECT gen_random_uuid(), id, 'analyst', 'groups', 'sales-analysts', now() FROM "Environment" WHERE key = 'dev' RETURNING id
      )
      INSERT INTO "Grant" (id, "roleId", "toolId", "requiredScopes", "updatedAt")
      SELECT gen_random_uuid(), role.id, "Tool".id, ARRAY['tools:sales.read'], now() FROM role, "Tool"`,
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

/** The agent: the official MCP client; the call may wait for a human, so the request timeout is generous. */
async function call(tool: string, args: Record<string, unknown>) {
  const token = await issuer.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read" });
  const client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const result = (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 120_000 })) as { isError?: boolean; content: { text?: string }[] };
    return { ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

function api(path: string, body?: unknown) {
  return fetch(`${warden.url}${path}`, {
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${shared.apiKey}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
}

test("setup: an API key, version 1 published, and the reference server enforcing it", async ({ page }) => {
  await signIn(page);
  await page.goto(`${warden.url}/dev/config/keys`);
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill("sales-mcp dev");
  await dialog.getByLabel("Server").selectOption({ label: "sales-mcp" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("button", { name: "Publish version 1 to Development" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Version 1 is live in Development." })).toBeVisible();
  mcp = await startReferenceServerProcess(PORTS.mcp, {
    WARDEN_URL: warden.url,
    WARDEN_API_KEY: shared.apiKey,
    WARDEN_JWKS: await (await api("/api/v1/keys")).text(),
    WARDEN_POLL_INTERVAL_MS: "1000,2000",
    WARDEN_AUDIT_FLUSH_MS: "500",
    WARDEN_APPROVAL_EXPIRES_SECONDS: String(EXPIRES_SECONDS),
    OAUTH_ISSUER: issuer.issuer,
    MCP_RESOURCE: RESOURCE,
  });
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-1" })).ok, { timeout: 15_000 }).toBe(true);
});

test("approve: the call waits, an admin approves it in the dashboard, the call completes, and the trail tells it in order", async ({ page }) => {
  await signIn(page);
  const pending = call("refund_payment", { paymentId: "PAY-7", amount: 42 });
  await page.goto(`${warden.url}/dev/approvals`);
  // The queue is live: the request shows up without a reload, with everything needed to decide.
  const card = page.getByRole("listitem", { name: `sales-mcp/refund_payment for ${AGENT}` });
  await expect(card).toBeVisible({ timeout: 20_000 });
  await expect(page.getByRole("link", { name: /Approvals/ }).first()).toContainText("1");
  await expect(card).toContainText('"paymentId": "PAY-7"');
  await expect(card).toContainText(/\d+ s left/);
  await card.getByLabel(/Comment/).fill("Customer confirmed by phone");
  await card.getByRole("button", { name: "Approve" }).click();
  await expect(card.getByRole("alert").or(card.getByRole("status")).first()).toContainText("Approved");
  expect(await pending).toEqual({ ok: true, text: "refunded 42 on PAY-7" });

  // The same approval cannot be used twice, nor for other arguments.
  const [approval] = await (async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return (await client.query(`SELECT id, status FROM "ApprovalRequest" ORDER BY "createdAt" DESC LIMIT 1`)).rows as { id: string; status: string }[];
    } finally {
      await client.end();
    }
  })();
  expect(approval!.status).toBe("CONSUMED");
  const replay = await api(`/api/v1/approvals/${approval!.id}/consume`, { argumentsDigest: argumentsDigest({ paymentId: "PAY-7", amount: 42 }) });
  expect(replay.status).toBe(409);
  expect(await replay.json()).toMatchObject({ code: "already_used" });
  const swapped = await api(`/api/v1/approvals/${approval!.id}/consume`, { argumentsDigest: argumentsDigest({ paymentId: "PAY-7", amount: 4_200 }) });
  expect(swapped.status).toBe(409);

  // The audit trail, newest first: request → decision → use → the call itself, then the refused replays.
  await expect(async () => {
    await page.goto(`${warden.url}/dev/audit?tool=refund_payment&range=1h`);
    const actions = await page.getByRole("table", { name: "Audit events" }).locator("tbody tr td code").allTextContents();
    expect(actions.filter((text) => /^(approval\.|tool\.call$)/.test(text)).reverse()).toEqual(["approval.requested", "approval.approved", "approval.consumed", "tool.call", "approval.consume_refused", "approval.consume_refused"]);
  }).toPass({ timeout: 30_000 });
});

test("deny: the call is refused with the approver's comment", async ({ page }) => {
  await signIn(page);
  const pending = call("refund_payment", { paymentId: "PAY-8", amount: 5_000 });
  await page.goto(`${warden.url}/dev/approvals`);
  const card = page.getByRole("listitem", { name: `sales-mcp/refund_payment for ${AGENT}` });
  await expect(card).toBeVisible({ timeout: 20_000 });
  await card.getByRole("button", { name: "Deny" }).click();
  await expect(card).toContainText("Say why the call is denied");
  await card.getByLabel(/Comment/).fill("Above the refund limit");
  await card.getByRole("button", { name: "Deny" }).click();
  expect(await pending).toEqual({ ok: false, text: `Denied by Warden (approval_denied): Denied by ${OWNER.email}: Above the refund limit` });
  await page.goto(`${warden.url}/dev/approvals?status=DENIED`);
  await expect(page.getByRole("listitem").filter({ hasText: "Above the refund limit" })).toBeVisible();
});

test("expire: nobody decides, the request expires and the call is denied", async ({ page }) => {
  const started = Date.now();
  const result = await call("refund_payment", { paymentId: "PAY-9", amount: 1 });
  expect(result).toMatchObject({ ok: false, text: expect.stringMatching(/^Denied by Warden \(approval_expired\)/) });
  expect(Date.now() - started).toBeGreaterThanOrEqual(EXPIRES_SECONDS * 1_000 - 1_000);
  await signIn(page);
  await page.goto(`${warden.url}/dev/approvals?status=EXPIRED`);
  await expect(page.getByRole("listitem").filter({ hasText: "PAY-9" })).toContainText("Expired (denied)");
  await expect(async () => {
    await page.goto(`${warden.url}/dev/audit?tool=refund_payment&action=approval.expired&range=1h`);
    await expect(page.getByRole("table", { name: "Audit events" }).locator("tbody tr")).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
});
