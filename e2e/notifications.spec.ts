import pg from "pg";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startWarden, type WardenProcess } from "./support/warden-process";
import { startWebhookReceiver } from "./support/webhook-receiver";
import { signInToDashboard } from "./support/dashboard";

// Webhooks with real processes: Warden on its own PostgreSQL database, a
// receiver on 127.0.0.1 that verifies every message with the Standard Webhooks
// reference library, and approval requests opened the way an MCP server does.
const OWNER = { email: "notify-owner@warden.test", password: "notifications owner password" };
const AGENT = "https://agent.example/claude-desktop.json";
const PORTS = { warden: WARDEN_E2E_PORT + 75, receiver: WARDEN_E2E_PORT + 76 };
const WARDEN_ENV = {
  NEXTAUTH_SECRET: "notifications-e2e-session-secret-0123456789",
  WARDEN_ENCRYPTION_KEY: "notifications-e2e-encryption-key-0123456789",
  WARDEN_ADMIN_EMAIL: OWNER.email,
  WARDEN_ADMIN_PASSWORD: OWNER.password,
  // The receiver is on loopback; retries start at half a second so the suite need not wait minutes.
  WARDEN_DESTINATIONS_ALLOW_PRIVATE: "true",
  WARDEN_WEBHOOK_RETRY_BASE_MS: "500",
};

test.describe.configure({ mode: "serial", timeout: 180_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
let receiver: Awaited<ReturnType<typeof startWebhookReceiver>>;
const shared = { apiKey: "", webhookPath: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(PORTS.warden, { DATABASE_URL: database.url, ...WARDEN_ENV });
  receiver = await startWebhookReceiver(PORTS.receiver);
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    await client.query(
      `WITH env AS (SELECT id FROM "Environment" WHERE key = 'dev'),
      server AS (
        INSERT INTO "McpServer" (id, "environmentId", name, "resourceUri", "authorizationServer", "scopesSupported", "updatedAt")
        SELECT gen_random_uuid(), env.id, 'sales-mcp', 'https://sales.example/mcp', 'https://idp.example', ARRAY['tools:sales.read'], now() FROM env RETURNING id
      )
      INSERT INTO "Tool" (id, "serverId", name, "riskTier", "requiresApproval", "updatedAt")
      SELECT gen_random_uuid(), server.id, 'refund_payment', 'CRITICAL', true, now() FROM server`,
    );
    await client.query(
      `INSERT INTO "Client" (id, "environmentId", "clientId", status, metadata, "updatedAt")
       SELECT gen_random_uuid(), id, $1, 'APPROVED', $2::jsonb, now() FROM "Environment" WHERE key = 'dev'`,
      [AGENT, JSON.stringify({ client_id: AGENT, client_name: "Claude Desktop" })],
    );
  } finally {
    await client.end();
  }
});

test.afterAll(async () => {
  await warden?.stop();
  await receiver?.close();
  await database?.drop();
});

