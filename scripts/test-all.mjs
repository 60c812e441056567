// `npm test`: the whole suite, on a fresh machine as on a developer's.
// Installs what the project needs but npm cannot (Chromium and HAProxy from
// the system packages; a running PostgreSQL), then type-checks, lints, runs the unit
// and integration tests (PostgreSQL and PGlite) and the end-to-end tests
// (production build, real Chromium, a real OIDC provider).
import { execSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { ensureDependencies, npm } from "./ensure-deps.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const HAPROXY = process.env.HAPROXY_PATH ?? "/usr/sbin/haproxy";
const results = [];

function step(name, command, args, env = {}) {
  console.log(`\n=== ${name}: ${[command, ...args].join(" ")}`);
  const started = Date.now();
  const run = spawnSync(command, args, { stdio: "inherit", env: { ...process.env, ...env } });
  const ok = run.status === 0;
  results.push({ name, ok, seconds: Math.round((Date.now() - started) / 1000) });
  return ok;
}

function quiet(command) {
  try {
    execSync(command, { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

function ensurePostgres() {
  if (process.env.TEST_DATABASE_ADMIN_URL) return;
  if (quiet("pg_isready -h 127.0.0.1 -p 5432")) return;
  console.log("PostgreSQL is not running; starting it");
  const version = existsSync("/etc/postgresql") ? execSync("ls /etc/postgresql").toString().trim().split("\n").pop() : "";
  if (!version || !quiet(`pg_ctlcluster --skip-systemctl-redirect ${version} main start`)) {
    console.error("Could not start PostgreSQL. Install it (apt-get install postgresql) or set TEST_DATABASE_ADMIN_URL.");
    process.exit(1);
  }
  for (let i = 0; i < 30 && !quiet("pg_isready -h 127.0.0.1 -p 5432"); i++) execSync("sleep 1");
}

function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  console.log("Chromium is missing; installing it from the system packages");
  if (!quiet("apt-get update -qq") || !quiet("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium")) {
    console.error("Could not install Chromium. Install the 'chromium' package, or set CHROMIUM_PATH.");
    process.exit(1);
  }
}

// The multi-instance end-to-end test puts HAProxy in front of several instances.
function ensureHaproxy() {
  if (existsSync(HAPROXY)) return;
  console.log("HAProxy is missing; installing it from the system packages");
  if (!quiet("apt-get update -qq") || !quiet("DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy")) {
    console.error("Could not install HAProxy. Install the 'haproxy' package, or set HAPROXY_PATH.");
    process.exit(1);
  }
}

ensureDependencies();
ensurePostgres();
ensureChromium();
ensureHaproxy();
// Playwright empties test-results/ when it starts, so the reports live apart.
mkdirSync(".reports", { recursive: true });

const npx = (bin) => `node_modules/.bin/${bin}`;
// The lock file must install package.json as it stands on every platform
// (other systems' optional binaries included), or `npm ci` refuses it.
step("lockfile in sync", npm, ["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"]);
step("types", npx("tsc"), ["--noEmit", "-p", "."]);
step("lint", npx("eslint"), [".", "--max-warnings=0"]);
step("unit and integration", npx("vitest"), ["run", "--reporter=default", "--reporter=json", "--outputFile.json=.reports/vitest.json"]);
if (step("build", process.execPath, ["scripts/start.mjs", "--build-only"])) {
  step("end-to-end", npx("playwright"), ["test", "--reporter=list,json"], { PLAYWRIGHT_JSON_OUTPUT_NAME: ".reports/playwright.json" });
}

function count(file, read) {
  try {
    return read(JSON.parse(readFileSync(file, "utf8")));
  } catch {
    return { passed: 0, failed: 0, skipped: 0 };
  }
}
const unit = count(".reports/vitest.json", (r) => ({ passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests }));
const e2e = count(".reports/playwright.json", (r) => ({ passed: r.stats.expected + r.stats.flaky, failed: r.stats.unexpected, skipped: r.stats.skipped }));

console.log("\n=== summary");
for (const result of results) console.log(`${result.ok ? "ok  " : "FAIL"} ${result.name} (${result.seconds}s)`);
console.log(`unit and integration: ${unit.passed} passed, ${unit.failed} failed`);
console.log(`end-to-end: ${e2e.passed} passed, ${e2e.failed} failed`);
const failedSteps = results.filter((result) => !result.ok).length;
console.log(`tests: ${unit.passed + e2e.passed} passed, ${unit.failed + e2e.failed + (failedSteps && !(unit.failed + e2e.failed) ? failedSteps : 0)} failed`);
process.exit(failedSteps ? 1 : 0);
