import pg from "pg";
import { argumentsDigest } from "../sdk/src/approval-client";
import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { EnforcementStack } from "./support/enforcement-stack";

// Human approval of a risky call, with real processes: an agent calls
// refund_payment through the reference MCP server, the call waits, an admin
// decides in the dashboard, and the call runs or is refused. Its own Warden on
// its own PostgreSQL database, like the enforcement suite.
const OWNER = { email: "approvals-owner@warden.test", password: "approvals owner password" };
const AGENT = "https://agent.example/client.json";
const EXPIRES_SECONDS = 20;
const QUEUE_EMPTY = "Nothing is waiting for a decision.";

test.describe.configure({ mode: "serial", timeout: 180_000 });

let stack: EnforcementStack;
const shared = { apiKey: "" };

test.beforeAll(async () => {
  stack = await EnforcementStack.start({
    name: "approvals",
    owner: OWNER,
    ports: { warden: WARDEN_E2E_PORT + 40, issuer: WARDEN_E2E_PORT + 41, mcp: WARDEN_E2E_PORT + 42 },
    agent: { clientId: AGENT, scopes: ["tools:sales.read"], claims: { groups: ["sales-analysts"] } },
    // refund_payment needs a human's approval for every call; the analyst role may ask for it.
    seed: {
      tools: [{ name: "get_invoice" }, { name: "refund_payment", riskTier: "CRITICAL", requiresApproval: true }],
      analystGrantScopes: ["tools:sales.read"],
      approvedAgent: true,
    },
  });
});

test.afterAll(async () => {
  await stack?.stop();
});

