import { readFileSync } from "node:fs";
import { v7 as uuidv7 } from "uuid";
import { expect, inviteThroughUi, signIn, test } from "./fixtures";

// MCP servers report tool calls to the data plane with an API key; an auditor
// then investigates them in the dashboard. Everything happens in dev.

const DAY = 24 * 60 * 60_000;

test.describe.serial("audit trail", () => {
  let token = "";
  const run = Date.now().toString(36);
  const alice = `alice-${run}@corp.example`;
  const bob = `bob-${run}@corp.example`;
  const auditor = { email: `auditor-${run}@warden.test`, password: "auditor password 12345" };

  test("an MCP server reports decisions through the data plane", async ({ ownerPage: page, playwright, baseURL }) => {
    await page.goto("/dev/config/keys");
    await page.getByRole("button", { name: "Create API key" }).click();
    const dialog = page.getByRole("dialog", { name: "Create an API key" });
    await dialog.getByLabel("Label").fill(`audit reporter ${run}`);
    await dialog.getByRole("button", { name: "Create key" }).click();
    token = await dialog.getByLabel("API key").inputValue();
    await dialog.getByRole("button", { name: "Done" }).click();

    const api = await playwright.request.newContext({ baseURL });
    const now = Date.now();
    const event = (overrides: Record<string, unknown>) => ({
      id: uuidv7(),
      ts: new Date(now).toISOString(),
      actor: alice,
      clientId: "https://agent.example/client.json",
      server: "sales",
      tool: "get_invoice",
      action: "tool.call",
      decision: "allow",
      reason: "granted to role analyst",
      configVersion: 1,
      ...overrides,
    });
    const response = await api.post("/api/v1/audit-events", {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      data: {
        events: [
          event({ ts: new Date(now - 3 * DAY).toISOString(), decision: "deny", tool: "refund_payment", reason: "=HYPERLINK(\"http://evil.example\") missing scope tools:sales.refund" }),
          event({ ts: new Date(now - 2 * DAY).toISOString() }),
          event({ actor: bob, decision: "deny", tool: "refund_payment", reason: "no grant for role support" }),
          event({ ts: new Date(now - 20 * DAY).toISOString(), decision: "deny", reason: "an old denial, outside last week" }),
          { id: "not-a-uuid" },
        ],
      },
    });
    expect(response.status()).toBe(202);
    expect(await response.json()).toEqual({ accepted: 4, duplicates: 0, rejected: [{ index: 4, reason: expect.stringContaining("id must be a UUID") }] });
    await api.dispose();
  });

  test("the overview charts the decisions and ranks tools and clients; only auditors see who was denied", async ({ ownerPage, viewerPage }) => {
    await ownerPage.goto("/dev?window=30d");
    await expect(ownerPage.getByRole("heading", { name: /^Tool calls: \d+ allowed, \d+ denied/ })).toBeVisible();
    await expect(ownerPage.getByRole("region", { name: "Top tools" })).toContainText("sales/refund_payment");
    await expect(ownerPage.getByRole("region", { name: "Top clients" })).toContainText("https://agent.example/client.json");
    await expect(ownerPage.locator(".recharts-bar-rectangle").first()).toBeVisible();
    const denials = ownerPage.getByRole("region", { name: "Recent denials" });
    await expect(denials).toContainText(bob);
    await denials.getByRole("link").first().click();
    await expect(ownerPage.getByRole("region", { name: "Event detail" })).toContainText("deny");

    await viewerPage.goto("/dev?window=30d");
    await expect(viewerPage.getByRole("region", { name: "Top tools" })).toContainText("sales/refund_payment");
    await expect(viewerPage.getByRole("heading", { name: "Recent denials" })).toHaveCount(0);
    await expect(viewerPage.getByRole("heading", { name: "Worth a look" })).toHaveCount(0);
  });

  test("a VIEWER may not read the audit trail", async ({ viewerPage: page }) => {
    await page.goto("/dev/audit");
    await expect(page.getByRole("heading", { name: "Your role does not allow this page" })).toBeVisible();
    expect((await page.request.get("/api/audit/dev/export?format=csv")).status()).toBe(403);
  });

  test("an auditor filters to one user's denials last week, opens one, exports the match and verifies the chain", async ({ ownerPage, browser }) => {
    await inviteThroughUi(ownerPage, auditor.email, "AUDITOR", auditor.password);
    const context = await browser.newContext();
    const page = await context.newPage();
    await signIn(page, auditor.email, auditor.password);
    await expect(page.getByRole("button", { name: `Account menu for ${auditor.email}` })).toBeVisible();

    await page.goto("/dev/audit");
    const filters = page.getByRole("form", { name: "Audit filters" });
    await filters.getByLabel("Time").selectOption("7d");
    await filters.getByLabel("Source").selectOption("mcp");
    await filters.getByLabel("Decision").selectOption("deny");
    await filters.getByLabel("User").fill(alice);
    await filters.getByLabel("User").press("Enter");
    await expect(page).toHaveURL(/decision=deny/);
    await expect(page).toHaveURL(new RegExp(`actor=${encodeURIComponent(alice).replace(/\./g, "\\.")}`));

    const table = page.getByRole("table", { name: "Audit events" });
    await expect(table.getByRole("row")).toHaveCount(2); // header + the one match
    await expect(table).toContainText("refund_payment");
    await expect(table).not.toContainText("outside last week");
    await expect(table).not.toContainText(bob);

    // The view is a link: opening it elsewhere shows the same thing.
    const shared = page.url();
    await table.getByRole("link").first().click();
    const detail = page.getByRole("region", { name: "Event detail" });
    await expect(detail).toContainText("missing scope tools:sales.refund");
    await expect(detail).toContainText("https://agent.example/client.json");
    await expect(detail).toContainText("Previous hash");
    await expect(page).toHaveURL(/event=/);
    await page.getByRole("link", { name: "Close the event detail" }).click();
    await expect(detail).toBeHidden();
    await page.goto(shared);
    await expect(page.getByRole("table", { name: "Audit events" }).getByRole("row")).toHaveCount(2);

    // Export: the whole match as CSV, safe to open in a spreadsheet.
    const downloading = page.waitForEvent("download");
    const exportButton = page.getByRole("button", { name: "Export CSV" });
    const buttonBefore = await exportButton.boundingBox();
    await exportButton.click();
    const download = await downloading;
    // The outcome, in a size a person reads, appears without moving the buttons.
    await expect(page.getByRole("status").filter({ hasText: /^Saved warden-audit-dev-.*\.csv \(\d+ bytes\)\.$/ })).toBeVisible();
    expect(await exportButton.boundingBox()).toEqual(buttonBefore);
    expect(download.suggestedFilename()).toMatch(/^warden-audit-dev-.*\.csv$/);
    const csv = readFileSync((await download.path())!, "utf8");
    expect(csv.startsWith("\uFEFFid,ts,source,actor,")).toBe(true);
    const lines = csv.trim().split("\n");
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(alice);
    // The formula in the reason is neutralised with a leading apostrophe.
    expect(lines[1]).toContain(`"'=HYPERLINK(""http://evil.example"") missing scope tools:sales.refund"`);
    await expect(page.getByRole("status").filter({ hasText: /^Saved warden-audit-dev-/ })).toBeVisible();

    // The export itself is in the trail, with its filters and row count.
    // Recorded when the stream ends, which can be a moment after the browser has the file.
    await expect(async () => {
      await page.goto("/dev/audit?source=admin&action=audit.exported");
      await expect(page.getByRole("table", { name: "Audit events" }).getByRole("link")).not.toHaveCount(0, { timeout: 1_000 });
    }).toPass();
    await page.getByRole("table", { name: "Audit events" }).getByRole("link").first().click();
    await expect(page.getByRole("region", { name: "Event detail" })).toContainText(auditor.email);
    await expect(page.getByRole("region", { name: "Event detail" })).toContainText('"rows": 1');

    await expect(page.getByText("Only owners can change this.")).toBeVisible();
    await page.getByRole("button", { name: "Verify integrity" }).click();
    await expect(page.getByRole("status").filter({ hasText: /^Intact: \d+ events of Development's trail verified/ })).toBeVisible();
    await context.close();
  });

  test("live mode shows new events as they arrive", async ({ ownerPage: page, playwright, baseURL }) => {
    await page.goto(`/dev/audit?source=mcp&actor=${encodeURIComponent(bob)}`);
    const table = page.getByRole("table", { name: "Audit events" });
    await expect(table.getByRole("row")).toHaveCount(2);
    await page.getByRole("button", { name: "Live: off" }).click();
    await expect(page.getByText("Watching for new events…")).toBeVisible();

    const api = await playwright.request.newContext({ baseURL });
    const posted = await api.post("/api/v1/audit-events", {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      data: { events: [{ id: uuidv7(), ts: new Date().toISOString(), actor: bob, action: "tool.call", tool: "list_customers", decision: "allow" }] },
    });
    expect(posted.status()).toBe(202);
    await api.dispose();
    await expect(table).toContainText("list_customers", { timeout: 15_000 });
    await expect(page.getByText("1 new event since you opened the page.")).toBeVisible();
  });

  test("a long reason neither widens the table nor loses its line breaks in the detail", async ({ ownerPage: page, playwright, baseURL }) => {
    const carol = `carol-${run}@corp.example`;
    const api = await playwright.request.newContext({ baseURL });
    const posted = await api.post("/api/v1/audit-events", {
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      data: {
        events: [
          { id: uuidv7(), ts: new Date().toISOString(), actor: carol, action: "tool.call", tool: "wide", decision: "deny", reason: `no_grant:${"x".repeat(400)}` },
          { id: uuidv7(), ts: new Date(Date.now() - 1000).toISOString(), actor: carol, action: "tool.call", tool: "multi", decision: "deny", reason: "first line\nsecond line" },
        ],
      },
    });
    expect(posted.status()).toBe(202);
    await api.dispose();

    await page.setViewportSize({ width: 1440, height: 900 });
    await page.goto(`/dev/audit?source=mcp&actor=${encodeURIComponent(carol)}`);
    const table = page.getByRole("table", { name: "Audit events" });
    await expect(table.getByRole("row")).toHaveCount(3);
    await expect(table.getByRole("columnheader", { name: "Config" })).toBeInViewport();
    expect(await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth)).toBeLessThanOrEqual(0);

    await table.getByRole("row").filter({ hasText: "multi" }).getByRole("link").first().click();
    const detail = page.getByRole("region", { name: "Event detail" });
    const reason = detail.locator("dt", { hasText: /^Reason$/ }).locator("xpath=following-sibling::dd[1]");
    expect(await reason.innerText()).toContain("first line\nsecond line");
  });

  test("an owner sets a retention period after confirming, and the change is audited", async ({ ownerPage: page }) => {
    await page.goto("/dev/audit");
    const retention = page.getByRole("region", { name: "Retention" });
    await expect(retention).toContainText("Events are kept forever (retention is off).");
    await retention.getByLabel("Keep every event").uncheck();
    // Out of range: the browser holds the form back before anything is asked or sent.
    const days = retention.getByLabel("Delete events older than (days)");
    await days.fill("0");
    await retention.getByRole("button", { name: "Save retention" }).click();
    expect(await days.evaluate((input: HTMLInputElement) => input.validity.rangeUnderflow)).toBe(true);
    await expect(page.getByRole("alertdialog")).toHaveCount(0);

    await retention.getByLabel("Delete events older than (days)").fill("3650");
    await retention.getByRole("button", { name: "Save retention" }).click();
    await page.getByRole("alertdialog", { name: "Delete Development's events older than 3650 days?" }).getByRole("button", { name: "Save and delete old events" }).click();
    await expect(retention).toContainText("Events older than 3650 days are deleted every hour.");

    // Turning it off deletes nothing, so it does not ask.
    await retention.getByLabel("Keep every event").check();
    await retention.getByRole("button", { name: "Save retention" }).click();
    await expect(retention).toContainText("Events are kept forever (retention is off).");

    await page.goto("/dev/audit?source=admin&action=audit.retention_changed");
    await expect(page.getByRole("table", { name: "Audit events" }).getByRole("row")).toHaveCount(3);
  });
});
