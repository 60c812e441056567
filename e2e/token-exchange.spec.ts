import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { createDb } from "../lib/db/client";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { startTokenIssuer, type TokenIssuer } from "../examples/reference-mcp-server/token-issuer";
import { startDemoDownstreamApi, type RunningDemoApi } from "../examples/demo-downstream-api/server";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startReferenceServerProcess, type ReferenceServerProcess } from "./support/reference-server-process";
import { startWarden, type WardenProcess } from "./support/warden-process";
import { signInToDashboard, publishDevelopment } from "./support/dashboard";

// On-behalf-of calls end to end, with real processes: an admin adds a
// downstream API and delegates it to an MCP server in the dashboard; an
// agent on the official MCP client calls the reference server's book_meeting
// with a token from a real authorization server; the server exchanges that
// token at Warden and calls a demo calendar API, which verifies Warden's
// token from its metadata and JWKS.
const OWNER = { email: "obo-owner@warden.test", password: "token exchange owner password" };
const AGENT = "0oa-calendar-agent";
const SUSPENDED = "0oa-suspended-agent";
const PORTS = { warden: WARDEN_E2E_PORT + 70, issuer: WARDEN_E2E_PORT + 71, mcp: WARDEN_E2E_PORT + 72, api: WARDEN_E2E_PORT + 73 };
const RESOURCE = `http://127.0.0.1:${PORTS.mcp}/mcp`;
const OTHER_RESOURCE = "https://other.example.com/mcp";
const CALENDAR = "https://calendar.example.com/api";
const SCOPES = ["tools:calendar.read", "tools:calendar.write"];

test.describe.configure({ mode: "serial", timeout: 180_000 });

let database: ScratchDatabase;
let warden: WardenProcess;
let issuer: TokenIssuer;
let api: RunningDemoApi;
let mcp: ReferenceServerProcess | undefined;
const shared = { apiKey: "", jwks: "" };

test.beforeAll(async () => {
  database = await createScratchDatabase();
  warden = await startWarden(PORTS.warden, {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "token-exchange-e2e-session-secret-0123456789",
    WARDEN_ENCRYPTION_KEY: "token-exchange-e2e-encryption-key-0123456789",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  });
  issuer = await startTokenIssuer({ port: PORTS.issuer, clients: [AGENT, SUSPENDED], scopes: SCOPES });
  issuer.setClaims(AGENT, { groups: ["planners"] });
  issuer.setClaims(SUSPENDED, { groups: ["planners"] });
  const db = createDb(database.url, 1);
  try {
    const environment = await db.environment.findUniqueOrThrow({ where: { key: "dev" } });
    const server = await db.mcpServer.create({ data: { environmentId: environment.id, name: "calendar-mcp", resourceUri: RESOURCE, authorizationServer: issuer.issuer, scopesSupported: SCOPES } });
    await db.mcpServer.create({ data: { environmentId: environment.id, name: "other-mcp", resourceUri: OTHER_RESOURCE, authorizationServer: issuer.issuer } });
    const book = await db.tool.create({ data: { serverId: server.id, name: "book_meeting" } });
    const planner = await db.role.create({ data: { environmentId: environment.id, name: "planner", claimName: "groups", claimValue: "planners" } });
    await db.grant.create({ data: { roleId: planner.id, toolId: book.id, requiredScopes: ["tools:calendar.read"] } });
    await db.client.create({ data: { environmentId: environment.id, clientId: AGENT, kind: "PRE_REGISTERED", displayName: "Calendar agent", status: "APPROVED" } });
    await db.client.create({ data: { environmentId: environment.id, clientId: SUSPENDED, kind: "PRE_REGISTERED", displayName: "Suspended agent", status: "SUSPENDED" } });
  } finally {
    await db.$disconnect();
  }
  api = await startDemoDownstreamApi({ issuer: `${warden.url}/api/v1/issuers/dev`, audience: CALENDAR, allowedActors: [RESOURCE], port: PORTS.api });
});

test.afterAll(async () => {
  await mcp?.stop();
  await api?.close();
  await issuer?.close();
  await warden?.stop();
  await database?.drop();
});

