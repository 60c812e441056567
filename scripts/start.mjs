// `npm start`: builds the dashboard when the sources changed since the last
// build, then runs server.ts (data plane + Next.js) in production mode.
// `--build-only` stops after the build.
import { spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ensureDependencies } from "./ensure-deps.mjs";

ensureDependencies();

const SOURCES = ["actions", "app", "components", "lib", "public", "proxy.ts", "next.config.ts", "postcss.config.mjs", "tsconfig.json", "package-lock.json"];
const STAMP = join(".next", "warden-source-stamp");

function* files(path) {
  if (!existsSync(path)) return;
  const stat = statSync(path);
  if (stat.isFile()) {
    yield [path, stat];
    return;
  }
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry === "generated" || entry.endsWith(".test.ts")) continue;
    yield* files(join(path, entry));
  }
}

function sourceStamp() {
  const hash = createHash("sha256");
  for (const source of SOURCES) for (const [path, stat] of files(source)) hash.update(`${path}:${stat.size}:${stat.mtimeMs}\n`);
  return hash.digest("hex");
}

const stamp = sourceStamp();
const built = existsSync(join(".next", "BUILD_ID")) && existsSync(STAMP) && readFileSync(STAMP, "utf8") === stamp;
if (!built) {
  console.log("[warden] building the dashboard (first start or sources changed)…");
  const build = spawnSync(process.execPath, ["node_modules/next/dist/bin/next", "build"], { stdio: "inherit", env: { ...process.env, NODE_ENV: "production" } });
  if (build.status !== 0) process.exit(build.status ?? 1);
  writeFileSync(STAMP, stamp);
}

if (process.argv.includes("--build-only")) process.exit(0);

// The end-to-end tests run the same build with NODE_ENV=test, the only mode
// in which test-only settings (a loopback fixture CA) are accepted.
const runtimeEnv = process.env.NODE_ENV === "test" ? "test" : "production";
const server = spawn(process.execPath, ["--import", "tsx", "server.ts"], { stdio: "inherit", env: { ...process.env, NODE_ENV: runtimeEnv } });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.kill(signal));
server.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
