import { defineConfig } from "@playwright/test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { OIDC_TEST_CLIENT, OIDC_TEST_ISSUER, OIDC_TEST_PORT } from "./e2e/support/oidc-provider";
import { E2E_OWNER, WARDEN_E2E_PORT, WARDEN_E2E_URL } from "./e2e/support/constants";
import { CIMD_FIXTURE_ORIGIN, CIMD_FIXTURE_PORT } from "./e2e/support/cimd-fixture";

// Each run gets a fresh embedded database: the same start path as `npm start`.
const dataDir = process.env.WARDEN_E2E_DATA_DIR ?? mkdtempSync(join(tmpdir(), "warden-e2e-"));
process.env.WARDEN_E2E_DATA_DIR = dataDir;

export default defineConfig({
  testDir: "e2e",
  testMatch: "*.spec.ts",
  fullyParallel: false,
  workers: 1,
  retries: process.env.CI ? 1 : 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.CI ? [["list"]] : [["list"], ["html", { open: "never" }]],
  use: {
    baseURL: WARDEN_E2E_URL,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run"],
    },
  },
  webServer: [
    {
      command: "node --import tsx e2e/support/oidc-provider.ts",
      url: `${OIDC_TEST_ISSUER}/.well-known/openid-configuration`,
      env: { OIDC_TEST_PORT: String(OIDC_TEST_PORT), WARDEN_URL: WARDEN_E2E_URL },
      reuseExistingServer: false,
      stdout: "ignore",
    },
    {
      command: "node --import tsx e2e/support/cimd-fixture.ts",
      url: `${CIMD_FIXTURE_ORIGIN}/health`,
      ignoreHTTPSErrors: true,
      env: { CIMD_FIXTURE_PORT: String(CIMD_FIXTURE_PORT) },
      reuseExistingServer: false,
      stdout: "ignore",
    },
    {
      command: "node scripts/start.mjs",
      url: `${WARDEN_E2E_URL}/healthz`,
      timeout: 240_000,
      reuseExistingServer: false,
      stdout: "pipe",
      env: {
        PORT: String(WARDEN_E2E_PORT),
        // The same production build, in the one mode that accepts the
        // test-only CA of the client metadata fixture server.
        NODE_ENV: "test",
        WARDEN_TEST_FETCH_CA_FILE: "lib/clients/testing/ca.pem",
        WARDEN_DATA_DIR: dataDir,
        NEXTAUTH_URL: WARDEN_E2E_URL,
        NEXTAUTH_SECRET: "e2e-only-session-secret-0123456789abcdef",
        WARDEN_ADMIN_EMAIL: E2E_OWNER.email,
        WARDEN_ADMIN_PASSWORD: E2E_OWNER.password,
        WARDEN_OIDC_ISSUER: OIDC_TEST_ISSUER,
        WARDEN_OIDC_CLIENT_ID: OIDC_TEST_CLIENT.id,
        WARDEN_OIDC_CLIENT_SECRET: OIDC_TEST_CLIENT.secret,
        WARDEN_OIDC_NAME: "Test SSO",
        WARDEN_OIDC_ALLOWED_DOMAINS: "viewers.test",
      },
    },
  ],
});
