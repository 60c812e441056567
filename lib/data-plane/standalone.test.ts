import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, expect, it } from "vitest";
import { WardenClient } from "@/sdk/src/client";
import { ENCRYPTION_SECRET, startWardenFixture, type WardenFixture } from "@/sdk/test/warden-fixture";

// The standalone data plane (data-plane.ts) as operators run it: its own
// process on the dashboard's PostgreSQL, beside another instance (the
// fixture's, in this process) through which a new version is published.

const silent = { info() {}, warn() {}, error() {} };
let warden: WardenFixture;
let child: ChildProcess;
let output = "";
let url = "";

beforeAll(async () => {
  warden = await startWardenFixture();
  child = spawn(process.execPath, ["--import", "tsx", "data-plane.ts"], {
    env: { ...process.env, DATABASE_URL: warden.databaseUrl, WARDEN_ENCRYPTION_KEY: ENCRYPTION_SECRET, PORT: "0", NODE_ENV: "production" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
  url = await new Promise<string>((resolve, reject) => {
    const timeout = setTimeout(() => reject(new Error(`The data plane did not start:\n${output}`)), 30_000);
    child.once("exit", () => reject(new Error(`The data plane exited:\n${output}`)));
    child.stdout!.on("data", () => {
      const match = /serving the data plane on (\S+)/.exec(output);
      if (match) {
        clearTimeout(timeout);
        resolve(match[1]!);
      }
    });
  });
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill("SIGKILL");
  await warden?.close();
});

it("serves verified config to the SDK, converges on a version published elsewhere within about a second, and shuts down cleanly", async () => {
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  expect((await fetch(`${url}/admin`)).status).toBe(404);
  expect((await fetch(`${url}/api/v1/config`)).status).toBe(401);

  const sdk = new WardenClient({ url, apiKey: warden.apiKey, jwks: warden.jwks, logger: silent, instanceId: "edge-pod-1" });
  expect(await sdk.pollNow()).toEqual({ kind: "applied", version: 1 });
  expect(await sdk.pollNow()).toEqual({ kind: "unchanged" });

  // Published through the other instance; this one learns of it from its revision tick, not from a restart.
  const version = await warden.publish((db) => db.grant.deleteMany({}), "revoke");
  const published = Date.now();
  await expect.poll(async () => (await sdk.pollNow(), sdk.version), { timeout: 3_000, interval: 100 }).toBe(version);
  const converged = Date.now() - published;
  expect(converged).toBeLessThan(3_000);
  expect((await warden.plane.call("/api/v1/config", { token: warden.apiKey }).then((response) => response.json())).contentHash).toBe(sdk.config!.contentHash);

  child.kill("SIGTERM");
  await new Promise((resolve) => child.once("exit", resolve));
  expect(child.exitCode).toBe(0);
  // The fleet report is written on the way out.
  expect(await warden.db.serverInstance.findFirst({ where: { instanceId: "edge-pod-1" } })).toMatchObject({ appliedVersion: 1, sdkVersion: expect.any(String) });
});
