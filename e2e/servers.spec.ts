import type { Page } from "@playwright/test";
import { expect, test } from "./fixtures";
import { SAME_ORIGIN } from "./support/constants";

async function addServer(page: Page, name: string, resourceUri: string) {
  await page.goto("/dev/servers");
  await page.getByRole("button", { name: "Add server" }).click();
  const dialog = page.getByRole("dialog", { name: "Add an MCP server" });
  // Examples read as examples, never as values already filled in.
  for (const label of ["Resource identifier", "Authorization server issuer"]) await expect(dialog.getByLabel(label)).toHaveAttribute("placeholder", /^e\.g\. /);
  await dialog.getByLabel("Name").fill(name);
  await dialog.getByLabel("Resource identifier").fill(resourceUri);
  await dialog.getByLabel("Authorization server issuer").fill("https://auth.example.com");
  await dialog.getByLabel("Scopes supported (optional)").fill("tools:sales.read tools:sales.write");
  await dialog.getByRole("button", { name: "Add server" }).click();
  return dialog;
}

async function fillSchema(page: Page, text: string) {
  const editor = page.getByTestId("tool-input-schema-editor").locator(".cm-content");
  await editor.fill(text);
}

async function addTool(page: Page, serverUrl: string, name: string) {
  await page.goto(`${serverUrl}/tools/new`);
  await expect(page.getByRole("heading", { name: "Add a tool" })).toBeVisible();
  await page.getByLabel("Name", { exact: true }).fill(name);
  await fillSchema(page, '{"type":"object","properties":{"q":{"type":"string"}}}');
  await page.getByRole("button", { name: "Add tool" }).click();
  await expect(page.getByRole("button", { name: "Save tool" })).toBeVisible();
  return page.url();
}

