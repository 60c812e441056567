import { readdirSync } from "node:fs";
import pg from "pg";
import type { JSONWebKeySet } from "jose";
import type { Page } from "@playwright/test";
import { hashPassword } from "../lib/auth/password";
import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { WardenClient } from "../sdk/src/client";
import { expect, test } from "./fixtures";
import { freeLoopbackPort } from "../lib/http/testing";
import { startLoadBalancer, type LoadBalancer } from "./support/load-balancer";
import { startDataPlane, startWarden, type WardenProcess } from "./support/warden-process";

// The deployment of deploy/haproxy.cfg, for real: two dashboard instances
// (server.ts from the production build) and two standalone data planes
// (data-plane.ts) on one fresh PostgreSQL database, HAProxy in front, round
// robin, no sticky sessions. The browser and the SDK talk to HAProxy.
const OWNER = { email: "fleet-owner@warden.test", password: "fleet owner password" };
const LOCKED = { email: "fleet-locked@warden.test", password: "fleet locked password" };
const SHARED = {
  NEXTAUTH_SECRET: "multi-instance-e2e-shared-session-secret",
  WARDEN_ENCRYPTION_KEY: "multi-instance-e2e-shared-encryption-key-0123456789",
};
// The per-key limit this test sets for the environment; each data plane applies it on its own.
const RATE_LIMIT = { perSecond: 20, burst: 60 };
const silent = { info() {}, warn() {}, error() {} };

let database: ScratchDatabase;
let dashboards: WardenProcess[] = [];
let dataPlanes: WardenProcess[] = [];
let balancer: LoadBalancer;
const clients: WardenClient[] = [];
/** Created through the dashboard in the policy test; the rate-limit test reuses it. */
let apiKey = "";

// Two Next.js servers start at once on a machine shared with other work.
test.describe.configure({ mode: "serial", timeout: 240_000 });

async function query<T>(sql: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  try {
    return (await client.query(sql, values)).rows as T[];
  } finally {
    await client.end();
  }
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  database = await createScratchDatabase();
  const [lbPort, statsPort, dashboard1, dashboard2, dataPlane1, dataPlane2] = await Promise.all(Array.from({ length: 6 }, freeLoopbackPort));
  const publicUrl = `http://127.0.0.1:${lbPort}`;
  const env = {
    DATABASE_URL: database.url,
    ...SHARED,
    // Sessions, redirects and the CSRF origin check all see the load balancer's address.
    NEXTAUTH_URL: publicUrl,
    WARDEN_TRUST_PROXY: "true",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  };
  // At the same moment, on an empty database: both migrate at start-up.
  dashboards = await Promise.all([startWarden(dashboard1!, env), startWarden(dashboard2!, env)]);
  const dataPlaneEnv = { DATABASE_URL: database.url, WARDEN_ENCRYPTION_KEY: SHARED.WARDEN_ENCRYPTION_KEY, WARDEN_TRUST_PROXY: "true" };
  dataPlanes = await Promise.all([startDataPlane(dataPlane1!, dataPlaneEnv), startDataPlane(dataPlane2!, dataPlaneEnv)]);
  balancer = await startLoadBalancer({
    bind: `127.0.0.1:${lbPort}`,
    stats: `127.0.0.1:${statsPort}`,
    dashboards: [`127.0.0.1:${dashboard1}`, `127.0.0.1:${dashboard2}`],
    dataPlanes: [`127.0.0.1:${dataPlane1}`, `127.0.0.1:${dataPlane2}`],
  });
  expect(balancer.url).toBe(publicUrl);
  await query(`INSERT INTO "Admin" (id, email, role, "passwordHash", "updatedAt") VALUES (gen_random_uuid(), $1, 'ADMIN', $2, now())`, [
    LOCKED.email,
    await hashPassword(LOCKED.password),
  ]);
});

test.afterAll(async () => {
  for (const client of clients) client.close();
  await balancer?.stop();
  await Promise.all([...dataPlanes, ...dashboards].map((instance) => instance.stop()));
  await database?.drop();
});

