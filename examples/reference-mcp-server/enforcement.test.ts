import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AGENT, RESOURCE, startReferenceStack, type ReferenceStack } from "./testing/stack";

let stack: ReferenceStack;
const audited: { decision: string; tool: string | null; reason: string | null; actor: string; clientId: string | null; configVersion: number | null }[] = [];

beforeAll(async () => {
  stack = await startReferenceStack({
    clients: ["https://stranger.example/client.json"],
    // The audit endpoint is someone else's; capture what the server sends to it.
    audit: {
      batchSize: 1,
      fetch: async (_url, init) => {
        const { gunzipSync } = await import("node:zlib");
        audited.push(...JSON.parse(gunzipSync(init!.body as Buffer).toString()).events);
        return new Response(JSON.stringify({ accepted: 1, duplicates: 0, rejected: [] }), { status: 202 });
      },
    },
    scopesSupported: ["tools:sales.read"],
  });
});

afterAll(async () => {
  await stack?.close();
});

describe("the reference MCP server, enforcing Warden's config", () => {
  it("serves its protected resource metadata and challenges a request without a token", async () => {
    const metadata = await fetch(new URL("/.well-known/oauth-protected-resource/mcp", stack.mcp.url));
    expect(await metadata.json()).toEqual({ resource: RESOURCE, authorization_servers: [stack.issuer.issuer], scopes_supported: ["tools:sales.read"], bearer_methods_supported: ["header"], resource_name: "sales-mcp" });
    const anonymous = await fetch(stack.mcp.url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{}" });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get("www-authenticate")).toBe('Bearer resource_metadata="https://sales.example.com/.well-known/oauth-protected-resource/mcp"');
  });

  it("refuses tokens for another audience", async () => {
    const elsewhere = await stack.issuer.token(AGENT, { resource: "https://other.example.com/mcp", scope: "tools:sales.read" });
    const response = await fetch(stack.mcp.url, { method: "POST", headers: { authorization: `Bearer ${elsewhere}`, "content-type": "application/json" }, body: "{}" });
    expect(response.status).toBe(401);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer resource_metadata="[^"]+", error="invalid_token", error_description="The access token was refused: .*aud/);
    await expect(stack.connect("not-a-jwt")).rejects.toThrow(/invalid_token/);
  });

  it("denies everything until a verified config is loaded, then lists and allows only what is granted", async () => {
    const token = await stack.issuer.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read" });
    const client = await stack.connect(token);
    expect((await client.listTools()).tools).toEqual([]);
    const early = await client.callTool({ name: "get_invoice", arguments: { invoiceId: "INV-1" } });
    expect(early).toMatchObject({ isError: true, content: [{ text: expect.stringContaining("no_verified_config") }] });

    await stack.sdk.pollNow();
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["get_invoice"]);
    const allowed = await client.callTool({ name: "get_invoice", arguments: { invoiceId: "INV-1" } });
    expect(allowed.isError).toBeFalsy();
    expect(JSON.stringify(allowed.content)).toContain("INV-1");
    const refused = await client.callTool({ name: "refund_payment", arguments: { paymentId: "P-1", amount: 5 } });
    expect(refused).toMatchObject({ isError: true, content: [{ text: expect.stringMatching(/^Denied by Warden \(no_grant, config v1\): None of the subject's roles \(analyst\)/) }] });
    await client.close();
    await stack.audit.flush();
    expect(audited.slice(-3)).toEqual([
      expect.objectContaining({ decision: "deny", tool: "get_invoice", reason: "no_verified_config", clientId: AGENT }),
      expect.objectContaining({ decision: "allow", tool: "get_invoice", reason: "allowed_by_grant", configVersion: 1, actor: AGENT, clientId: AGENT }),
      expect.objectContaining({ decision: "deny", tool: "refund_payment", reason: "no_grant", configVersion: 1 }),
    ]);
  });

  it("answers a call that lacks a scope with a 403 insufficient_scope step-up challenge", async () => {
    const token = await stack.issuer.token(AGENT, { resource: RESOURCE, scope: "tools:sales.write" });
    const body = JSON.stringify({ jsonrpc: "2.0", id: 7, method: "tools/call", params: { name: "get_invoice", arguments: { invoiceId: "INV-1" } } });
    const response = await fetch(stack.mcp.url, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json", accept: "application/json, text/event-stream" }, body });
    expect(response.status).toBe(403);
    expect(response.headers.get("www-authenticate")).toMatch(/^Bearer error="insufficient_scope", scope="tools:sales.read tools:sales.write", resource_metadata="[^"]+"/);
    expect((await response.json()).error_description).toMatch(/only with the scope tools:sales.read/);
  });

  it("follows a newly published revocation, and refuses an unregistered client", async () => {
    const version = await stack.warden.publish((db) => db.grant.deleteMany({}), "revoke everything");
    await stack.sdk.pollNow();
    const client = await stack.connect(await stack.issuer.token(AGENT, { resource: RESOURCE, scope: "tools:sales.read" }));
    expect((await client.listTools()).tools).toEqual([]);
    expect(await client.callTool({ name: "get_invoice", arguments: { invoiceId: "INV-1" } })).toMatchObject({
      isError: true,
      content: [{ text: expect.stringContaining(`(no_grant, config v${version})`) }],
    });
    await client.close();
    const stranger = await stack.connect(await stack.issuer.token("https://stranger.example/client.json", { resource: RESOURCE, scope: "tools:sales.read" }));
    expect(await stranger.callTool({ name: "get_invoice", arguments: { invoiceId: "INV-1" } })).toMatchObject({ isError: true, content: [{ text: expect.stringContaining("unknown_client") }] });
    await stranger.close();
  });
});
