// Installs the npm dependencies when they are missing or older than the lock
// file, so that `npm start` and `npm test` work as the first commands on a
// fresh clone. Uses only Node built-ins: it runs before anything is installed.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

export const npm = process.platform === "win32" ? "npm.cmd" : "npm";

export function ensureDependencies() {
  const marker = "node_modules/.package-lock.json";
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync("package-lock.json").mtimeMs) return;
  console.log("[warden] installing dependencies (npm ci, exactly as package-lock.json pins them)…");
  // `npm ci` installs the lock file as committed and never rewrites it, so a
  // fresh clone stays clean; it refuses a lock that drifted from package.json.
  const install = spawnSync(npm, ["ci", "--no-audit", "--no-fund"], { stdio: "inherit" });
  if (install.status !== 0) process.exit(install.status ?? 1);
}

