import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { Tool } from "@modelcontextprotocol/sdk/types.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApprovalClient, createAuditReporter, createWardenClient, type AuditReporter, type WardenClient } from "@/sdk/src/index";
import { AGENT, startWardenFixture, type WardenFixture } from "@/sdk/test/warden-fixture";
import { startTokenIssuer, type TokenIssuer } from "@/examples/reference-mcp-server/token-issuer";
import { startEverythingServer, type RunningEverythingServer } from "@/lib/mcp-import/testing/everything-server";
import { createGateway } from "./gateway";
import { decideApproval } from "@/lib/approvals/approval-requests";
import { liveHash } from "./rug-pull";
import { UpstreamConnection } from "./upstream";

// The gateway in front of the real third-party server-everything, deciding
// with a config published by a real data plane, for a real OAuth token.
const silent = { info() {}, warn() {}, error() {} };
let warden: WardenFixture;
let everything: RunningEverythingServer;
let issuer: TokenIssuer;
let sdk: WardenClient;
let audit: AuditReporter;
let upstream: UpstreamConnection;
let http: Server;
let resource = "";
let gatewayClose: () => Promise<void>;

beforeAll(async () => {
  [warden, everything] = await Promise.all([startWardenFixture(), startEverythingServer()]);
  issuer = await startTokenIssuer({ clients: [AGENT], scopes: ["tools:sales.read", "tools:sales.write"] });
  issuer.setClaims(AGENT, { groups: ["sales-analysts"] });

  const direct = new Client({ name: "admin-import", version: "1.0.0" });
  await direct.connect(new StreamableHTTPClientTransport(new URL(everything.url)));
  const listed = new Map((await direct.listTools()).tools.map((tool: Tool) => [tool.name, liveHash(tool)]));
  await direct.close();

  await warden.publish(async (db) => {
    const server = await db.mcpServer.findFirstOrThrow();
    const approved = async (name: string, hash: string) => db.tool.create({ data: { serverId: server.id, name, definitionHash: hash, approvedHash: hash } });
    const echo = await approved("echo", listed.get("echo")!);
    const sum = await approved("get-sum", listed.get("get-sum")!);
    await approved("get-env", listed.get("get-env")!);
    // Approved with an earlier description: what the upstream lists now is a changed tool.
    const image = await approved("get-tiny-image", "sha256:" + "0".repeat(64));
    const slow = await approved("trigger-long-running-operation", listed.get("trigger-long-running-operation")!);
    const risky = await approved("get-annotated-message", listed.get("get-annotated-message")!);
    await db.tool.update({ where: { id: risky.id }, data: { requiresApproval: true } });
    for (const tool of [echo, image, slow, risky]) await db.grant.create({ data: { roleId: warden.analyst.id, toolId: tool.id, requiredScopes: ["tools:sales.read"] } });
    await db.grant.create({ data: { roleId: warden.analyst.id, toolId: sum.id, requiredScopes: ["tools:sales.write"] } });
  });

  sdk = createWardenClient({ url: warden.base, apiKey: warden.apiKey, jwks: warden.jwks, logger: silent });
  await sdk.pollNow();
  audit = createAuditReporter({ url: warden.base, apiKey: warden.apiKey, logger: silent, flushIntervalMs: 100 });
  upstream = new UpstreamConnection({ kind: "http", url: everything.url, headers: {} }, silent);
  http = createServer();
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  resource = `http://127.0.0.1:${(http.address() as AddressInfo).port}/mcp`;
  const gateway = createGateway({
    settings: { resource, issuer: issuer.issuer, allowedHosts: [new URL(resource).host], allowedOrigins: [new URL(resource).origin], maxBodyBytes: 64 * 1024, upstreamTimeoutMs: 10_000, warden: { url: warden.base, apiKey: warden.apiKey } },
    warden: sdk,
    audit,
    approvals: createApprovalClient({ url: warden.base, apiKey: warden.apiKey }),
    upstream,
    logger: silent,
  });
  gatewayClose = gateway.close;
  http.on("request", (req, res) => void gateway.handle(req, res));
}, 120_000);

afterAll(async () => {
  http?.closeAllConnections();
  await new Promise((resolve) => http?.close(resolve));
  await gatewayClose?.();
  await upstream?.close();
  await audit?.close();
  sdk?.close();
  await issuer?.close();
  await everything?.close();
  await warden?.close();
});

async function agent(scope = "tools:sales.read") {
  const token = await issuer.token(AGENT, { resource, scope });
  const client = new Client({ name: "agent", version: "1.0.0" });
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { requestInit: { headers: { authorization: `Bearer ${token}` } } }));
  return { client, token };
}

const text = (result: unknown) => ((result as { content: { text?: string }[] }).content ?? []).map((part) => part.text ?? "").join("");