test.describe("Servers & Tools", () => {
  test("an admin adds a server, reads its metadata, manages tools and deletes it all", async ({ ownerPage: page }) => {
    const stamp = Date.now();
    const name = `Sales ${stamp}`;
    const resource = `https://sales-${stamp}.example.com/mcp`;

    // A validation error first: a trailing slash is not canonical.
    const dialog = await addServer(page, name, `${resource}/`);
    await expect(dialog.getByText("Remove the trailing slash: the canonical resource identifier does not end with /.")).toBeVisible();
    await dialog.getByLabel("Resource identifier").fill(resource);
    await dialog.getByRole("button", { name: "Add server" }).click();
    await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
    const serverUrl = new URL(page.url()).pathname;

    // The derived RFC 9728 metadata, and its copy button.
    const prm = JSON.parse((await page.getByTestId("prm-json").textContent()) ?? "{}");
    expect(prm).toEqual({
      resource,
      authorization_servers: ["https://auth.example.com"],
      scopes_supported: ["tools:sales.read", "tools:sales.write"],
      bearer_methods_supported: ["header"],
      resource_name: name,
    });
    await page.context().grantPermissions(["clipboard-read", "clipboard-write"]);
    await page.getByRole("button", { name: "Copy JSON" }).click();
    await expect(page.getByRole("button", { name: "Copied" })).toBeVisible();
    expect(JSON.parse(await page.evaluate(() => navigator.clipboard.readText()))).toEqual(prm);

    // A tool with an invalid schema: the error names its line; then a valid one.
    await expect(page.getByText("This server has no tools yet — add the first one.")).toBeVisible();
    await page.getByRole("link", { name: "Add tool" }).click();
    await expect(page.getByRole("heading", { name: "Add a tool" })).toBeVisible();
    await page.getByLabel("Name", { exact: true }).fill("delete_order");
    await fillSchema(page, '{\n  "type": "object",\n  "properties": {\n    "id": { "type": "strin" }\n  }\n}');
    await page.getByLabel("Risk tier").selectOption("CRITICAL");
    await page.getByRole("button", { name: "Add tool" }).click();
    await expect(page.locator("#tool-input-schema-errors")).toContainText("Line 4: /properties/id/type must be equal to one of the allowed values");
    await expect(page.locator(".cm-lint-marker-error")).toHaveCount(1);
    // The refused form keeps what was typed.
    await expect(page.getByLabel("Name", { exact: true })).toHaveValue("delete_order");
    await expect(page.getByLabel("Risk tier")).toHaveValue("CRITICAL");
    await fillSchema(page, '{\n  "type": "object",\n  "properties": {\n    "id": { "type": "string" }\n  }\n}');
    // The editor does not trap the keyboard: Tab moves on to the next field.
    await page.keyboard.press("Tab");
    await expect(page.getByRole("checkbox", { name: /Read-only/ })).toBeFocused();
    await page.getByRole("button", { name: "Add tool" }).click();
    await expect(page.getByRole("button", { name: "Save tool" })).toBeVisible();
    await addTool(page, serverUrl, "search_orders");

    // Bulk disable, then enable.
    await page.goto(serverUrl);
    const tools = page.getByRole("table", { name: "Tools" });
    await expect(tools.getByRole("row", { name: /delete_order/ })).toContainText("CRITICAL");
    await tools.getByLabel("Select all rows on this page").check();
    await page.getByRole("button", { name: "Disable selected" }).click();
    await expect(page.getByText("Disabled 2 tools.")).toBeVisible();
    await expect(tools.getByLabel("delete_order enabled")).not.toBeChecked();
    await expect(tools.getByLabel("search_orders enabled")).not.toBeChecked();
    await tools.getByLabel("Select all rows on this page").check();
    await page.getByRole("button", { name: "Enable selected" }).click();
    await expect(page.getByText("Enabled 2 tools.")).toBeVisible();
    await expect(tools.getByLabel("delete_order enabled")).toBeChecked();

    // Delete a tool, with confirmation.
    await tools.getByRole("link", { name: "search_orders" }).click();
    await page.getByRole("button", { name: "Delete tool" }).click();
    const confirmTool = page.getByRole("alertdialog", { name: "Delete search_orders?" });
    await expect(confirmTool).toContainText("0 grants");
    await confirmTool.getByRole("button", { name: "Delete tool" }).click();
    await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
    await expect(tools.getByRole("link", { name: "search_orders" })).toHaveCount(0);

    // Delete the server: the confirmation says what goes with it.
    await page.getByRole("button", { name: "Delete server" }).click();
    const confirmServer = page.getByRole("alertdialog", { name: `Delete ${name}?` });
    await expect(confirmServer).toContainText("1 tool and 0 grants");
    await confirmServer.getByRole("button", { name: "Delete server" }).click();
    await expect(page).toHaveURL(/\/dev\/servers$/);
    await expect(page.getByRole("link", { name })).toHaveCount(0);
  });

  test("the second of two admins saving the same tool is refused and shown the fresh values", async ({ ownerPage: first, browser, ownerAccount }) => {
    const stamp = Date.now();
    await addServer(first, `Race ${stamp}`, `https://race-${stamp}.example.com`);
    await expect(first.getByRole("heading", { name: `Race ${stamp}`, level: 1 })).toBeVisible();
    const toolUrl = new URL(await addTool(first, new URL(first.url()).pathname, "update_order")).pathname;

    const context = await browser.newContext({ storageState: ownerAccount.storageState });
    const second = await context.newPage();
    await first.goto(toolUrl);
    await second.goto(toolUrl);

    await first.getByLabel("Title (optional)").fill("First admin's title");
    await first.getByRole("button", { name: "Save tool" }).click();
    await expect(first.getByText("Saved. The new definition is approved.")).toBeVisible();

    await second.getByLabel("Title (optional)").fill("Second admin's title");
    await second.getByRole("button", { name: "Save tool" }).click();
    await expect(second.getByRole("alert").filter({ hasText: "was changed by someone else" })).toBeVisible();
    await expect(second.getByTestId("their-values")).toContainText("First admin's title");
    await second.getByRole("button", { name: "Load their values" }).click();
    await expect(second.getByLabel("Title (optional)")).toHaveValue("First admin's title");
    await context.close();

    await first.reload();
    await expect(first.getByLabel("Title (optional)")).toHaveValue("First admin's title");
  });

  test("a VIEWER sees servers and tools without any edit control", async ({ ownerPage, viewerPage }) => {
    const stamp = Date.now();
    const name = `Readonly ${stamp}`;
    await addServer(ownerPage, name, `https://readonly-${stamp}.example.com`);
    await expect(ownerPage.getByRole("heading", { name, level: 1 })).toBeVisible();
    const serverUrl = new URL(ownerPage.url()).pathname;
    const toolUrl = new URL(await addTool(ownerPage, serverUrl, "read_only_tool")).pathname;

    await viewerPage.goto("/dev/servers");
    await expect(viewerPage.getByRole("link", { name })).toBeVisible();
    await expect(viewerPage.getByRole("button", { name: "Add server" })).toHaveCount(0);

    await viewerPage.goto(serverUrl);
    await expect(viewerPage.getByTestId("prm-json")).toBeVisible();
    for (const label of ["Save server", "Delete server", "Add tool"]) {
      await expect(viewerPage.getByRole("button", { name: label })).toHaveCount(0);
      await expect(viewerPage.getByRole("link", { name: label })).toHaveCount(0);
    }
    await expect(viewerPage.locator("#server-name")).toBeDisabled();
    await expect(viewerPage.getByLabel("Select all rows on this page")).toHaveCount(0);
    await expect(viewerPage.getByLabel("read_only_tool enabled")).toHaveCount(0);

    await viewerPage.goto(toolUrl);
    await expect(viewerPage.getByRole("button", { name: "Save tool" })).toHaveCount(0);
    await expect(viewerPage.getByRole("button", { name: "Delete tool" })).toHaveCount(0);
    await expect(viewerPage.locator(".cm-content")).toHaveAttribute("contenteditable", "false");

    // The add-tool page itself is refused.
    const response = await viewerPage.goto(`${serverUrl}/tools/new`);
    expect(response?.status()).toBe(403);

    // A real enable/disable action captured from the owner, replayed by the VIEWER, is refused.
    await ownerPage.goto(serverUrl);
    const toggle = ownerPage.getByLabel("read_only_tool enabled");
    const [actionRequest] = await Promise.all([
      ownerPage.waitForRequest((request) => request.method() === "POST" && Boolean(request.headers()["next-action"])),
      toggle.uncheck(),
    ]);
    await expect(ownerPage.getByText("Disabled 1 tool.")).toBeVisible();
    await toggle.check();
    await expect(toggle).toBeChecked();
    const forged = await viewerPage.request.post(actionRequest.url(), {
      headers: {
        ...SAME_ORIGIN,
        "next-action": actionRequest.headers()["next-action"]!,
        "content-type": actionRequest.headers()["content-type"] ?? "text/plain;charset=UTF-8",
        accept: "text/x-component",
      },
      data: actionRequest.postData() ?? "",
    });
    expect(await forged.text()).toContain("Your role (VIEWER) does not allow this");
    await ownerPage.reload();
    await expect(ownerPage.getByLabel("read_only_tool enabled")).toBeChecked();
  });

  test("an unknown or malformed server or tool id is a 404, not an error", async ({ ownerPage }) => {
    for (const path of [
      "/dev/servers/00000000-0000-7000-8000-000000000000",
      "/dev/servers/not-a-uuid",
      "/dev/servers/00000000-0000-7000-8000-000000000000/tools/00000000-0000-7000-8000-000000000000",
      "/dev/servers/not-a-uuid/tools/new",
    ]) {
      const response = await ownerPage.goto(path);
      expect(response?.status(), path).toBe(404);
    }
  });

  test("a tool whose schema has a very long line does not scroll the page sideways", async ({ ownerPage: page }) => {
    await page.setViewportSize({ width: 1440, height: 900 });
    const stamp = Date.now();
    await addServer(page, `Wide ${stamp}`, `https://wide-${stamp}.example.com/mcp`);
    await expect(page.getByRole("heading", { name: `Wide ${stamp}`, level: 1 })).toBeVisible();
    const serverUrl = new URL(page.url()).pathname;
    await page.goto(`${serverUrl}/tools/new`);
    await page.getByLabel("Name", { exact: true }).fill("wide_tool");
    await fillSchema(page, JSON.stringify({ type: "object", properties: { q: { type: "string", description: "x".repeat(600) } } }));
    await page.getByRole("button", { name: "Add tool" }).click();
    await expect(page.getByRole("button", { name: "Save tool" })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });
});