test("two instances starting at once on an empty database apply each migration exactly once", async () => {
  const expected = readdirSync("prisma/migrations", { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
  const rows = await query<{ migration_name: string; finished_at: Date | null }>(`SELECT migration_name, finished_at FROM _prisma_migrations ORDER BY migration_name`);
  expect(rows.map((row) => row.migration_name)).toEqual(expected);
  expect(rows.every((row) => row.finished_at !== null)).toBe(true);
  // One of them applied everything; the other waited for it and found nothing left to do.
  expect(dashboards.filter((instance) => instance.output().includes("applied migrations")).length).toBe(1);
  expect(await query(`SELECT 1 FROM "Admin" WHERE email = $1`, [OWNER.email])).toHaveLength(1);
});

/** The tools the support role may call in the verified config a poller holds. */
function grantedTools(client: WardenClient): string[] {
  return (client.config?.config.policy.grants ?? []).filter((grant) => grant.role === "support").map((grant) => grant.tool).sort();
}

async function signIn(page: Page, base: string, account: { email: string; password: string }) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(account.email);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
}

test("an admin signs in and builds, grants and publishes a policy through either dashboard; both data planes serve it within the tick", async ({ page }) => {
  const lb = balancer.url;
  const servedBefore = balancer.served().length;
  await signIn(page, lb, OWNER);
  await expect(page.getByRole("button", { name: `Account menu for ${OWNER.email}` })).toBeVisible();

  await page.goto(`${lb}/prod/servers`);
  await page.getByRole("button", { name: "Add server" }).click();
  const serverDialog = page.getByRole("dialog", { name: "Add an MCP server" });
  await serverDialog.getByLabel("Name").fill("orders-mcp");
  await serverDialog.getByLabel("Resource identifier").fill("https://orders.example.com/mcp");
  await serverDialog.getByLabel("Authorization server issuer").fill("https://auth.example.com");
  await serverDialog.getByRole("button", { name: "Add server" }).click();
  await expect(page.getByRole("heading", { name: "orders-mcp", level: 1 })).toBeVisible();
  const serverPath = new URL(page.url()).pathname;

  for (const tool of ["lookup_order", "cancel_order"]) {
    await page.goto(`${lb}${serverPath}/tools/new`);
    await page.getByLabel("Name", { exact: true }).fill(tool);
    await page.getByRole("button", { name: "Add tool" }).click();
    await expect(page.getByRole("button", { name: "Save tool" })).toBeVisible();
  }

  await page.goto(`${lb}/prod/roles`);
  await page.getByRole("button", { name: "Create role" }).click();
  const roleDialog = page.getByRole("dialog", { name: "Create a role" });
  await roleDialog.getByLabel("Name", { exact: true }).fill("support");
  await roleDialog.getByLabel("Claim name").fill("groups");
  await roleDialog.getByLabel("Claim value").fill("support");
  await roleDialog.getByRole("button", { name: "Create role" }).click();
  await expect(roleDialog).toBeHidden();

  await page.goto(`${lb}/prod/roles/matrix`);
  await page.getByRole("button", { name: "Grant lookup_order (orders-mcp) to support", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Granted lookup_order (orders-mcp) to support." })).toBeVisible();

  await page.goto(`${lb}/prod/config`);
  await page.getByRole("button", { name: "Publish version 1 to Production" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Version 1 is live in Production." })).toBeVisible();

  await page.goto(`${lb}/prod/config/keys`);
  await page.getByRole("button", { name: "Create API key" }).click();
  const keyDialog = page.getByRole("dialog", { name: "Create an API key" });
  await keyDialog.getByLabel("Label").fill("orders-mcp fleet");
  await keyDialog.getByLabel("Server").selectOption({ label: "orders-mcp" });
  await keyDialog.getByRole("button", { name: "Create key" }).click();
  apiKey = await keyDialog.getByLabel("API key").inputValue();
  await keyDialog.getByRole("button", { name: "Done" }).click();

  // Round robin, no stickiness: both dashboards served this admin, server
  // actions (POSTs) included, and none of it failed.
  const dashboardRequests = balancer.served().slice(servedBefore).filter((request) => request.backend === "dashboards");
  for (const server of ["dashboard1", "dashboard2"]) {
    expect(dashboardRequests.filter((request) => request.server === server && request.method === "POST").length, `${server} served server actions`).toBeGreaterThan(0);
  }
  expect(dashboardRequests.filter((request) => request.status >= 500)).toEqual([]);

  // One SDK poller on each data plane directly, one through the load balancer.
  const jwks = (await (await fetch(`${lb}/api/v1/keys`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as JSONWebKeySet;
  for (const url of [...dataPlanes.map((plane) => plane.url), lb]) {
    const client = new WardenClient({ url, apiKey, jwks, logger: silent, pollIntervalMs: [200, 300], firstPollMaxDelayMs: 0 });
    clients.push(client);
    await client.start();
    expect((await client.ready(10_000)).version).toBe(1);
  }
  expect(clients.map(grantedTools)).toEqual([["lookup_order"], ["lookup_order"], ["lookup_order"]]);

  // A second version, published through the load balancer, reaches every poller.
  await page.goto(`${lb}/prod/roles/matrix`);
  await page.getByRole("button", { name: "Grant cancel_order (orders-mcp) to support", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "Granted cancel_order (orders-mcp) to support." })).toBeVisible();
  await page.goto(`${lb}/prod/config`);
  await page.getByRole("button", { name: "Publish version 2 to Production" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Version 2 is live in Production." })).toBeVisible();
  const published = Date.now();
  // Each data plane re-reads the latest version every second; pollers ask every 0.2–0.3 s.
  await expect.poll(() => clients.map((client) => client.version), { timeout: 5_000, intervals: [100] }).toEqual([2, 2, 2]);
  expect(Date.now() - published).toBeLessThan(3_000);
  expect(clients.map(grantedTools)).toEqual(Array.from({ length: 3 }, () => ["cancel_order", "lookup_order"]));
  // The pollers through the load balancer were answered by both data planes.
  const dataPlaneServers = new Set(balancer.served().filter((request) => request.backend === "data_planes").map((request) => request.server));
  expect([...dataPlaneServers].sort()).toEqual(["data_plane1", "data_plane2"]);
});

test("failed sign-ins spread over both dashboards lock the account on every instance", async ({ browser, playwright }) => {
  const [first, second] = dashboards as [WardenProcess, WardenProcess];
  // Sent straight to one dashboard, as the load balancer would forward them:
  // with the public origin, the only one the dashboards accept for a sign-in
  // (a browser opened on an instance's own address would carry that instead).
  const publicOrigin = new URL(balancer.url).origin;
  async function signInAt(base: string, password: string): Promise<string> {
    const api = await playwright.request.newContext({ baseURL: base });
    try {
      const { csrfToken } = (await (await api.get("/api/auth/csrf")).json()) as { csrfToken: string };
      const answer = await api.post("/api/auth/callback/credentials", {
        headers: { origin: publicOrigin },
        form: { csrfToken, email: LOCKED.email, password, json: "true" },
        maxRedirects: 0,
      });
      const location = answer.headers()["location"] ?? ((await answer.json().catch(() => ({}))) as { url?: string }).url ?? "";
      return decodeURIComponent(new URL(location, base).searchParams.get("error") ?? "");
    } finally {
      await api.dispose();
    }
  }
  // Alternating instances, so that neither ever sees more than three of the five failures.
  for (let attempt = 0; attempt < 5; attempt++) {
    expect(await signInAt((attempt % 2 ? second : first).url, `wrong password ${attempt}`)).toMatch(/CredentialsSignin|Wrong email or password/);
  }
  // Now even the right password is refused, whichever instance is asked: in the browser through the load balancer...
  const context = await browser.newContext();
  const page = await context.newPage();
  await signIn(page, balancer.url, LOCKED);
  await expect(page.getByRole("alert").filter({ hasText: "Too many failed sign-in attempts" })).toBeVisible();
  await context.close();
  // ...and at each dashboard directly.
  for (const base of [first.url, second.url]) expect(await signInAt(base, LOCKED.password)).toMatch(/^Too many failed sign-in attempts/);
});

test("a runaway API key is throttled through the load balancer with 429 and Retry-After, per data plane", async ({ page }) => {
  // A limit low enough to reach from one test process, set as an owner would.
  await signIn(page, balancer.url, OWNER);
  await expect(page.getByRole("button", { name: `Account menu for ${OWNER.email}` })).toBeVisible();
  await page.goto(`${balancer.url}/prod/config/keys`);
  await page.getByText("Rate limit per key").click();
  await page.getByLabel("Requests per second (sustained)").fill(String(RATE_LIMIT.perSecond));
  await page.getByLabel("Burst (requests)").fill(String(RATE_LIMIT.burst));
  await page.getByRole("button", { name: "Save rate limit" }).click();
  await expect(page.getByText("Rate limit saved.")).toBeVisible();
  // Every data plane re-reads the limits on its one-second revision tick.
  await page.waitForTimeout(2_500);

  const etag = await fetch(`${balancer.url}/api/v1/config`, { headers: { authorization: `Bearer ${apiKey}` } }).then(async (response) => {
    await response.arrayBuffer();
    return response.headers.get("etag")!;
  });
  // Far more than both instances' buckets hold, as fast as 32 connections go.
  const total = 1_000;
  const started = Date.now();
  const statuses: number[] = [];
  const retryAfters = new Set<string>();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < total) {
        next++;
        const response = await fetch(`${balancer.url}/api/v1/config`, { headers: { authorization: `Bearer ${apiKey}`, "if-none-match": etag } });
        await response.arrayBuffer();
        statuses.push(response.status);
        if (response.status === 429) retryAfters.add(response.headers.get("retry-after") ?? "missing");
      }
    }),
  );
  const seconds = (Date.now() - started) / 1000;
  const allowed = statuses.filter((status) => status === 304).length;
  const throttled = statuses.filter((status) => status === 429).length;
  expect(allowed + throttled, `every answer is 304 or 429; also got ${JSON.stringify(statuses.filter((status) => status !== 304 && status !== 429))}`).toBe(total);
  expect(throttled).toBeGreaterThan(0);
  expect([...retryAfters].every((value) => Number(value) >= 1)).toBe(true);
  // Buckets are per instance: the key got more than one instance's burst,
  // and no more than two instances' bursts plus what they refilled meanwhile.
  expect(allowed).toBeGreaterThan(RATE_LIMIT.burst);
  expect(allowed).toBeLessThanOrEqual(2 * (RATE_LIMIT.burst + RATE_LIMIT.perSecond * seconds) + 2);
});