/** The agent: the official MCP client with a fresh access token for the calendar MCP server. */
async function bookMeeting(title: string, scope = SCOPES.join(" ")) {
  const token = await issuer.token(AGENT, { resource: RESOURCE, scope });
  const client = new Client({ name: "e2e-agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(RESOURCE), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const result = (await client.callTool({ name: "book_meeting", arguments: { title } })) as { isError?: boolean; content: { text?: string }[] };
    return { ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

/** What the MCP server itself sends to Warden, for the cases its own checks would stop earlier. */
async function exchangeDirectly(subjectToken: string) {
  const response = await fetch(`${warden.url}/api/v1/token`, {
    method: "POST",
    headers: { authorization: `Bearer ${shared.apiKey}`, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "urn:ietf:params:oauth:grant-type:token-exchange",
      subject_token: subjectToken,
      subject_token_type: "urn:ietf:params:oauth:token-type:access_token",
      audience: CALENDAR,
      scope: "calendar:read",
      tool: "book_meeting",
    }),
  });
  return { status: response.status, body: (await response.json()) as { error?: string; error_description?: string } };
}

test("an admin adds a downstream API and delegates it; the tool then calls the API as the user", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/config`);
  await page.getByRole("link", { name: "API keys for MCP servers" }).click();
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyDialog = page.getByRole("dialog", { name: "Create an API key" });
  await keyDialog.getByLabel("Label").fill("calendar-mcp dev");
  await keyDialog.getByLabel("Server").selectOption({ label: "calendar-mcp" });
  await keyDialog.getByRole("button", { name: "Create key" }).click();
  shared.apiKey = await keyDialog.getByLabel("API key").inputValue();
  await keyDialog.getByRole("button", { name: "Done" }).click();
  shared.jwks = await (await fetch(`${warden.url}/api/v1/keys`, { headers: { authorization: `Bearer ${shared.apiKey}` } })).text();

  await page.getByRole("link", { name: "Downstream APIs" }).click();
  await expect(page.getByText("No downstream API yet.")).toBeVisible();
  await page.getByRole("button", { name: "Add downstream API" }).click();
  const apiDialog = page.getByRole("dialog", { name: "Add a downstream API" });
  await apiDialog.getByLabel("Name").fill("calendar-api");
  await apiDialog.getByLabel("Audience URI").fill(CALENDAR);
  await apiDialog.getByLabel("Scopes it understands").fill("calendar:read calendar:write");
  // Short tokens: each exchange in this test reaches Warden instead of the SDK's cache.
  await apiDialog.getByLabel("Token lifetime (minutes)").fill("0.5");
  await apiDialog.getByRole("button", { name: "Add API" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Added calendar-api." })).toBeVisible();
  await expect(page.getByRole("listitem", { name: "Downstream API calendar-api" })).toContainText("Tokens live 30 s");

  await page.getByRole("button", { name: "Delegate calendar-api to calendar-mcp" }).click();
  const delegation = page.getByRole("dialog", { name: "Delegate calendar-api to calendar-mcp" });
  await delegation.getByRole("checkbox", { name: "book_meeting" }).check();
  await delegation.getByLabel("Incoming scope required for calendar:write").fill("tools:calendar.write");
  await delegation.getByRole("button", { name: "Save delegation" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Delegated calendar-api to calendar-mcp." })).toBeVisible();
  await expect(page.getByRole("list", { name: "Delegation of calendar-api to calendar-mcp" })).toContainText("calendar:write ⇐ tools:calendar.write");

  await publishDevelopment(page, warden.url, 1);
  mcp = await startReferenceServerProcess(PORTS.mcp, {
    WARDEN_URL: warden.url,
    WARDEN_API_KEY: shared.apiKey,
    WARDEN_JWKS: shared.jwks,
    WARDEN_POLL_INTERVAL_MS: "1000,2000",
    WARDEN_AUDIT_FLUSH_MS: "500",
    OAUTH_ISSUER: issuer.issuer,
    MCP_RESOURCE: RESOURCE,
    CALENDAR_API_URL: api.url,
    CALENDAR_AUDIENCE: CALENDAR,
  });
  await expect.poll(async () => (await bookMeeting("Planning")).ok, { timeout: 20_000 }).toBe(true);
  const booked = await bookMeeting("Retro");
  expect(JSON.parse(booked.text)).toMatchObject({ status: 201, grantedScope: "calendar:read calendar:write", body: { booked: { title: "Retro", organizer: AGENT, bookedBy: RESOURCE }, act: { sub: RESOURCE } } });
  expect(api.meetings.map((meeting) => meeting.title)).toContain("Retro");
});

test("a user token without the propagated scope gets a token without calendar:write, which the API refuses", async () => {
  const result = await bookMeeting("Without write", "tools:calendar.read");
  expect(result.ok).toBe(false);
  expect(JSON.parse(result.text)).toMatchObject({ status: 403, grantedScope: "calendar:read", body: { error: "insufficient_scope" } });
  expect(api.meetings.map((meeting) => meeting.title)).not.toContain("Without write");
});

test("a token for another server is refused invalid_grant, and a suspended agent is refused", async () => {
  const elsewhere = await exchangeDirectly(await issuer.token(AGENT, { resource: OTHER_RESOURCE, scope: "tools:calendar.read" }));
  expect(elsewhere).toMatchObject({ status: 400, body: { error: "invalid_grant", error_description: expect.stringContaining(`not this server's resource ${RESOURCE}`) } });
  const suspended = await exchangeDirectly(await issuer.token(SUSPENDED, { resource: RESOURCE, scope: "tools:calendar.read" }));
  expect(suspended).toMatchObject({ status: 400, body: { error: "unauthorized_client", error_description: expect.stringContaining(SUSPENDED) } });
});

test("removing the delegation and publishing makes the exchange fail with invalid_target; the audit trail shows every case", async ({ page }) => {
  await signInToDashboard(page, warden.url, OWNER);
  await page.goto(`${warden.url}/dev/downstream`);
  await page.getByRole("button", { name: "Remove the delegation of calendar-api to calendar-mcp" }).click();
  await page.getByRole("alertdialog").getByRole("button", { name: "Remove delegation" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Removed the delegation of calendar-api to calendar-mcp." })).toBeVisible();
  await publishDevelopment(page, warden.url, 2);
  await expect.poll(async () => (await bookMeeting("After removal")).text, { timeout: 20_000 }).toMatch(
    /^Token exchange refused \(invalid_target\): No delegation lets server calendar-mcp obtain tokens for calendar-api in dev\./,
  );

  // Test access explains the same refusal against the draft, from a shareable URL.
  const question = new URLSearchParams({ server: "calendar-mcp", client: AGENT, audience: CALENDAR, scope: "calendar:write", incoming: "tools:calendar.write", tool: "book_meeting" });
  await page.goto(`${warden.url}/dev/access/token-exchange?${question}`);
  const answer = page.getByRole("region", { name: "Exchange decision" });
  await expect(answer).toContainText("invalid_target");
  await expect(answer).toContainText("No delegation lets server calendar-mcp obtain tokens for calendar-api in dev.");

  await page.goto(`${warden.url}/dev/audit?action=token.exchange&range=all`);
  const table = page.getByRole("table", { name: "Audit events" });
  for (const reason of ["granted", "subject_token_invalid", "unknown_client", "no_delegation"]) await expect(table).toContainText(reason);
});
