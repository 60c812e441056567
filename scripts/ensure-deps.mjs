// Installs the npm dependencies when they are missing or older than the lock
// file, so that `npm start` and `npm test` work as the first commands on a
// fresh clone. Uses only Node built-ins: it runs before anything is installed.
import { spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";

export function ensureDependencies() {
  const marker = "node_modules/.package-lock.json";
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync("package-lock.json").mtimeMs) return;
  console.log("[warden] installing dependencies (npm install, versions pinned by package-lock.json)…");
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  // Not `npm ci`: it refuses a lock file that lacks other platforms' optional
  // binaries (which some registry mirrors do not serve), while install accepts it.
  const install = spawnSync(npm, ["install", "--no-audit", "--no-fund"], { stdio: "inherit" });
  if (install.status !== 0) process.exit(install.status ?? 1);
}
