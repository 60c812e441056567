import { createServer, type Server } from "node:http";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { contentDigest } from "../sdk/src/contract/canonical-json";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { EnforcementStack } from "./support/enforcement-stack";

// The whole loop with real processes: an admin grants and publishes in the
// dashboard, a reference MCP server (its own process, using the SDK) polls the
// signed config, and an agent on the official MCP client calls tools with an
// OAuth access token from a real authorization server. This suite runs its own
// Warden on its own PostgreSQL database, so it can stop it.
const IMPOSTOR_PORT = WARDEN_E2E_PORT + 23;

test.describe.configure({ mode: "serial", timeout: 180_000 });

let stack: EnforcementStack;
let impostor: Server | undefined;
const stateFile = join(mkdtempSync(join(tmpdir(), "warden-e2e-sdk-")), "warden-config.json");
const shared = { apiKey: "", jwks: "", v1: "", v2: "" };

test.beforeAll(async () => {
  stack = await EnforcementStack.start({
    name: "enforcement",
    owner: { email: "enforce-owner@warden.test", password: "enforcement owner password" },
    ports: { warden: WARDEN_E2E_PORT + 20, issuer: WARDEN_E2E_PORT + 21, mcp: WARDEN_E2E_PORT + 22 },
    agent: { clientId: "https://agent.example/client.json", scopes: ["tools:sales.read"], claims: { groups: ["sales-analysts"] } },
    seed: { tools: [{ name: "get_invoice" }, { name: "list_customers" }, { name: "refund_payment" }], approvedAgent: true },
  });
});

test.afterAll(async () => {
  await stack?.mcp?.stop();
  await new Promise((resolve) => (impostor ? (impostor.closeAllConnections(), impostor.close(resolve)) : resolve(undefined)));
  await stack?.stop();
});

async function toggleGrant(page: Page, tool: string, granted: boolean) {
  await page.goto(`${stack.warden.url}/dev/roles/matrix`);
  const cell = page.getByRole("button", { name: `Grant ${tool} (sales-mcp) to analyst`, exact: true });
  await expect(cell).toHaveAttribute("aria-pressed", String(!granted));
  await cell.click();
  await expect(page.getByRole("status").filter({ hasText: granted ? `Granted ${tool} (sales-mcp) to analyst.` : `Revoked ${tool} (sales-mcp) from analyst.` })).toBeVisible();
}

