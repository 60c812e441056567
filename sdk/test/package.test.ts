// The package as someone outside this repository gets it: packed into a
// tarball, installed into an empty project, and run by plain `node` (no tsx,
// no type stripping) against a real Warden data plane.
import { execFile } from "node:child_process";
import { cp, mkdtemp, readdir, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, expect, it } from "vitest";
import sdkPackage from "../package.json";
import { AGENT, startWardenFixture, type WardenFixture } from "./warden-fixture";

const run = promisify(execFile);
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const sdk = resolve(__dirname, "..");
const root = resolve(sdk, "..");

// What an MCP server's operator would write, as an .mjs file run by node.
const SMOKE = `
import { readFileSync } from "node:fs";
import { createWardenClient, verifyConfigDocument, SDK_VERSION } from "@warden/sdk";
import { configContentHash, decide } from "@warden/sdk/contract";

const url = process.env.WARDEN_URL;
const apiKey = process.env.WARDEN_API_KEY;
const agent = process.env.AGENT;
const jwks = JSON.parse(readFileSync("warden-keys.json", "utf8"));
const quiet = { info() {}, warn() {}, error() {} };

const warden = createWardenClient({ url, apiKey, jwks, logger: quiet });
const applied = await warden.pollNow();
const analyst = { sub: "user-1", groups: ["sales-analysts"], scope: "tools:sales.read" };

// The same document by hand: verified, then decided with the contract alone.
const response = await fetch(url + "/api/v1/config", { headers: { authorization: "Bearer " + apiKey } });
const verified = await verifyConfigDocument(await response.text(), { keys: jwks });
const direct = decide({ ...verified.config.policy, version: verified.version }, { subject: "user-1", clientId: agent, server: "sales-mcp", tool: "get_invoice", scopes: ["tools:sales.read"], claims: { groups: ["sales-analysts"] } });

let forged;
try {
  await verifyConfigDocument(JSON.stringify({ ...JSON.parse(verified.raw), version: verified.version + 1 }), { keys: jwks });
} catch (error) {
  forged = error.reason;
}

console.log(JSON.stringify({
  sdkVersion: SDK_VERSION,
  applied,
  invoice: warden.authorize(analyst, agent, "get_invoice"),
  refund: warden.authorize(analyst, agent, "refund_payment"),
  direct: { decision: direct.decision, reason: direct.reason, configVersion: direct.configVersion },
  hashMatches: configContentHash(verified.config) === verified.contentHash,
  forged,
}));
warden.close();
`;

let warden: WardenFixture;
const dirs: string[] = [];
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

beforeAll(async () => {
  warden = await startWardenFixture();
});
afterAll(async () => {
  await warden?.close();
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

it("packs to compiled JavaScript with types, installs into an empty project, and verifies and decides under plain node", async () => {
  // Packed from a copy, so the build (prepack) leaves nothing in the checkout;
  // the copy borrows the checkout's node_modules for the compiler and types only.
  const build = await tempDir("warden-sdk-build-");
  for (const entry of ["src", "package.json", "tsconfig.build.json", "README.md", "CHANGELOG.md"]) await cp(join(sdk, entry), join(build, "sdk", entry), { recursive: true });
  await symlink(join(root, "node_modules"), join(build, "node_modules"), "dir");
  const packed = await run(npm, ["pack", "--json", "--pack-destination", build], { cwd: join(build, "sdk") });
  const [manifest] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf("["))) as { filename: string; files: { path: string }[] }[];
  const files = manifest!.files.map((file) => file.path);
  expect(manifest!.filename).toBe(`warden-sdk-${sdkPackage.version}.tgz`);
  expect(files).toEqual(expect.arrayContaining(["package.json", "README.md", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts", "dist/contract/index.js", "dist/contract/decide.d.ts"]));
  // Compiled output and the package's own documents, nothing else: no sources, no tests, nothing of the server.
  expect(files.filter((file) => !/^dist\/.+\.(?:js|d\.ts)$/.test(file) && !["package.json", "README.md", "CHANGELOG.md"].includes(file))).toEqual([]);

  // The dependencies come from the checkout's node_modules as tarballs, so the
  // install needs no registry (and no network); their versions are the ones
  // the SDK pins, which npm checks against its package.json.
  const dependencies: string[] = [];
  for (const name of Object.keys(sdkPackage.dependencies)) {
    const dep = await run(npm, ["pack", "--json", "--ignore-scripts", "--pack-destination", build, join(root, "node_modules", name)], { cwd: build });
    dependencies.push(join(build, (JSON.parse(dep.stdout.slice(dep.stdout.indexOf("["))) as { filename: string }[])[0]!.filename));
  }
  const app = await tempDir("warden-sdk-app-");
  await writeFile(join(app, "package.json"), JSON.stringify({ name: "sales-mcp", private: true, type: "module" }));
  await run(npm, ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", ...dependencies, join(build, manifest!.filename)], { cwd: app });
  expect((await readdir(join(app, "node_modules", "@warden", "sdk", "dist"))).sort()).toContain("index.js");

  await writeFile(join(app, "warden-keys.json"), JSON.stringify(warden.jwks));
  await writeFile(join(app, "smoke.mjs"), SMOKE);
  const { stdout } = await run(process.execPath, ["smoke.mjs"], {
    cwd: app,
    // Nothing of this repository on the way: no loader, no tsx, no NODE_OPTIONS.
    env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", WARDEN_URL: warden.base, WARDEN_API_KEY: warden.apiKey, AGENT },
  });
  expect(JSON.parse(stdout)).toEqual({
    sdkVersion: sdkPackage.version,
    applied: { kind: "applied", version: 1 },
    invoice: expect.objectContaining({ decision: "allow", reason: "allowed_by_grant", configVersion: 1 }),
    refund: expect.objectContaining({ decision: "deny", reason: "no_grant", configVersion: 1 }),
    direct: { decision: "allow", reason: "allowed_by_grant", configVersion: 1 },
    hashMatches: true,
    forged: "claims_mismatch",
  });
}, 240_000);