/** What an MCP server does when a call needs a human. */
async function requestApproval(subject: string) {
  const response = await fetch(`${warden.url}/api/v1/approvals`, {
    method: "POST",
    headers: { authorization: `Bearer ${shared.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ subject, clientId: AGENT, tool: "refund_payment", argumentsDigest: `sha256:${"b".repeat(64)}`, argumentsPreview: { amount: 42 } }),
  });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string };
}

const subjectsReceived = () => receiver.messages.filter((message) => message.event.type === "approval.requested").map((message) => (message.event as { data: { subject: string } }).data.subject);

test("setup: an API key, and a webhook whose secret is shown once", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/config/keys`);
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyDialog = page.getByRole("dialog", { name: "Create an API key" });
  await keyDialog.getByLabel("Label").fill("sales-mcp dev");
  await keyDialog.getByLabel("Server").selectOption({ label: "sales-mcp" });
  await keyDialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await keyDialog.getByLabel("API key").inputValue();
  await keyDialog.getByRole("button", { name: "Done" }).click();

  await page.getByRole("link", { name: "Notifications" }).click();
  await expect(page.getByText("No webhooks yet.")).toBeVisible();
  await page.getByRole("button", { name: "Add webhook" }).click();
  const dialog = page.getByRole("dialog", { name: "Add a webhook" });
  await dialog.getByLabel("Name").fill("security on-call");
  // A destination on a public address must use https: the form says so.
  await dialog.getByLabel("URL").fill("http://93.184.215.14/hook");
  await dialog.getByRole("button", { name: "Add webhook" }).click();
  await expect(dialog.getByText("Destinations on the internet must use https://.").first()).toBeVisible();
  await dialog.getByLabel("URL").fill(receiver.url);
  await dialog.getByLabel(/An approval is decided/).check();
  await dialog.getByRole("button", { name: "Add webhook" }).click();
  const secret = await dialog.getByLabel("Signing secret").inputValue();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/=]{44}$/);
  receiver.setSecret(secret);
  await dialog.getByRole("button", { name: "Open delivery log" }).click();
  await expect(page.getByRole("heading", { name: "security on-call" })).toBeVisible();
  shared.webhookPath = new URL(page.url()).pathname;
  await expect(page.getByText("Nothing sent yet.")).toBeVisible();

  // A test event proves the receiver accepts Warden's signature.
  await page.getByRole("button", { name: "Send a test event" }).click();
  await expect.poll(() => receiver.messages.map((message) => message.event.type), { timeout: 10_000 }).toContain("webhook.test");
  const table = page.getByRole("table", { name: "Deliveries" });
  await expect(table.getByRole("row").filter({ hasText: "webhook.test" })).toContainText("delivered", { timeout: 15_000 });
  await expect(table.getByRole("row").filter({ hasText: "webhook.test" })).toContainText("HTTP 204");
});

test("an approval request reaches the receiver within seconds, signed, and reads as a request for review", async ({ page }) => {
  const opened = Date.now();
  const approval = await requestApproval("alice");
  await expect.poll(subjectsReceived, { timeout: 5_000 }).toEqual(["alice"]);
  const message = receiver.messages.find((candidate) => candidate.event.type === "approval.requested")!;
  expect(message.receivedAt - opened).toBeLessThan(5_000);
  expect(message.verified).toBe(true);
  expect(message.event).toMatchObject({
    type: "approval.requested",
    data: { environment: "dev", approvalId: approval.id, subject: "alice", clientId: AGENT, clientName: "Claude Desktop", server: "sales-mcp", tool: "refund_payment" },
  });

  // The log shows it, and "send again" sends the same message (same webhook-id) once more.
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}${shared.webhookPath}`);
  const row = page.getByRole("table", { name: "Deliveries" }).getByRole("row").filter({ hasText: "approval.requested" });
  await expect(row).toContainText("delivered");
  await row.getByRole("button", { name: "Send again" }).click();
  await expect(page.getByText("approval.requested is queued again.")).toBeVisible();
  await expect.poll(() => receiver.messages.filter((candidate) => candidate.id === message.id).length, { timeout: 10_000 }).toBe(2);
});

test("a receiver that fails three times then recovers gets every event, once the retries land, in order", async () => {
  receiver.messages.length = 0;
  receiver.attempts.length = 0;
  receiver.failNext(500, 503, 500);
  for (const subject of ["bob", "carol", "dave"]) await requestApproval(subject);
  await expect.poll(subjectsReceived, { timeout: 30_000 }).toEqual(["bob", "carol", "dave"]);
  // Three refusals of the first message, then each message once: nothing overtook the one being retried.
  const firstId = receiver.attempts[0]!.id;
  expect(receiver.attempts.map((attempt) => [attempt.id === firstId, attempt.status])).toEqual([
    [true, 500],
    [true, 503],
    [true, 500],
    [true, 204],
    [false, 204],
    [false, 204],
  ]);
});

test("a restart of Warden between the event and its delivery loses nothing", async () => {
  receiver.messages.length = 0;
  // The receiver is down for a while: the request is stored and its message waits in the queue.
  receiver.failNext(...Array.from({ length: 1_000 }, () => 503));
  await requestApproval("erin");
  await expect.poll(() => receiver.attempts.some((attempt) => attempt.status === 503), { timeout: 10_000 }).toBe(true);
  await warden.stop();
  receiver.clearScript();
  expect(subjectsReceived()).toEqual([]);
  warden = await startWarden(PORTS.warden, { DATABASE_URL: database.url, ...WARDEN_ENV });
  await expect.poll(subjectsReceived, { timeout: 30_000 }).toEqual(["erin"]);
});
