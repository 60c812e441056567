import { readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { expect, inviteWithoutAccepting, signedInAdminId, test } from "./fixtures";
import { SAME_ORIGIN } from "./support/constants";

// Pages and route handlers anyone may reach; everything else must refuse.
const PUBLIC_PATHS = new Set(["/login", "/setup"]);
const PUBLIC_PREFIXES = ["/api/auth/"];

type Entry = { path: string; kind: "page" | "route"; file: string };

/** Every page.tsx and route.ts under app/, turned into a URL a browser could request. */
function enumerateAppEntries(dir = "app"): Entry[] {
  const entries: Entry[] = [];
  for (const name of readdirSync(dir)) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) {
      entries.push(...enumerateAppEntries(full));
      continue;
    }
    const kind = name === "page.tsx" ? "page" : name === "route.ts" ? "route" : null;
    if (!kind) continue;
    const segments = relative("app", dir)
      .split(sep)
      .filter((segment) => segment && !/^\(.*\)$/.test(segment))
      .map((segment) => (segment === "[env]" ? "dev" : segment.replace(/^\[\.\.\.(.+)\]$/, "session").replace(/^\[(.+)\]$/, "00000000-0000-7000-8000-000000000000")));
    entries.push({ path: `/${segments.join("/")}`, kind, file: full });
  }
  return entries;
}

const entries = enumerateAppEntries();
const protectedEntries = entries.filter((entry) => !PUBLIC_PATHS.has(entry.path) && !PUBLIC_PREFIXES.some((prefix) => entry.path.startsWith(prefix)));

test("the app directory enumeration finds the pages it should", () => {
  const paths = entries.map((entry) => entry.path);
  expect(paths).toEqual(expect.arrayContaining(["/", "/dev", "/dev/servers", "/dev/audit", "/settings/admins", "/login"]));
  expect(protectedEntries.length).toBeGreaterThanOrEqual(9);
});

for (const entry of protectedEntries) {
  test(`${entry.kind} ${entry.path} refuses an anonymous request`, async ({ playwright, baseURL }) => {
    // Without a cookie the proxy redirects; with a forged one it lets the
    // request through, and the page or handler itself must refuse.
    for (const cookie of [undefined, "next-auth.session-token=forged.not-a-real-session"]) {
      const request = await playwright.request.newContext({ baseURL, extraHTTPHeaders: cookie ? { ...SAME_ORIGIN, cookie } : SAME_ORIGIN });
      for (const method of entry.kind === "route" ? ["GET", "POST"] : ["GET"]) {
        const response = await request.fetch(entry.path, { method, maxRedirects: 0 });
        const status = response.status();
        const location = response.headers()["location"] ?? "";
        const refused = [401, 403].includes(status) || ([302, 303, 307, 308].includes(status) && location.includes("/login"));
        expect(refused, `${method} ${entry.path} with ${cookie ? "a forged" : "no"} session answered ${status} ${location}`).toBe(true);
      }
      await request.dispose();
    }
  });
}

test("a VIEWER sees no edit controls and the server refuses a forged mutation", async ({ ownerPage, viewerPage, viewerAccount }) => {
  await viewerPage.goto("/settings/admins");
  await expect(viewerPage.getByRole("heading", { name: "Admins" })).toBeVisible();
  await expect(viewerPage.getByRole("button", { name: "Invite admin" })).toHaveCount(0);
  await expect(viewerPage.getByRole("combobox", { name: /^Role of / })).toHaveCount(0);
  await expect(viewerPage.getByRole("button", { name: "Disable" })).toHaveCount(0);

  // Capture a real role-change server action as the owner performs it, on an
  // invited admin: a role change ends its target's sessions, and the viewer's
  // must go on for the replay.
  const target = `promotable-${Date.now()}@warden.test`;
  await inviteWithoutAccepting(ownerPage, target, "VIEWER");
  await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(target)}`);
  const [actionRequest] = await Promise.all([
    ownerPage.waitForRequest((request) => request.method() === "POST" && Boolean(request.headers()["next-action"])),
    ownerPage.getByLabel(`Role of ${target}`).selectOption("AUDITOR"),
  ]);
  await expect(ownerPage.getByRole("status").filter({ hasText: "is now AUDITOR" })).toBeVisible();

  // ...then replay it as the VIEWER, promoting themselves to OWNER with their
  // current version (invited, then accepted: 2).
  const [args] = JSON.parse(actionRequest.postData() ?? "[]") as [{ adminId: string; role: string; version: number }];
  const forged = JSON.stringify([{ ...args, adminId: await signedInAdminId(viewerPage), role: "OWNER", version: 2 }]);
  const response = await viewerPage.request.post(actionRequest.url(), {
    headers: {
      ...SAME_ORIGIN,
      "next-action": actionRequest.headers()["next-action"]!,
      "content-type": actionRequest.headers()["content-type"] ?? "text/plain;charset=UTF-8",
      accept: "text/x-component",
    },
    data: forged,
  });
  expect(await response.text()).toContain("Your role (VIEWER) does not allow this");

  await ownerPage.goto(`/settings/admins?q=${encodeURIComponent(viewerAccount.email)}`);
  await expect(ownerPage.getByLabel(`Role of ${viewerAccount.email}`)).toHaveValue("VIEWER");
});
