import pg from "pg";
import { v7 as uuidv7 } from "uuid";
import { otlpLogsReceiver } from "../lib/audit-stream/testing/otlp-receiver";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startWarden, type WardenProcess } from "./support/warden-process";
import { signInToDashboard } from "./support/dashboard";

// Audit streaming with real processes: Warden on its own PostgreSQL database
// streams to an OTLP/HTTP logs receiver on 127.0.0.1, which decodes each
// request with the OpenTelemetry JavaScript packages (JSON first, then
// protobuf) and is stopped for a minute and started again.
const OWNER = { email: "stream-owner@warden.test", password: "audit stream owner password" };
const PORTS = { warden: WARDEN_E2E_PORT + 77, collector: WARDEN_E2E_PORT + 78 };

test.describe.configure({ mode: "serial", timeout: 240_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
const otlp = otlpLogsReceiver({ port: PORTS.collector });
const shared = { apiKey: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(PORTS.warden, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "stream-e2e-session-secret-0123456789abcdef",
    WARDEN_ENCRYPTION_KEY: "stream-e2e-encryption-key-0123456789abcdef",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
    WARDEN_DESTINATIONS_ALLOW_PRIVATE: "true",
    WARDEN_AUDIT_STREAM_RETRY_BASE_MS: "500",
  });
  await otlp.start();
});

test.afterAll(async () => {
  await warden?.stop();
  await otlp.stop();
  await database?.drop();
});

/** What an MCP server's SDK does: a batch of tool-call decisions. */
async function ingest(count: number, tag: string): Promise<string[]> {
  const events = Array.from({ length: count }, (_, index) => ({
    id: uuidv7(),
    ts: new Date().toISOString(),
    actor: `user-${index}@example.com`,
    clientId: "https://agent.example/client.json",
    server: "sales-mcp",
    tool: "get_invoice",
    action: "tool.call",
    decision: index % 5 === 0 ? "deny" : "allow",
    details: { tag },
  }));
  const response = await fetch(`${warden.url}/api/v1/audit-events`, {
    method: "POST",
    headers: { authorization: `Bearer ${shared.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ events }),
  });
  expect(response.status).toBe(202);
  expect(await response.json()).toMatchObject({ accepted: count });
  return events.map((event) => event.id);
}

async function storedIds(): Promise<string[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(`SELECT "id"::text AS id FROM "AuditEvent" WHERE "environmentId" = (SELECT id FROM "Environment" WHERE key = 'dev')`);
    return rows.map((row) => row.id);
  } finally {
    await client.end();
  }
}

test("every stored audit event reaches the OTLP receiver with its fields and chain as attributes", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/config/keys`);
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyDialog = page.getByRole("dialog", { name: "Create an API key" });
  await keyDialog.getByLabel("Label").fill("fleet");
  await keyDialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await keyDialog.getByLabel("API key").inputValue();
  await keyDialog.getByRole("button", { name: "Done" }).click();
  const sent = await ingest(200, "before");

  await page.goto(`${warden.url}/dev/audit`);
  const section = page.getByRole("region", { name: "SIEM streaming" });
  await expect(section).toContainText("Not streaming.");
  await section.getByLabel("OTLP/HTTP logs endpoint").fill(`http://127.0.0.1:${PORTS.collector}/v1/logs`);
  await section.getByRole("button", { name: "Start streaming" }).click();
  await expect(section.getByTestId("audit-stream-lag")).toHaveText("Up to date", { timeout: 20_000 });

  const stored = await storedIds();
  expect(stored.length).toBeGreaterThan(200);
  await expect.poll(() => stored.filter((id) => !otlp.records.has(id)).length, { timeout: 15_000 }).toBe(0);
  const call = otlp.records.get(sent[0]!)!;
  expect(call).toMatchObject({
    encoding: "JSON",
    resource: { "service.name": { stringValue: "warden" }, "warden.environment": { stringValue: "dev" } },
    body: { stringValue: "tool.call" },
    severityText: "WARN",
    attributes: {
      "enduser.id": { stringValue: "user-0@example.com" },
      "warden.client.id": { stringValue: "https://agent.example/client.json" },
      "warden.server": { stringValue: "sales-mcp" },
      "warden.tool": { stringValue: "get_invoice" },
      "warden.audit.decision": { stringValue: "deny" },
      "warden.audit.details": { stringValue: '{"tag":"before"}' },
    },
  });
  // The admin's own change is streamed too, with who made it.
  const created = [...otlp.records.values()].find((record) => record.attributes["warden.audit.action"]?.stringValue === "audit_stream.created");
  expect(created?.attributes["warden.actor.label"]).toEqual({ stringValue: OWNER.email });
});

test("with protobuf, stopping the receiver for a minute and starting it again delivers everything, and the lag returns to zero", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/audit`);
  const section = page.getByRole("region", { name: "SIEM streaming" });
  await section.getByLabel("Encoding").selectOption("PROTOBUF");
  await section.getByRole("button", { name: "Save streaming" }).click();
  // Events stored from now on are sent as protobuf.
  await expect(section).toContainText("Saved.");
  // Saving is an admin change, recorded and streamed like any other: let it arrive first.
  const saved = () => [...otlp.records.values()].some((record) => record.attributes["warden.audit.action"]?.stringValue === "audit_stream.updated");
  await expect.poll(saved, { timeout: 20_000 }).toBe(true);
  await otlp.stop();
  const during = [...(await ingest(300, "outage")), ...(await ingest(150, "outage"))];
  await expect(section.getByTestId("audit-stream-lag")).toContainText("450 events behind", { timeout: 15_000 });
  await expect(section).toContainText("retrying");
  await page.waitForTimeout(60_000);
  await expect(section.getByTestId("audit-stream-lag")).toContainText("450 events behind");
  expect(during.filter((id) => otlp.records.has(id))).toEqual([]);

  await otlp.start();
  // Retries back off to at most 30 s apart.
  await expect(section.getByTestId("audit-stream-lag")).toHaveText("Up to date", { timeout: 45_000 });
  await expect(section).toContainText("streaming");
  const stored = await storedIds();
  expect(stored.filter((id) => !otlp.records.has(id))).toEqual([]);
  // Decoded from protobuf with the OpenTelemetry packages, with the same attributes as JSON.
  const call = otlp.records.get(during[0]!)!;
  expect(call).toMatchObject({
    encoding: "PROTOBUF",
    resource: { "service.name": { stringValue: "warden" }, "warden.environment": { stringValue: "dev" } },
    body: { stringValue: "tool.call" },
    attributes: {
      "warden.audit.id": { stringValue: during[0] },
      "enduser.id": { stringValue: "user-0@example.com" },
      "warden.client.id": { stringValue: "https://agent.example/client.json" },
      "warden.server": { stringValue: "sales-mcp" },
      "warden.tool": { stringValue: "get_invoice" },
      "warden.audit.details": { stringValue: '{"tag":"outage"}' },
    },
  });
  expect(during.filter((id) => otlp.records.get(id)?.encoding !== "PROTOBUF")).toEqual([]);
});
