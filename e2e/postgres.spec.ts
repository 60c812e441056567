import { createScratchDatabase, type ScratchDatabase } from "../lib/db/testing";
import { expect, test } from "./fixtures";
import { WARDEN_E2E_PORT } from "./support/constants";
import { startWarden, type WardenProcess } from "./support/warden-process";

// With DATABASE_URL set, Warden runs on PostgreSQL through the same code.
// Two instances start at the same moment on one empty database: migrations
// and the first owner must each happen exactly once, and both must serve.
const OWNER = { email: "pg-owner@warden.test", password: "postgres owner password" };
let database: ScratchDatabase;
let instances: WardenProcess[] = [];

test.beforeAll(async () => {
  database = await createScratchDatabase();
  const env = {
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "postgres-e2e-shared-session-secret",
    // Instances behind one database share the key that encrypts signing keys.
    WARDEN_ENCRYPTION_KEY: "postgres-e2e-shared-encryption-key-0123456789",
    WARDEN_ADMIN_EMAIL: OWNER.email,
    WARDEN_ADMIN_PASSWORD: OWNER.password,
  };
  instances = await Promise.all([startWarden(WARDEN_E2E_PORT + 11, env), startWarden(WARDEN_E2E_PORT + 12, env)]);
});

test.afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.stop()));
  await database?.drop();
});

test("two instances on one PostgreSQL migrate once, create one owner, and share sessions", async ({ page }) => {
  const [first, second] = instances as [WardenProcess, WardenProcess];
  const outputs = instances.map((instance) => instance.output());
  expect(outputs.filter((output) => output.includes("applied migrations")).length).toBe(1);
  expect(outputs.filter((output) => output.includes(`created the first owner ${OWNER.email}`)).length).toBe(1);

  await page.goto(`${first.url}/login`);
  await page.getByLabel("Email").fill(OWNER.email);
  await page.getByLabel("Password").fill(OWNER.password);
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  await expect(page.getByRole("button", { name: `Account menu for ${OWNER.email}` })).toBeVisible();

  // Cookies are per host, not per port, so the browser presents the same
  // session to the other instance: it must accept it (shared secret, no local state).
  await page.goto(`${second.url}/settings/admins`);
  await expect(page.getByRole("heading", { name: "Admins" })).toBeVisible();
  await expect(page.getByRole("row", { name: new RegExp(OWNER.email) })).toBeVisible();
});