describe("the gateway in front of server-everything", () => {
  it("lists only granted, unchanged tools and passes a granted call through", async () => {
    const { client } = await agent();
    expect((await client.listTools()).tools.map((tool) => tool.name).sort()).toEqual(["echo", "get-annotated-message", "trigger-long-running-operation"]);
    expect(text(await client.callTool({ name: "echo", arguments: { message: "hi" } }))).toBe("Echo: hi");
    await client.close();
  });

  it("refuses an ungranted call with Warden's reason and config version", async () => {
    const { client } = await agent();
    const result = await client.callTool({ name: "get-env", arguments: {} });
    expect(result.isError).toBe(true);
    expect(text(result)).toMatch(/^Denied by Warden \(no_grant, config v2\)/);
    await client.close();
  });

  it("refuses a tool whose definition changed since approval, and reports the drift to Warden", async () => {
    const { client } = await agent();
    const result = await client.callTool({ name: "get-tiny-image", arguments: {} });
    expect(text(result)).toMatch(/^Denied by Warden \(tool_definition_changed, config v2\)/);
    await client.close();
    await expect.poll(async () => (await warden.db.tool.findFirstOrThrow({ where: { name: "get-tiny-image" } })).definitionHash, { timeout: 5_000 }).not.toBe("sha256:" + "0".repeat(64));
  });

  it("answers a call that needs a scope the token lacks with a 403 step-up challenge", async () => {
    const { token } = await agent();
    const response = await fetch(resource, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "get-sum", arguments: { a: 1, b: 2 } } }),
    });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toMatch(/error="insufficient_scope".*scope="tools:sales.read tools:sales.write"/);
    const { client } = await agent("tools:sales.read tools:sales.write");
    expect(text(await client.callTool({ name: "get-sum", arguments: { a: 1, b: 2 } }))).toContain("3");
    await client.close();
  });

  it("holds a call that needs a human's approval until an approver decides, then runs it", async () => {
    const { client } = await agent();
    const call = client.callTool({ name: "get-annotated-message", arguments: { messageType: "success" } });
    const waiting = () => warden.db.approvalRequest.findFirst({ where: { tool: "get-annotated-message", status: "PENDING" } });
    await expect.poll(waiting, { timeout: 10_000 }).toBeTruthy();
    const pending = (await waiting())!;
    await decideApproval(warden.db, { ...warden.actor, role: "OWNER" }, warden.environment.id, { id: pending.id, decision: "approve", note: "" });
    const result = await call;
    expect(result.isError).toBeFalsy();
    expect(text(result)).toMatch(/success/i);
    await client.close();
  });

  it("passes a caller's cancellation on to the upstream call", async () => {
    const signals: (AbortSignal | undefined)[] = [];
    const original = upstream.callTool.bind(upstream);
    upstream.callTool = (name, args, options) => (signals.push(options.signal), original(name, args, options));
    try {
      const { client } = await agent();
      const cancel = new AbortController();
      const call = client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 20, steps: 20 } }, undefined, { signal: cancel.signal });
      await expect.poll(() => signals.length, { timeout: 5_000 }).toBe(1);
      cancel.abort("no longer needed");
      await expect(call).rejects.toThrow();
      await expect.poll(() => signals[0]?.aborted, { timeout: 5_000 }).toBe(true);
      await client.close();
    } finally {
      upstream.callTool = original;
    }
  });

  it("passes progress through", async () => {
    const { client } = await agent();
    const progress: number[] = [];
    await client.callTool({ name: "trigger-long-running-operation", arguments: { duration: 1, steps: 3 } }, undefined, { onprogress: (update) => void progress.push(update.progress) });
    expect(progress.length).toBeGreaterThanOrEqual(2);
    await client.close();
  });

  it("is an OAuth resource server: metadata, 401 challenge, audience checked", async () => {
    const metadata = await (await fetch(new URL("/.well-known/oauth-protected-resource/mcp", resource))).json();
    expect(metadata).toMatchObject({ resource, authorization_servers: [issuer.issuer] });
    const anonymous = await fetch(resource, { method: "POST", body: "{}" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toContain(`resource_metadata="${new URL("/.well-known/oauth-protected-resource/mcp", resource).href}"`);
    const elsewhere = await issuer.token(AGENT, { resource: "https://sales.example.com/mcp", scope: "tools:sales.read" });
    const replayed = await fetch(resource, { method: "POST", headers: { authorization: `Bearer ${elsewhere}` }, body: "{}" });
    expect(replayed.status).toBe(401);
    expect(replayed.headers.get("www-authenticate")).toContain('error="invalid_token"');
  });

  it("refuses rebinding hosts, foreign origins, oversized bodies and headers that disagree with the body", async () => {
    const { token } = await agent();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const call = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "x" } } });
    expect((await fetch(resource, { method: "POST", headers: { ...headers, origin: "https://evil.example" }, body: call })).status).toBe(403);
    expect((await fetch(resource, { method: "POST", headers: { ...headers, "mcp-method": "tools/call", "mcp-name": "get-env" }, body: call })).status).toBe(400);
    expect((await fetch(resource, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(70_000) } }) })).status).toBe(413);
    expect((await fetch(resource, { method: "POST", headers, body: "not json" })).status).toBe(400);
    // Chunked, with no Content-Length to refuse it by: counted as it arrives.
    const chunked = await new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
      const url = new URL(resource);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { ...headers, "transfer-encoding": "chunked" } }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
      });
      req.on("error", reject);
      for (let chunk = 0; chunk < 8; chunk++) req.write("x".repeat(10_000));
      req.end();
    });
    expect(chunked).toEqual({ status: 413, connection: "close" });
    const rebinding = await new Promise<number>((resolve, reject) => {
      const url = new URL(resource);
      const req = request({ host: url.hostname, port: url.port, path: url.pathname, method: "POST", headers: { ...headers, host: "attacker.example" } }, (res) => resolve(res.statusCode ?? 0));
      req.on("error", reject);
      req.end(call);
    });
    expect(rebinding).toBe(421);
  });

  it("answers hostile bodies with a JSON-RPC 4xx, never a 5xx, and never passes broken text or a rounded id upstream", async () => {
    const { token } = await agent();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const post = (body: BodyInit, extra: Record<string, string> = {}) => fetch(resource, { method: "POST", headers: { ...headers, ...extra }, body });
    const deep = `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":${"[".repeat(10_000)}${"]".repeat(10_000)}}}}`;
    const nested = await post(deep);
    expect(nested.status).toBe(400);
    expect((await nested.json()).error.message).toContain("nested deeper than 32 levels");
    const notUtf8 = await post(Buffer.concat([Buffer.from('{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"message":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}}}')]));
    expect(notUtf8.status).toBe(400);
    expect((await notUtf8.json()).error).toMatchObject({ code: -32700 });
    expect((await post('{"jsonrpc":"2.0","id":9007199254740993,"method":"tools/call","params":{"name":"echo","arguments":{"message":"x"}}}')).status).toBe(400);
    const plain = await post(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/call", params: { name: "echo", arguments: { message: "x" } } }), { "content-type": "text/plain" });
    expect(plain.status).toBe(415);
  });

  it("refuses, and records, a call whose tool name or id the audit trail could not hold, instead of deciding it unrecorded", async () => {
    const { token } = await agent();
    const headers = { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" };
    const call = (id: string | number, name: string) =>
      fetch(resource, { method: "POST", headers, body: JSON.stringify({ jsonrpc: "2.0", id, method: "tools/call", params: { name, arguments: { message: "x" } } }) });
    for (const [id, name, says] of [
      [1, "e".repeat(201), "tool name"],
      [2, "echo\ud800", "tool name"],
      [3, "echo\u0000", "tool name"],
      [4, " echo", "tool name"],
      ["r".repeat(201), "echo", "request id"],
    ] as const) {
      const answer = await call(id, name);
      expect(answer.status).toBe(400);
      expect((await answer.json()).error).toMatchObject({ code: -32602, message: expect.stringContaining(`The ${says} cannot be recorded`) });
    }
    await audit.flush();
    await expect
      .poll(() => warden.db.auditEvent.count({ where: { action: "tool.call", decision: "deny", reason: "invalid_request" } }), { timeout: 10_000 })
      .toBe(5);
    // Text the trail holds is decided as usual.
    expect((await call("r".repeat(200), "echo")).status).toBe(200);
  });
});

describe("decisions the gateway remembers", () => {
  it("are the current config's: a tool disabled and published is refused at the next call on the same token", async () => {
    const { client } = await agent();
    expect(text(await client.callTool({ name: "echo", arguments: { message: "before" } }))).toBe("Echo: before");
    const toggle = (enabled: boolean) =>
      warden.publish(async (db) => {
        await db.tool.updateMany({ where: { name: "echo" }, data: { enabled } });
      });
    await toggle(false);
    await sdk.pollNow();
    try {
      const refused = await client.callTool({ name: "echo", arguments: { message: "after" } });
      expect(refused.isError).toBe(true);
      // A disabled tool is left out of the published config altogether.
      expect(text(refused)).toMatch(/^Denied by Warden \(unknown_tool, config v3\)/);
    } finally {
      await toggle(true);
      await sdk.pollNow();
    }
    expect(text(await client.callTool({ name: "echo", arguments: { message: "again" } }))).toBe("Echo: again");
    await client.close();
  });
});