/** The agent: the official MCP client; the call may wait for a human, so the request timeout is generous. */
async function call(tool: string, args: Record<string, unknown>) {
  const client = await stack.connectAgent("e2e-agent");
  try {
    const result = (await client.callTool({ name: tool, arguments: args }, undefined, { timeout: 120_000 })) as { isError?: boolean; content: { text?: string }[] };
    return { ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

/**
 * Opens the queue while nothing waits, and only then makes the call. Its card
 * can then only appear through the page's own live refresh, so by the time it
 * shows, the page is running in the browser and its buttons answer, and the
 * agent's call is waiting for the decision.
 */
async function callAndWaitForCard(page: Page, args: { paymentId: string; amount: number }) {
  await page.goto(`${stack.warden.url}/dev/approvals`);
  await expect(page.getByText(QUEUE_EMPTY)).toBeVisible();
  const pending = call("refund_payment", args);
  const card = page.getByRole("listitem", { name: `sales-mcp/refund_payment for ${AGENT}` }).filter({ hasText: args.paymentId });
  await expect(card).toBeVisible({ timeout: 20_000 });
  return { pending, card };
}

function api(path: string, body?: unknown) {
  return fetch(`${stack.warden.url}${path}`, {
    method: body ? "POST" : "GET",
    headers: { authorization: `Bearer ${shared.apiKey}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
}

test("setup: an API key, version 1 published, and the reference server enforcing it", async ({ page }) => {
  await stack.signIn(page);
  await page.goto(`${stack.warden.url}/dev/config/keys`);
  await page.getByRole("button", { name: "Create API key" }).click();
  const dialog = page.getByRole("dialog", { name: "Create an API key" });
  await dialog.getByLabel("Label").fill("sales-mcp dev");
  await dialog.getByLabel("Server").selectOption({ label: "sales-mcp" });
  await dialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await dialog.getByLabel("API key").inputValue();
  await dialog.getByRole("button", { name: "Done" }).click();
  await stack.publish(page, 1);
  await stack.startMcp({
    WARDEN_API_KEY: shared.apiKey,
    WARDEN_JWKS: await (await api("/api/v1/keys")).text(),
    WARDEN_POLL_INTERVAL_MS: "1000,2000",
    WARDEN_AUDIT_FLUSH_MS: "500",
    WARDEN_APPROVAL_EXPIRES_SECONDS: String(EXPIRES_SECONDS),
  });
  await expect.poll(async () => (await call("get_invoice", { invoiceId: "INV-1" })).ok, { timeout: 15_000 }).toBe(true);
});

test("approve: the call waits, an admin approves it in the dashboard, the call completes, and the trail tells it in order", async ({ page }) => {
  await stack.signIn(page);
  // The queue is live: the request shows up without a reload, with everything needed to decide.
  const { pending, card } = await callAndWaitForCard(page, { paymentId: "PAY-7", amount: 42 });
  await expect(page.getByRole("link", { name: /Approvals/ }).first()).toContainText("1");
  await expect(card).toContainText('"paymentId": "PAY-7"');
  await expect(card).toContainText(/\d+ s left/);
  await card.getByLabel(/Comment/).fill("Customer confirmed by phone");
  await card.getByRole("button", { name: "Approve" }).click();
  // Decided, the request leaves the queue; the call runs, and the history shows who approved it, why, and that it was used.
  await expect(page.getByText(QUEUE_EMPTY)).toBeVisible();
  // The confirmation outlives the card it came from.
  await expect(page.getByRole("status").filter({ hasText: /^Approved sales-mcp\/refund_payment for .+: the call runs now\.$/ })).toBeVisible();
  expect(await pending).toEqual({ ok: true, text: "refunded 42 on PAY-7" });
  await page.goto(`${stack.warden.url}/dev/approvals?status=CONSUMED`);
  const used = page.getByRole("listitem").filter({ hasText: "PAY-7" });
  await expect(used).toContainText("Approved and used");
  await expect(used).toContainText(`Approved by ${OWNER.email}`);
  await expect(used).toContainText("“Customer confirmed by phone”");

  // The same approval cannot be used twice, nor for other arguments.
  const [approval] = await (async () => {
    const client = new pg.Client({ connectionString: stack.database.url });
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
    await page.goto(`${stack.warden.url}/dev/audit?tool=refund_payment&range=1h`);
    const actions = await page.getByRole("table", { name: "Audit events" }).locator("tbody tr td code").allTextContents();
    expect(actions.filter((text) => /^(approval\.|tool\.call$)/.test(text)).reverse()).toEqual(["approval.requested", "approval.approved", "approval.consumed", "tool.call", "approval.consume_refused", "approval.consume_refused"]);
  }).toPass({ timeout: 30_000 });
});

test("deny: the call is refused with the approver's comment", async ({ page }) => {
  await stack.signIn(page);
  const { pending, card } = await callAndWaitForCard(page, { paymentId: "PAY-8", amount: 5_000 });
  await card.getByRole("button", { name: "Deny" }).click();
  await expect(card).toContainText("Say why the call is denied");
  await card.getByLabel(/Comment/).fill("Above the refund limit");
  await card.getByRole("button", { name: "Deny" }).click();
  await expect(page.getByRole("status").filter({ hasText: /^Denied sales-mcp\/refund_payment for .+\.$/ })).toBeVisible();
  expect(await pending).toEqual({ ok: false, text: `Denied by Warden (approval_denied): Denied by ${OWNER.email}: Above the refund limit` });
  await page.goto(`${stack.warden.url}/dev/approvals?status=DENIED`);
  await expect(page.getByRole("listitem").filter({ hasText: "Above the refund limit" })).toBeVisible();
});

test("expire: nobody decides, the request expires and the call is denied", async ({ page }) => {
  const started = Date.now();
  const result = await call("refund_payment", { paymentId: "PAY-9", amount: 1 });
  expect(result).toMatchObject({ ok: false, text: expect.stringMatching(/^Denied by Warden \(approval_expired\)/) });
  expect(Date.now() - started).toBeGreaterThanOrEqual(EXPIRES_SECONDS * 1_000 - 1_000);
  await stack.signIn(page);
  await page.goto(`${stack.warden.url}/dev/approvals?status=EXPIRED`);
  await expect(page.getByRole("listitem").filter({ hasText: "PAY-9" })).toContainText("Expired (denied)");
  await expect(async () => {
    await page.goto(`${stack.warden.url}/dev/audit?tool=refund_payment&action=approval.expired&range=1h`);
    await expect(page.getByRole("table", { name: "Audit events" }).locator("tbody tr")).toHaveCount(1, { timeout: 1_000 });
  }).toPass({ timeout: 20_000 });
});