/** The agent: the official MCP client with a fresh access token for this server. */
async function call(tool: string, args: Record<string, unknown> = {}) {
  const client = await stack.connectAgent("e2e-agent");
  try {
    const listed = (await client.listTools()).tools.map((entry) => entry.name);
    const result = (await client.callTool({ name: tool, arguments: args })) as { isError?: boolean; content: { text?: string }[] };
    return { listed, ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

function startMcp(wardenUrl: string) {
  return stack.startMcp({ WARDEN_URL: wardenUrl, WARDEN_API_KEY: shared.apiKey, WARDEN_JWKS: shared.jwks, WARDEN_STATE_FILE: stateFile, WARDEN_POLL_INTERVAL_MS: "1000,2000" });
}

async function liveDocument() {
  const response = await fetch(`${stack.warden.url}/api/v1/config`, { headers: { authorization: `Bearer ${shared.apiKey}` } });
  expect(response.status).toBe(200);
  return response.text();
}

test("an admin grants a tool and publishes; within a poll an MCP agent can call it through the reference server", async ({ page }) => {
  await stack.signIn(page);
  await page.goto(`${stack.warden.url}/dev/config`);
  await page.getByRole("link", { name: "API keys for MCP servers" }).click();
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill("sales-mcp dev");
  await dialog.getByLabel("Server").selectOption({ label: "sales-mcp" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  // The operator pins Warden's public keys out of band.
  shared.jwks = await (await fetch(`${stack.warden.url}/api/v1/keys`, { headers: { authorization: `Bearer ${shared.apiKey}` } })).text();

  await startMcp(stack.warden.url);
  // Nothing is published in dev yet: every call is denied.
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ listed: [], ok: false, text: expect.stringContaining("no_verified_config") });

  await toggleGrant(page, "get_invoice", true);
  await toggleGrant(page, "list_customers", true);
  await stack.publish(page, 1);
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-1001" })).ok, { timeout: 15_000 }).toBe(true);
  const allowed = await call("get_invoice", { invoiceId: "INV-1001" });
  expect(allowed.text).toContain("INV-1001");
  expect(allowed.listed.sort()).toEqual(["get_invoice", "list_customers"]);
  expect(await call("refund_payment", { paymentId: "P-1", amount: 10 })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v1)") });
  shared.v1 = await liveDocument();
});

test("revoking and publishing refuses the tool with Warden's reason", async ({ page }) => {
  await stack.signIn(page);
  await toggleGrant(page, "get_invoice", false);
  await stack.publish(page, 2);
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-1" })).text, { timeout: 15_000 }).toMatch(
    /^Denied by Warden \(no_grant, config v2\): None of the subject's roles \(analyst\) has a grant for sales-mcp\/get_invoice\./,
  );
  expect((await call("list_customers")).listed).toEqual(["list_customers"]);
  shared.v2 = await liveDocument();

  // The whole chain lands in the audit trail: user via agent via server called tool, refused under config v2.
  await expect(async () => {
    await page.goto(`${stack.warden.url}/dev/audit?source=mcp&decision=deny&tool=get_invoice`);
    const row = page.getByRole("table", { name: "Audit events" }).getByRole("row").filter({ hasText: "v2" }).first();
    await expect(row).toContainText("sales-mcp/get_invoice", { timeout: 1_000 });
  }).toPass({ timeout: 30_000 });
  await page.getByRole("table", { name: "Audit events" }).getByRole("row").filter({ hasText: "v2" }).first().getByRole("link").click();
  const detail = page.getByRole("region", { name: "Event detail" });
  await expect(detail).toContainText("no_grant");
  await expect(detail.getByRole("link", { name: "open" })).not.toHaveCount(0);
});

test("with the dashboard stopped, the server keeps enforcing the last known good config, across its own restart", async () => {
  await stack.warden.stop();
  expect(await call("list_customers")).toMatchObject({ ok: true, listed: ["list_customers"] });
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ ok: false, text: expect.stringContaining("config v2") });

  await stack.mcp!.stop();
  await startMcp(stack.warden.url);
  expect(stack.mcp!.output()).toMatch(/Loaded the last known good Warden config, version 2/);
  expect(await call("list_customers")).toMatchObject({ ok: true, listed: ["list_customers"] });
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v2)") });
});

test("an older signed config, or a tampered one, is refused and the last known good one stays", async () => {
  // Someone in the path replays version 1 (which granted get_invoice), then serves version 2 with a grant slipped in.
  let served = shared.v1;
  impostor = createServer((_req, res) => res.writeHead(200, { "content-type": "application/json", etag: `"x-${Date.now()}"` }).end(served));
  await new Promise<void>((resolve) => impostor!.listen(IMPOSTOR_PORT, "127.0.0.1", resolve));
  await stack.mcp!.stop();
  await startMcp(`http://127.0.0.1:${IMPOSTOR_PORT}`);

  await expect.poll(() => stack.mcp!.output(), { timeout: 15_000 }).toMatch(/Refused a config from Warden \(version_rollback\): Version 1 is older than version 2/);
  expect(await call("get_invoice", { invoiceId: "INV-1" })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v2)") });

  const tampered = JSON.parse(shared.v2) as { config: { policy: { grants: unknown[] } } };
  tampered.config.policy.grants.push({ role: "analyst", server: "sales-mcp", tool: "refund_payment", requiredScopes: [] });
  served = JSON.stringify(tampered);
  await expect.poll(() => stack.mcp!.output(), { timeout: 15_000 }).toMatch(/Refused a config from Warden \(content_hash_mismatch\)/);
  // Re-hashing the tampered content does not help: the signature covers the hash.
  (tampered as unknown as { contentHash: string }).contentHash = contentDigest(tampered.config);
  served = JSON.stringify(tampered);
  await expect.poll(() => stack.mcp!.output(), { timeout: 15_000 }).toMatch(/Refused a config from Warden \(claims_mismatch\)/);
  expect(await call("refund_payment", { paymentId: "P-1", amount: 10 })).toMatchObject({ ok: false, text: expect.stringContaining("(no_grant, config v2)") });
  expect(await call("list_customers")).toMatchObject({ ok: true });
});
