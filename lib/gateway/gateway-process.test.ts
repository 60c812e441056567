import { mkdtempSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, expect, it } from "vitest";
import { AGENT, startWardenFixture, type WardenFixture } from "@/sdk/test/warden-fixture";
import { startTokenIssuer, type TokenIssuer } from "@/examples/reference-mcp-server/token-issuer";
import { startGatewayProcess, type GatewayProcess } from "@/e2e/support/gateway-process";

// `npm run gateway` as its own process, spawning server-everything over stdio:
// the environment is checked at start, the fleet view learns what it fronts,
// and the last known good config survives Warden going away and a restart.
const STDIO_ENTRY = createRequire(import.meta.url).resolve("@modelcontextprotocol/server-everything/package.json").replace(/package\.json$/, "dist/index.js");
let warden: WardenFixture;
let issuer: TokenIssuer;
let gateway: GatewayProcess | undefined;
let resource = "";
let env: Record<string, string> = {};

beforeAll(async () => {
  warden = await startWardenFixture();
  issuer = await startTokenIssuer({ clients: [AGENT], scopes: ["tools:sales.read"] });
  issuer.setClaims(AGENT, { groups: ["sales-analysts"] });
  await warden.publish(async (db) => {
    const server = await db.mcpServer.findFirstOrThrow();
    const echo = await db.tool.create({ data: { serverId: server.id, name: "echo" } });
    await db.grant.create({ data: { roleId: warden.analyst.id, toolId: echo.id } });
  });
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, "127.0.0.1", () => {
      const { port: free } = probe.address() as { port: number };
      probe.close(() => resolve(free));
    });
  });
  resource = `http://127.0.0.1:${port}/mcp`;
  env = {
    WARDEN_URL: warden.base,
    WARDEN_API_KEY: warden.apiKey,
    WARDEN_JWKS: JSON.stringify(warden.jwks),
    WARDEN_STATE_FILE: join(mkdtempSync(join(tmpdir(), "warden-gateway-")), "config.json"),
    WARDEN_POLL_INTERVAL_MS: "500,1000",
    GATEWAY_RESOURCE: resource,
    GATEWAY_PORT: String(port),
    GATEWAY_INSTANCE_ID: "gateway-under-test",
    OAUTH_ISSUER: issuer.issuer,
    UPSTREAM_COMMAND: process.execPath,
    UPSTREAM_ARGS: JSON.stringify([STDIO_ENTRY, "stdio"]),
  };
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await issuer?.close();
  await warden?.close();
});

async function call(tool: string) {
  const token = await issuer.token(AGENT, { resource, scope: "tools:sales.read" });
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  try {
    const listed = (await client.listTools()).tools.map((entry) => entry.name);
    const result = (await client.callTool({ name: tool, arguments: { message: "over stdio" } })) as { isError?: boolean; content: { text?: string }[] };
    return { listed, ok: !result.isError, text: result.content.map((part) => part.text ?? "").join("") };
  } finally {
    await client.close();
  }
}

it("refuses to start on a bad environment, naming each variable", async () => {
  const failure = await startGatewayProcess({ ...env, UPSTREAM_URL: "http://127.0.0.1:1/mcp", GATEWAY_MAX_BODY_BYTES: "lots" }).then(
    () => "",
    (error: Error) => error.message,
  );
  expect(failure).toContain("- UPSTREAM_URL: Set exactly one of UPSTREAM_URL");
  expect(failure).toContain("- GATEWAY_MAX_BODY_BYTES: GATEWAY_MAX_BODY_BYTES must be a number.");
});

it("fronts a stdio server: granted calls run, others are refused, and the fleet view shows the gateway", async () => {
  gateway = await startGatewayProcess(env);
  await expect.poll(async () => (await call("echo")).ok, { timeout: 10_000 }).toBe(true);
  expect(await call("echo")).toEqual({ listed: ["echo"], ok: true, text: "Echo: over stdio" });
  expect((await call("get-env")).text).toMatch(/^Denied by Warden \(unknown_tool, config v2\)/);
  // A poll reports the version applied before it, so the fleet view shows v2 from the poll after the one that brought it.
  const reported = async () => {
    await warden.plane.plane.flushInstanceReports();
    return warden.db.serverInstance.findFirst({ where: { instanceId: "gateway-under-test" } });
  };
  await expect.poll(async () => (await reported())?.appliedVersion, { timeout: 10_000 }).toBe(2);
  expect(await reported()).toMatchObject({ sdkVersion: expect.stringMatching(/^gateway \S+ stdio:node index\.js stdio$/) });
}, 60_000);

it("keeps enforcing the last known good config without Warden, across its own restart", async () => {
  await gateway!.stop();
  gateway = await startGatewayProcess({ ...env, WARDEN_URL: "http://127.0.0.1:1" });
  expect(gateway.output()).toMatch(/last known good Warden config, version 2/);
  expect(await call("echo")).toMatchObject({ ok: true, listed: ["echo"] });
  expect((await call("get-env")).text).toMatch(/\(unknown_tool, config v2\)/);
}, 60_000);
